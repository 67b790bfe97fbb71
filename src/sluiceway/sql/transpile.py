"""Translate a query between SQL dialects, refusing what would silently change its meaning.

sqlglot does the translation. On top of it, each dialect pair known to need care (today
DuckDB → Spark) has rules in :mod:`sluiceway.sql.translate`: constructs that would run on the
target but return other rows are rewritten into a faithful form or refused with
:class:`UntranslatableError`, and so is anything sqlglot itself flags as unsupported. Table
names stay ``layer.name``; the engine maps them to its catalog.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from sluiceway.sql.errors import UntranslatableError
from sluiceway.sql.parse import parse_query
from sluiceway.sql.translate import RULES, TranslationContext
from sluiceway.sql.translate.context import annotate


def to_dialect(
    sql: str,
    dialect: str,
    *,
    source_dialect: str = "duckdb",
    path: str | None = None,
    schemas: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """``sql`` (one query in ``source_dialect``) as one line of ``dialect`` SQL.

    Args:
        sql: the query, already rendered (no Jinja left).
        dialect: the target, a sqlglot dialect name (``"spark"``).
        source_dialect: the dialect ``sql`` is written in.
        path: the file the query came from, for error messages.
        schemas: column types of the input tables, ``{"raw.orders": {"amount": "DOUBLE"}}``
            in the source dialect's type names. Some translations depend on a value's type
            (a cast of a DOUBLE to INT rounds in DuckDB and truncates in Spark); without the
            schema such a cast is refused instead of guessed.

    Raises:
        SqlError: ``sql`` is not a single valid query.
        UntranslatableError: a construct would change meaning on ``dialect``.
    """
    query = translate_query(
        parse_query(sql, path=path, dialect=source_dialect),
        dialect,
        source_dialect=source_dialect,
        path=path,
        schemas=schemas,
        text=sql,
    )
    try:
        return query.sql(dialect=dialect, pretty=False, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise UntranslatableError(
            f"the query cannot be translated faithfully to {dialect}: {exc}",
            dialect=dialect,
            hint="rewrite the construct named above with functions both engines share",
            path=path,
        ) from None


def translate_query(
    query: exp.Query,
    dialect: str,
    *,
    source_dialect: str = "duckdb",
    path: str | None = None,
    schemas: Mapping[str, Mapping[str, str]] | None = None,
    text: str = "",
) -> exp.Query:
    """The parsed ``query`` with the pair's rules applied (a copy; ``query`` is unchanged).

    ``text`` is the SQL ``query`` was parsed from, used to quote constructs as written.
    """
    rules = RULES.get((source_dialect, dialect))
    if rules is None or source_dialect == dialect:
        return query.copy()
    query = query.copy()
    ctx = TranslationContext(source=source_dialect, target=dialect, path=path, text=text)
    rules.refuse(query, ctx)
    if rules.needs_types:
        ctx.types = annotate(query, schemas, source_dialect)
    return rules.rewrite(query, ctx)
