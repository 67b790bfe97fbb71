"""Ad-hoc, read-only SQL over the catalog's tables: ``sluiceway query`` (and later the API).

User-supplied SQL only runs after :func:`~sluiceway.sql.guard.guard_query` has accepted it:
one SELECT, known tables only, no function that reads files or the environment. Tables may
be pinned to a version (``raw.orders@v3``) or an instant (``raw.orders@'2026-05-01'``), or
all at once with ``as_of``. The query runs on DuckDB over the pinned snapshots.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    import pyarrow as pa

    from sluiceway.lake.service import Lake
    from sluiceway.spec.settings import EngineSettings
    from sluiceway.sql.guard import GuardedQuery

DEFAULT_ENGINE = "duckdb"


def run_query(
    lake: Lake,
    sql: str,
    known: set[str],
    *,
    as_of: datetime | None = None,
    limit: int | None = None,
    settings: EngineSettings | None = None,
    hide_lineage: bool = False,
) -> pa.Table:
    """The rows of a guarded, read-only query.

    With ``hide_lineage`` (the project's ``lineage_columns: hidden``), ``_sw_*`` columns are
    left out of the result unless the query names them.

    Raises:
        SqlError: the query was refused by the guard, or is not valid SQL.
        QueryError: the engine rejected it.
        VersionUnavailableError: a pinned version does not exist (or was vacuumed).
    """
    from sluiceway.engines import open_engine
    from sluiceway.engines.inputs import pin
    from sluiceway.lake.errors import VersionUnavailableError
    from sluiceway.sql.guard import guard_query

    guarded = guard_query(sql, known)
    text, tables = _without_views(lake, guarded)
    inputs = {}
    for name in tables:
        table_pin = guarded.pins.get(name)
        version = table_pin.version if table_pin else None
        instant = table_pin.as_of if table_pin and table_pin.as_of else None
        if version is None and instant is None:
            instant = as_of
        try:
            inputs[name] = pin(lake.table(name), version=version, as_of=instant)
        except VersionUnavailableError as exc:
            if instant is None:
                raise
            raise VersionUnavailableError(
                f"{name}: {exc.message}",
                hint=f"pick a later time, or one of the versions `sluiceway history {name}` "
                f"lists, written {name}@v<version> in the query",
            ) from exc
    engine = open_engine(DEFAULT_ENGINE, settings)
    try:
        result = engine.query(text, inputs, limit=limit)
    finally:
        engine.close()
    return _hidden_lineage_dropped(result, guarded.sql) if hide_lineage else result


def _hidden_lineage_dropped(result: pa.Table, sql: str) -> pa.Table:
    """``result`` without the lineage columns the query did not name."""
    from sqlglot import exp

    from sluiceway.lake.lineage import is_lineage
    from sluiceway.sql.parse import parse_query

    named = {column.name for column in parse_query(sql).find_all(exp.Column)}
    keep = [n for n in result.column_names if not is_lineage(n) or n in named]
    return result.select(keep)


def _without_views(lake: Lake, guarded: GuardedQuery) -> tuple[str, tuple[str, ...]]:
    """The guarded SQL with its views inlined, and the stored tables it reads.

    The views' own SQL goes through the guard's function check too: it was written by
    whoever defined the view, and runs with this query.

    Raises:
        SqlError: a view is pinned to a version (it has none), or its SQL is refused.
    """
    from sluiceway.sql.deps import table_refs
    from sluiceway.sql.errors import SqlError
    from sluiceway.sql.guard import check_functions
    from sluiceway.sql.parse import parse_query
    from sluiceway.sql.views import inline_views

    def lookup(name: str) -> str | None:
        table = lake.table(name)
        return table.view_sql if table.is_view else None

    query, views = inline_views(parse_query(guarded.sql), lookup)
    if not views:
        return guarded.sql, guarded.tables
    pinned = sorted(set(views) & set(guarded.pins))
    if pinned:
        raise SqlError(
            f"{pinned[0]} is a view: it has no versions to pin",
            hint="pin the tables it reads with --as-of, or drop the @ from the view's name",
        )
    text = query.sql(dialect="duckdb")
    check_functions(query, text)
    return text, tuple(ref.name for ref in table_refs(query))
