"""A DuckDB connection configured from ``engines.duckdb`` and safe for this machine.

Extensions are never installed or auto-loaded: only those built into the wheel (parquet,
json, icu, core functions) exist offline, and an engine that silently reached for the
network would fail in production the first time it ran without it.
"""

from __future__ import annotations

import tempfile
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from sluiceway.spec.settings import DuckDBSettings


def connect(settings: DuckDBSettings) -> tuple[duckdb.DuckDBPyConnection, str]:
    """A fresh in-memory connection and the folder it spills to.

    ``preserve_insertion_order`` is off: a result without ORDER BY may then be written in
    any order, which lets large COPYs stream instead of buffering to keep row order.
    """
    spill = settings.spill_directory or tempfile.mkdtemp(prefix="sluiceway-duckdb-")
    config: dict[str, Any] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "preserve_insertion_order": False,
        "temp_directory": spill,
    }
    if settings.threads is not None:
        config["threads"] = settings.threads
    if settings.memory_limit is not None:
        config["memory_limit"] = f"{max(1, settings.memory_limit // (1024 * 1024))}MiB"
    connection = duckdb.connect(":memory:", config=config)
    _session(connection)
    return connection, spill


def cursor(connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A second connection to ``connection``'s database, with the same session settings.

    Memory, threads and spilling are the database's; the time zone is each connection's
    own, and staged timestamps must be written in UTC whichever connection writes them.
    """
    second = connection.cursor()
    _session(second)
    return second


def _session(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("SET TimeZone = 'UTC'")
