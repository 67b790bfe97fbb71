"""Narrowing a MERGE to the files the source can touch: partition literals and key ranges.

delta-rs skips a target file only when the merge predicate holds target-only conditions it
can test against partition values and per-file min/max statistics; ``t.id = s.id`` alone
makes it scan and rewrite-check every file. So the predicate gets, from the source batch:

* for a partitioned table, ``t.p IN (…)`` with the partition values present in the source
  (per partition column, when there are at most :data:`MAX_PARTITION_VALUES` of them);
* for each key column, ``t.k >= min AND t.k <= max`` of the source's keys.

Both are implied by the key equality, so they never change which rows match; they only
tell delta-rs which files cannot match. Partition literals are added only when every
partition column is a key: otherwise a key could move between partitions (a customer
changing country in a table partitioned by country) and the narrowed merge would miss its
old row and insert a second one.

Pure functions over Arrow data and plain values; all text goes through
:mod:`sluiceway.lake.predicates`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sluiceway.lake import predicates as p

if TYPE_CHECKING:
    import pyarrow as pa

MAX_PARTITION_VALUES = 1000
"""Above this many distinct values an IN list costs more to plan than it saves."""


@dataclass(frozen=True)
class KeyRange:
    """The smallest and largest value of one key column in the source."""

    column: str
    low: Any
    high: Any


@dataclass(frozen=True)
class Narrowing:
    """What the source says about the target rows it can touch."""

    ranges: tuple[KeyRange, ...] = ()
    partitions: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    def predicate(self, alias: str = "t") -> str | None:
        """The target-only conjuncts to AND onto the merge predicate (None if there are none)."""
        parts = [p.in_list(name, values, table=alias) for name, values in self.partitions]
        for rng in self.ranges:
            parts.append(
                p.and_(
                    p.compare(rng.column, ">=", rng.low, table=alias),
                    p.compare(rng.column, "<=", rng.high, table=alias),
                )
            )
        return p.and_(*parts) if parts else None


def narrowing(
    source: pa.Table,
    keys: Sequence[str],
    partition_by: Sequence[str] = (),
    *,
    max_partition_values: int = MAX_PARTITION_VALUES,
) -> Narrowing:
    """The partition values and key ranges of ``source``, where they can be written as SQL.

    A key whose values have no literal form (binary, nested) or are all null gets no range;
    a partition column gets no IN list when it is not a key or has too many values.
    """
    ranges = [r for r in (_key_range(source, k) for k in keys) if r is not None]
    partitions: list[tuple[str, tuple[Any, ...]]] = []
    if partition_by and set(partition_by) <= set(keys):
        for name in partition_by:
            values = _distinct(source, name, max_partition_values)
            if values is not None:
                partitions.append((name, values))
    return Narrowing(tuple(ranges), tuple(partitions))


def merge_predicate(
    keys: Sequence[str],
    narrowed: Narrowing | None = None,
    *,
    target: str = "t",
    source: str = "s",
    source_keys: Sequence[str] | None = None,
) -> str:
    """``t.k1 = s.k1 AND …`` plus the narrowing conjuncts.

    ``source_keys`` names the source columns to match on when they differ from the keys
    (SCD2 matches on a staged copy of the keys that is null for rows to insert).
    """
    matches = [
        f"{p.column(key, target)} = {p.column(src, source)}"
        for key, src in zip(keys, source_keys or keys, strict=True)
    ]
    extra = narrowed.predicate(target) if narrowed is not None else None
    return p.and_(*matches, *([extra] if extra else []))


def distinct_from(name: str, left: str, right: str) -> str:
    """``left.name IS DISTINCT FROM right.name``: true when they differ, nulls included."""
    return f"{p.column(name, left)} IS DISTINCT FROM {p.column(name, right)}"


def _key_range(source: pa.Table, name: str) -> KeyRange | None:
    import pyarrow.compute as pc

    try:
        bounds = pc.min_max(source.column(name))
        low, high = bounds["min"].as_py(), bounds["max"].as_py()
    except Exception:  # a type pyarrow cannot order (nested, …): no range, no harm
        return None
    if low is None or high is None or not (_writable(low) and _writable(high)):
        return None
    return KeyRange(name, low, high)


def _distinct(source: pa.Table, name: str, limit: int) -> tuple[Any, ...] | None:
    import pyarrow.compute as pc

    unique = pc.unique(source.column(name))
    if len(unique) > limit:
        return None
    values = tuple(unique.to_pylist())
    if not all(v is None or _writable(v) for v in values):
        return None
    return tuple(sorted(values, key=lambda v: (v is None, v)))


def _writable(value: Any) -> bool:
    try:
        p.literal(value)
    except (TypeError, ValueError):
        return False
    return True
