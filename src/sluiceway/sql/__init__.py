"""SQL analysis with sqlglot and Jinja: rendering, parsing, dependencies, the read-only guard,
dialect translation and column lineage. Pure functions over text and syntax trees: nothing
here imports an engine, the lake or the metadata store.

The names below are imported on first use, so that ``from sluiceway.sql.errors import
SqlError`` (which the CLI's error handling needs) does not load sqlglot and Jinja.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sluiceway.sql.deps import TableRef, check_tables, table_refs
    from sluiceway.sql.errors import SqlError, UntranslatableError
    from sluiceway.sql.guard import GuardedQuery, Pin, guard_query
    from sluiceway.sql.lineage import ColumnSource, LineageEdge, column_lineage, lineage_edges
    from sluiceway.sql.parse import parse_query
    from sluiceway.sql.render import render_sql, sql_literal
    from sluiceway.sql.transpile import to_dialect

_MODULES = {
    "TableRef": "deps",
    "check_tables": "deps",
    "table_refs": "deps",
    "SqlError": "errors",
    "UntranslatableError": "errors",
    "GuardedQuery": "guard",
    "Pin": "guard",
    "guard_query": "guard",
    "ColumnSource": "lineage",
    "LineageEdge": "lineage",
    "column_lineage": "lineage",
    "lineage_edges": "lineage",
    "parse_query": "parse",
    "render_sql": "render",
    "sql_literal": "render",
    "to_dialect": "transpile",
}

__all__ = [
    "ColumnSource",
    "GuardedQuery",
    "LineageEdge",
    "Pin",
    "SqlError",
    "TableRef",
    "UntranslatableError",
    "check_tables",
    "column_lineage",
    "guard_query",
    "lineage_edges",
    "parse_query",
    "render_sql",
    "sql_literal",
    "table_refs",
    "to_dialect",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
