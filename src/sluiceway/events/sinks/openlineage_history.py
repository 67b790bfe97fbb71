"""A run's story so far, read back from the log: each step's attempts and their commits.

The sink maps one event at a time, but an event's meaning can depend on the ones before
it: the second ``step.started`` of a step is its second attempt (a retry, or the run taken
over from a dead worker), a ``step.succeeded`` ends the attempt whose commits precede it,
and a run that ends with an attempt still open left that attempt unfinished. Reading this
from the log instead of remembering it keeps the sink stateless: restarted anywhere, it
maps an event the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sluiceway.events.base import Event
    from sluiceway.meta.events import EventRecord
    from sluiceway.meta.store import MetaStore

SCAN_LIMIT = 5_000
"""Events of a pipeline read back from one event, at most, looking for its run's start."""

CLOCK_MARGIN = timedelta(minutes=5)
"""How far the clocks of the machines appending a run's events may disagree."""

_PAGE = 500
_TYPES = ("run.started", "step.started", "step.succeeded", "step.failed", "table.committed")


@dataclass(frozen=True, slots=True)
class Commit:
    """One Delta commit a step attempt made (``table.committed``)."""

    table: str
    version: int
    rows: int | None = None


@dataclass
class Attempt:
    """One attempt of one step: when it started, its commits, and whether it ended."""

    step: str
    number: int
    started: datetime
    commits: list[Commit] = field(default_factory=list)
    ended: bool = False

    def latest_commits(self) -> list[Commit]:
        """One commit per table (the highest version), by table name."""
        latest: dict[str, Commit] = {}
        for commit in self.commits:
            if commit.table not in latest or commit.version > latest[commit.table].version:
                latest[commit.table] = commit
        return [latest[t] for t in sorted(latest)]


def attempts_before(
    store: MetaStore, event: Event, since: datetime | None = None
) -> dict[str, list[Attempt]]:
    """The attempts of each step of ``event``'s run, from the log before ``event``.

    Reads the pipeline's events back from ``event``, in pages, until the run's first
    ``run.started``, an event older than ``since`` (when the run was queued, less a
    margin for clocks of other machines), or :data:`SCAN_LIMIT` events.
    """
    assert event.id is not None
    oldest = None if since is None else utc(since) - CLOCK_MARGIN
    found: list[EventRecord] = []
    before = event.id
    scanned = 0
    while scanned < SCAN_LIMIT:
        page = store.events.newest(_TYPES, pipeline=event.pipeline, before_id=before, limit=_PAGE)
        if not page:
            break
        scanned += len(page)
        before = page[-1].id
        mine = [r for r in page if r.run_id == event.run_id]
        found.extend(mine)
        if any(r.type == "run.started" and _attempt(r.payload) == 1 for r in mine):
            break
        if oldest is not None and utc(page[-1].time) < oldest:
            break
    return _attempts(reversed(found))


def _attempts(records: Iterable[EventRecord]) -> dict[str, list[Attempt]]:
    by_step: dict[str, list[Attempt]] = {}
    for record in records:
        if record.step is None or record.type == "run.started":
            continue
        attempts = by_step.setdefault(record.step, [])
        if record.type == "step.started":
            if attempts:  # an attempt left open was ended (aborted) by this one's start
                attempts[-1].ended = True
            attempts.append(Attempt(record.step, len(attempts) + 1, utc(record.time)))
        elif not attempts:
            continue  # its start is further back than the scan reached
        elif record.type == "table.committed":
            version = record.payload.get("version")
            if record.table is not None and isinstance(version, int):
                rows = record.payload.get("rows")
                rows = rows if isinstance(rows, int) and not isinstance(rows, bool) else None
                attempts[-1].commits.append(Commit(record.table, version, rows))
        else:
            attempts[-1].ended = True
    return by_step


def utc(value: datetime) -> datetime:
    """A stored time as aware UTC (a database may hand back naive UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _attempt(payload: dict[str, Any]) -> int:
    value = payload.get("attempt", 1)
    return value if isinstance(value, int) else 1
