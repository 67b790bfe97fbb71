"""The tables a query reads: its dependencies, inferred from the SQL (no ``ref()`` needed).

A step's SQL names tables as ``layer.name``; everything else in FROM is a CTE, a subquery or
a table function. Scopes come from sqlglot's optimizer, which already knows that a CTE
shadows a table of the same name only inside its WITH, and that a recursive CTE refers to
itself.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

from sluiceway.spec.problems import did_you_mean
from sluiceway.sql.errors import SqlError


@dataclass(frozen=True)
class TableRef:
    """One table the query reads, where it is first named (1-based line and column).

    ``name`` is ``layer.name`` as written (unquoted parts lower-cased, since DuckDB and Spark
    ignore their case); a name with a catalog keeps all three parts, and an unqualified one
    has no dot.
    """

    name: str
    line: int
    column: int


def base_tables(query: exp.Query) -> list[exp.Table]:
    """The Table nodes that are real tables (not CTEs, subqueries or table functions), in
    source order."""
    seen: dict[int, exp.Table] = {}
    for scope in traverse_scope(query):
        for source in scope.sources.values():
            if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
                seen.setdefault(id(source), source)
    return sorted(seen.values(), key=_offset)


def table_refs(query: exp.Query) -> list[TableRef]:
    """Every base table ``query`` reads, once each, in order of first appearance."""
    refs: dict[str, TableRef] = {}
    for table in base_tables(query):
        name = table_name(table)
        if name not in refs:
            line, column, _ = position(table)
            refs[name] = TableRef(name, line, column)
    return list(refs.values())


def table_name(table: exp.Table) -> str:
    """``layer.name`` (or ``catalog.layer.name``, or ``name``) of a Table node."""
    parts = [part for part in table.parts if isinstance(part, exp.Identifier)]
    return ".".join(p.name if p.quoted else p.name.lower() for p in parts)


def position(table: exp.Table) -> tuple[int, int, int]:
    """Line, column and length of a table's name as written (sqlglot's column is the end)."""
    parts = [p for p in table.parts if p.meta_get("line") is not None]
    if not parts:
        return 1, 1, 1
    first, last = parts[0], parts[-1]
    start, end = int(first.meta["start"]), int(last.meta["end"])
    column = int(first.meta["col"]) - (int(first.meta["end"]) - start)
    return int(first.meta["line"]), column, end - start + 1


def is_string_table(table: exp.Table, source: str) -> bool:
    """Whether the table was written as a string literal (``FROM 'orders.csv'``), which
    DuckDB reads as a file; sqlglot parses it as a quoted name, so the source tells."""
    line_start = table.this.meta_get("start")
    return isinstance(line_start, int) and source[line_start : line_start + 1] == "'"


def check_tables(
    query: exp.Query,
    known: Collection[str],
    *,
    path: str | None = None,
    source: str | None = None,
) -> list[str]:
    """The sorted names of the tables ``query`` reads, all of them in ``known``.

    Raises:
        SqlError: at the first table that is read from a file, has no layer, has a catalog,
            or is not known; an unknown name comes with the closest known ones.
    """
    canonical = _canonical(frozenset(known))
    found: set[str] = set()
    for table in base_tables(query):
        name = table_name(table)
        problem = _problem(table, name, canonical, source)
        if problem is not None:
            message, hint = problem
            line, column, length = position(table)
            raise SqlError(
                message,
                path=path,
                line=line,
                column=column,
                source=source,
                hint=hint,
                length=length,
            )
        found.add(canonical[name.lower()])
    return sorted(found)


@lru_cache(maxsize=8)
def _canonical(known: frozenset[str]) -> dict[str, str]:
    """Lower-cased name → name. Cached: analysing a whole project passes the same frozenset
    for every step (a frozenset hashes once), and rebuilding this per step was quadratic."""
    return {name.lower(): name for name in known}


def _problem(
    table: exp.Table, name: str, canonical: dict[str, str], source: str | None
) -> tuple[str, str | None] | None:
    """What is wrong with one table name: (message, hint), or None."""
    if source is not None and is_string_table(table, source):
        return (
            f"'{table.name}' is a file, not a table",
            "ingest the file with an ingest step and read its table, e.g. raw.orders",
        )
    parts = name.split(".")
    if len(parts) > 2:
        return (
            f"table {name} has a catalog: tables are named layer.name",
            f"write {'.'.join(parts[-2:])}",
        )
    if len(parts) == 1:
        same = sorted(k for k in canonical.values() if k.rsplit(".", 1)[-1] == name.lower())
        example = same[0] if same else f"raw.{name}"
        return f"table '{name}' needs its layer, e.g. {example}", None
    if name.lower() in canonical:
        return None
    close = did_you_mean(name.lower(), canonical.values())
    if close is not None:
        return f"unknown table {name} — {close}", None
    layer = parts[0].lower()
    in_layer = sorted(v for k, v in canonical.items() if k.split(".")[0] == layer)
    hint = f"tables in {layer}: {', '.join(in_layer)}" if in_layer else None
    return f"unknown table {name}", hint


def _offset(table: exp.Table) -> int:
    start = table.this.meta_get("start")
    return start if isinstance(start, int) else 0
