"""Column lineage: which base-table columns each output column of a query is computed from.

sqlglot's optimizer qualifies every column with its table and expands ``*`` and ``t.*`` from
the input schemas; ``sqlglot.lineage`` then follows each output column through CTEs,
subqueries, set operations, joins, aggregates, window functions and CASE down to base tables.
A column computed from no column at all (a literal, ``count(*)``, ``now()``) derives from
nothing. Filters and join conditions are not lineage: ``WHERE amount > 0`` does not make an
output column derive from ``amount``.

Output columns are named as the optimizer names them: unquoted names lower-cased (DuckDB
and Spark ignore their case) and unnamed expressions ``_col_<n>``; name computed columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node, lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from sluiceway.sql.deps import table_name, table_refs
from sluiceway.sql.errors import SqlError

# Lineage needs names, not types; a placeholder type keeps the optimizer from guessing.
_ANY_TYPE = "UNKNOWN"


@dataclass(frozen=True, order=True)
class ColumnSource:
    """A base-table column: ``table`` is ``layer.name``."""

    table: str
    column: str


@dataclass(frozen=True, order=True)
class LineageEdge:
    """``table.column`` flows into output column ``output``: one row of stored lineage."""

    table: str
    column: str
    output: str


def column_lineage(
    query: exp.Query,
    schemas: Mapping[str, Sequence[str]],
    *,
    dialect: str = "duckdb",
) -> dict[str, list[ColumnSource]]:
    """For each output column, in output order, the sorted distinct columns it derives from.

    Args:
        query: a parsed query (:func:`~sluiceway.sql.parse.parse_query`); it is not changed.
        schemas: the column names of every table the query reads, ``{"raw.orders": [...]}``;
            needed to expand ``*`` and to tell which table an unqualified column is from.
        dialect: the query's dialect.

    Raises:
        SqlError: a column is ambiguous or cannot be resolved against ``schemas``.
    """
    qualified = _qualified(query, schemas, dialect)
    if any(select.is_star for select in qualified.selects):
        missing = [ref.name for ref in table_refs(query) if ref.name not in schemas]
        raise SqlError(
            "cannot trace column lineage: * needs the columns of " + ", ".join(missing or ["?"]),
            hint="pass every table the query reads in schemas",
        )
    schema = _schema(schemas, dialect)
    try:
        nodes = lineage(None, qualified, schema, dialect=dialect, copy=False, scope=None)
    except (SqlglotError, ValueError) as exc:
        raise SqlError(f"cannot trace column lineage: {exc}") from None
    result: dict[str, list[ColumnSource]] = {}
    for name in _output_names(qualified):
        node = nodes.get(name)
        result.setdefault(name, sorted(_sources(node)) if node is not None else [])
    return result


def lineage_edges(
    query: exp.Query,
    schemas: Mapping[str, Sequence[str]],
    *,
    dialect: str = "duckdb",
) -> list[LineageEdge]:
    """:func:`column_lineage` flattened to (table, column) → output edges, for storage."""
    return [
        LineageEdge(source.table, source.column, output)
        for output, sources in column_lineage(query, schemas, dialect=dialect).items()
        for source in sources
    ]


def _schema(schemas: Mapping[str, Sequence[str]], dialect: str) -> MappingSchema:
    nested: dict[str, dict[str, dict[str, str]]] = {}
    for name, columns in schemas.items():
        layer, _, table = name.partition(".")
        nested.setdefault(layer, {})[table] = dict.fromkeys(columns, _ANY_TYPE)
    return MappingSchema(dict(nested), dialect=dialect)


def _qualified(query: exp.Query, schemas: Mapping[str, Sequence[str]], dialect: str) -> exp.Query:
    try:
        qualified = qualify(
            query.copy(),
            schema=_schema(schemas, dialect),
            dialect=dialect,
            validate_qualify_columns=True,
            identify=False,
        )
    except (SqlglotError, ValueError) as exc:
        raise SqlError(f"cannot trace column lineage: {exc}") from None
    assert isinstance(qualified, exp.Query)
    return qualified


def _output_names(query: exp.Query) -> list[str]:
    return [select.alias_or_name for select in query.selects]


def _sources(node: Node) -> set[ColumnSource]:
    """The base-table columns at the leaves of one column's lineage graph."""
    found: set[ColumnSource] = set()
    for step in node.walk():
        if step.downstream or not isinstance(step.expression, exp.Table):
            continue
        # A leaf's name is "<table alias>.<column>".
        _, _, column = step.name.partition(".")
        found.add(ColumnSource(table_name(step.expression), column or step.name))
    return found
