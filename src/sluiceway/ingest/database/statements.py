"""The SELECTs a database source runs, built as SQLAlchemy expressions.

Values (the watermark, the upper bound) are always bound parameters; names are quoted by
the dialect. A ``table`` is reflected — which proves it exists and gives its column types —
and may be ``schema.table``. A user ``query`` is kept as the user wrote it and wrapped as a
subquery, so the cursor filter and order apply to its result whatever it does inside::

    SELECT * FROM (<query>) AS _sw_query
    WHERE _sw_query.cursor > :after AND _sw_query.cursor <= :upto ORDER BY _sw_query.cursor
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sluiceway.ingest.database.errors import DatabaseSourceError
from sluiceway.ingest.database.types import ColumnType, column_type

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Dialect

QUERY_ALIAS = "_sw_query"

# A ``:name`` that SQLAlchemy's text() would take for a bind parameter — not ``::cast``, not
# ``a:b`` inside a word. The user's query has no parameters, so every such colon is literal
# (a time in a string, a JSON path) and is escaped.
_BIND_LIKE = re.compile(r"(?<![:\w\\]):(?=\w)")


@dataclass(frozen=True)
class Relation:
    """What a source reads: a reflected table, or the user's query as a subquery.

    ``columns`` is known up front for a table; a query's columns are typed from its result.
    """

    selectable: sa.FromClause
    label: str
    columns: tuple[ColumnType, ...] | None

    def column(self, name: str) -> sa.ColumnElement[Any]:
        """The column ``name`` of the relation, for WHERE and ORDER BY."""
        return self.selectable.c[name]


def reflect_table(connection: Connection, name: str, cursor: str | None, *, what: str) -> Relation:
    """The table ``name`` (``table`` or ``schema.table``) with its columns and their types.

    Raises:
        DatabaseSourceError: no such table (with the closest names), or no such cursor column.
    """
    from sqlalchemy.exc import NoSuchTableError

    schema, _, table_name = name.rpartition(".")
    try:
        table = sa.Table(table_name, sa.MetaData(), schema=schema or None, autoload_with=connection)
    except NoSuchTableError:
        raise DatabaseSourceError(
            f"{what}: table {name} does not exist" + _suggestion(connection, schema, table_name),
            hint="fix the source's table (schema.table for a table outside the default schema), "
            "or check that the URL names the right database",
        ) from None
    if cursor is not None and cursor not in table.c:
        from sluiceway.spec.problems import did_you_mean

        close = did_you_mean(cursor, table.c.keys())
        raise DatabaseSourceError(
            f"{what}: table {name} has no cursor column {cursor!r}"
            + (f" — {close}" if close else ""),
            hint="columns: " + ", ".join(table.c.keys()),
        )
    columns = tuple(column_type(c.name, c.type) for c in table.columns)
    return Relation(selectable=table, label=name, columns=columns)


def wrap_query(query: str, cursor: str | None) -> Relation:
    """The user's ``query`` as a subquery that the cursor filter can refer to."""
    # On lines of its own: a trailing ``-- comment`` must not swallow the closing parenthesis.
    body = query.strip().rstrip(";").strip()
    text = sa.text("\n" + _BIND_LIKE.sub(r"\\:", body) + "\n")
    textual = text.columns(sa.column(cursor)) if cursor is not None else text.columns()
    return Relation(selectable=textual.subquery(QUERY_ALIAS), label="query", columns=None)


def rows_statement(
    relation: Relation, cursor: str | None, *, after: Any = None, upto: Any = None
) -> sa.Select[Any]:
    """The rows to load: all of them, or those with ``after < cursor <= upto``, by cursor.

    A table's columns are listed (the ones reflected, so a column added meanwhile cannot
    shift the schema); a query's are ``*``.
    """
    if relation.columns is not None:
        statement = sa.select(*relation.selectable.columns)
    else:
        statement = sa.select(sa.literal_column("*")).select_from(relation.selectable)
    return _bounded(statement, relation, cursor, after, upto)


def max_statement(relation: Relation, cursor: str, *, after: Any = None) -> sa.Select[Any]:
    """The highest cursor value past ``after``: the upper bound (and next watermark) of a read."""
    column = relation.column(cursor)
    statement = sa.select(sa.func.max(column)).select_from(relation.selectable)
    if after is not None:
        statement = statement.where(column > _bind("after", after, column))
    return statement


def describe(relation: Relation, cursor: str | None, dialect: Dialect, **bounds: Any) -> str:
    """The read as one line of SQL with its values inlined, for ``_sw_source`` and logs.

    For display only — the executed statement binds its values. A table's column list is
    shown as ``*`` to keep the label short: it is stamped on every row.
    """
    everything: sa.Select[Any] = sa.select(sa.literal_column("*")).select_from(relation.selectable)
    statement = _bounded(
        everything, relation, cursor, bounds.get("after"), bounds.get("upto"), bind=_shown
    )
    # A named paramstyle keeps ``%`` in the user's query as written (pyformat doubles it).
    shown = type(dialect)(paramstyle="named")  # type: ignore[call-arg]
    try:
        text = str(statement.compile(dialect=shown, compile_kwargs={"literal_binds": True}))
    except (NotImplementedError, sa.exc.CompileError):
        text = str(statement.compile(dialect=shown))  # a value with no literal form: :after
    return _one_line(text)


def _one_line(sql: str) -> str:
    """``sql`` on one line — unless a ``--`` comment would then hide what follows it."""
    lines = [" ".join(line.split()) for line in sql.splitlines()]
    return ("\n" if "--" in sql else " ").join(line for line in lines if line)


def _bounded(
    statement: sa.Select[Any],
    relation: Relation,
    cursor: str | None,
    after: Any,
    upto: Any,
    *,
    bind: Callable[[str, Any, sa.ColumnElement[Any]], sa.BindParameter[Any]] | None = None,
) -> sa.Select[Any]:
    if cursor is None:
        return statement
    bind = bind or _bind
    column = relation.column(cursor)
    if after is not None:
        statement = statement.where(column > bind("after", after, column))
    if upto is not None:
        statement = statement.where(column <= bind("upto", upto, column))
    return statement.order_by(column)


def _bind(name: str, value: Any, column: sa.ColumnElement[Any]) -> sa.BindParameter[Any]:
    """A parameter typed as its column: a table's reflected type, or none for a query's.

    Untyped, a parameter's type would be guessed from the Python value, and PostgreSQL's
    dialect casts to it — ``::INTEGER`` for a bigint watermark past 2³¹, ``::TIMESTAMP``
    dropping a time zone. A query's column has no type (``NullType``): no cast is rendered
    and the server types the parameter from the column it is compared with.
    """
    return sa.bindparam(name, value, type_=column.type)


def _shown(name: str, value: Any, column: sa.ColumnElement[Any]) -> sa.BindParameter[Any]:
    """A parameter to inline in a label: typed from the value when the column has no type."""
    if isinstance(column.type, sa.types.NullType):
        return sa.bindparam(name, value)
    return _bind(name, value, column)


def _suggestion(connection: Connection, schema: str, table: str) -> str:
    """`` — did you mean 'public.orders'?`` from the schema's tables and views, if one is close."""
    from sluiceway.spec.problems import did_you_mean

    try:
        inspector = sa.inspect(connection)
        names = inspector.get_table_names(schema or None) + inspector.get_view_names(schema or None)
    except sa.exc.SQLAlchemyError:
        return ""
    prefix = f"{schema}." if schema else ""
    close = did_you_mean(prefix + table, [prefix + n for n in names])
    return f" — {close}" if close else ""
