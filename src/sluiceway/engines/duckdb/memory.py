"""How a job's memory is shared out under DuckDB's ``memory_limit``, measured not guessed.

DuckDB's spilling operators (hash aggregate, hash join, sort, window, partitioned writes)
give pages back to the buffer pool and spill them to ``temp_directory`` as the limit nears.
What they cannot give back is the Parquet writer's working memory: every writing thread
holds the row group it is filling, plus its encoded and compressed pages while flushing it.
With DuckDB's default row group (122,880 rows) a wide row makes that tens of MiB per thread,
pinned beside the sort's merge pages: at a 128 MiB limit and 2 threads a
``COPY (… ORDER BY …)`` failed with "failed to allocate data of size 8.0 MiB", and still
failed with 8 MiB row groups, while 4 MiB row groups completed. Row groups are therefore cut
by bytes at ``1 / WRITER_SHARE`` of each thread's share of the limit (2 MiB there: half of
what completed), never below :data:`MIN_ROW_GROUP_BYTES`. DuckDB's row count per row group
(122,880) still applies, so with a large limit nothing changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

WRITER_SHARE = 32
"""Each writing thread's row group is at most ``memory_limit / threads / WRITER_SHARE``."""
MIN_ROW_GROUP_BYTES = 1024 * 1024
"""Smaller row groups cost more in footers and statistics than they save in memory."""

_UNITS = {
    "bytes": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "TiB": 1024**4,
    "PiB": 1024**5,
}
_AMOUNT = re.compile(r"^\s*([0-9.]+)\s*([A-Za-z]*)\s*$")


@dataclass(frozen=True)
class MemoryBudget:
    """DuckDB's effective memory limit and thread count, and what follows from them.

    Attributes:
        memory_limit: bytes DuckDB may hold before it spills (its own default when the
            project sets none: a share of the machine's or the container's memory).
        threads: DuckDB's worker threads.
    """

    memory_limit: int
    threads: int

    @classmethod
    def of(cls, connection: duckdb.DuckDBPyConnection) -> MemoryBudget:
        """The budget ``connection`` runs under now (a ``SET`` since connecting included)."""
        rows = connection.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads')"
        ).fetchall()
        limit, threads = rows[0]
        return cls(memory_limit=parse_bytes(str(limit)), threads=max(1, int(threads)))

    @property
    def row_group_bytes(self) -> int:
        """``ROW_GROUP_SIZE_BYTES`` for the result's Parquet files (see the module's notes)."""
        return max(MIN_ROW_GROUP_BYTES, self.memory_limit // self.threads // WRITER_SHARE)


def parse_bytes(text: str) -> int:
    """DuckDB's way of showing an amount of memory (``'953.6 MiB'``) as bytes.

    Raises:
        ValueError: ``text`` is not a number followed by a unit DuckDB uses.
    """
    match = _AMOUNT.match(text)
    if match is None or match.group(2) not in (*_UNITS, ""):
        raise ValueError(f"not an amount of memory: {text!r}")
    number, unit = match.groups()
    return int(float(number) * _UNITS[unit or "bytes"])
