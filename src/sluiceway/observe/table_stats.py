"""A table's version, size, file and row counts, read from its Delta log and cached.

Opening a Delta table reads its log since the last checkpoint: a few milliseconds on a
disk, several requests on an object store. A scrape every 15 seconds over hundreds of
tables must not pay that each time, so statistics are cached per table and read again only
when the event log shows a change to the table (a commit, an optimize, a restore, a
vacuum, a retention pass — each appends an event), or when the cached figures are older
than ``max_age`` seconds, for changes made by hand outside the platform.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sluiceway.lake.names import TableName
from sluiceway.lake.table import open_delta

if TYPE_CHECKING:
    from sluiceway.lake.storage import LakeStorage

DEFAULT_MAX_AGE = 300.0


@dataclass(frozen=True, slots=True)
class TableStats:
    """What one version of a table holds."""

    version: int
    size_bytes: int
    files: int
    rows: int | None
    """Rows from the files' statistics (None when a file was written without them)."""


@dataclass(frozen=True, slots=True)
class _Entry:
    change: int
    read_at: float
    stats: TableStats | None


class TableStatsCache:
    """Statistics per table, read again when the table changed or they grew old.

    Args:
        max_age: seconds after which figures are read again even without a known change.
    """

    def __init__(self, max_age: float = DEFAULT_MAX_AGE) -> None:
        self.max_age = max_age
        self.reads = 0
        """How many times a Delta log was read (what the cache saves is visible in tests)."""
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def get(self, storage: LakeStorage, env: str, table: str, change: int) -> TableStats | None:
        """``table``'s statistics (None: never committed, or a view).

        Args:
            change: the id of the last event that changed the table; figures cached at an
                older change are read again.
        """
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(table)
        if entry is not None and entry.change == change and now - entry.read_at < self.max_age:
            return entry.stats
        stats = read_stats(storage, env, table)
        with self._lock:
            self.reads += 1
            self._entries[table] = _Entry(change, now, stats)
        return stats


def read_stats(storage: LakeStorage, env: str, table: str) -> TableStats | None:
    """Read ``table``'s latest version from its Delta log (None: nothing committed there)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    delta = open_delta(storage.table_uri(env, TableName.parse(table)), storage.storage_options())
    if delta is None:
        return None
    actions = pa.table(delta.get_add_actions(flatten=True))
    size = pc.sum(actions["size_bytes"]).as_py() if actions.num_rows else 0
    rows: int | None = 0
    if actions.num_rows:
        records = actions["num_records"] if "num_records" in actions.column_names else None
        rows = None if records is None or records.null_count else int(pc.sum(records).as_py() or 0)
    return TableStats(int(delta.version()), int(size or 0), actions.num_rows, rows)
