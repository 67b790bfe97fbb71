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

DEFAULT_ENGINE = "duckdb"


def run_query(
    lake: Lake,
    sql: str,
    known: set[str],
    *,
    as_of: datetime | None = None,
    limit: int | None = None,
    settings: EngineSettings | None = None,
) -> pa.Table:
    """The rows of a guarded, read-only query.

    Raises:
        SqlError: the query was refused by the guard, or is not valid SQL.
        QueryError: the engine rejected it.
        VersionUnavailableError: a pinned version does not exist (or was vacuumed).
    """
    from sluiceway.engines import open_engine
    from sluiceway.engines.inputs import pin
    from sluiceway.sql.guard import guard_query

    guarded = guard_query(sql, known)
    inputs = {}
    for name in guarded.tables:
        table_pin = guarded.pins.get(name)
        version = table_pin.version if table_pin else None
        instant = table_pin.as_of if table_pin and table_pin.as_of else None
        if version is None and instant is None:
            instant = as_of
        inputs[name] = pin(lake.table(name), version=version, as_of=instant)
    engine = open_engine(DEFAULT_ENGINE, settings)
    try:
        return engine.query(guarded.sql, inputs, limit=limit)
    finally:
        engine.close()
