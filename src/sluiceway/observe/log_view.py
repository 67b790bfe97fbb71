"""What the SLA watchdog and the metrics read from the event log, kept current cheaply.

Per table: the time of its last ``table.committed`` (its freshness), the id of the last
event that changed its Delta log (so cached file statistics are re-read only then), and
its latest ``sla.missed`` / ``sla.recovered`` (the SLA's state as the log records it).

The first :meth:`LogView.refresh` answers with three aggregate queries bounded by the
highest id at that moment; every later one reads only the events appended since, by id.
Ids become visible in id order on every supported database (see
:mod:`sluiceway.events.log`), so reading ``id > cursor`` never skips one.

Commits are counted for the view's environment only: a ``table.committed`` made by a run
of another environment sharing the metadata store says nothing about this one's table.
Commits made outside a run (a seed, a test) count for every environment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, func, or_, select

from sluiceway.meta.models import EventRow, RunRow

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Connection, FromClause

    from sluiceway.meta.store import MetaStore

_EVENTS = cast(Table, EventRow.__table__)
_RUNS = cast(Table, RunRow.__table__)

COMMITTED = "table.committed"
TABLE_CHANGES = (
    COMMITTED,
    "table.optimized",
    "table.restored",
    "table.vacuumed",
    "table.retention_applied",
)
"""Events after which a table's Delta log holds a new version or other files."""
SLA_MISSED = "sla.missed"
SLA_RECOVERED = "sla.recovered"
SLA_EVENTS = (SLA_MISSED, SLA_RECOVERED)

_PAGE = 5000


@dataclass(frozen=True, slots=True)
class SlaMark:
    """A table's latest ``sla.missed`` or ``sla.recovered`` in one environment."""

    id: int
    type: str
    time: datetime
    sla: str

    @property
    def open(self) -> bool:
        """True while the breach it records has not recovered."""
        return self.type == SLA_MISSED


class LogView:
    """Per-table facts from the event log of ``store``, for environment ``env``.

    Not thread-safe: one owner calls :meth:`refresh` and reads (the watchdog's thread, or
    the metrics collector under its lock).
    """

    def __init__(self, store: MetaStore, env: str) -> None:
        self.store = store
        self.env = env
        self.cursor: int | None = None
        self._commits: dict[str, datetime] = {}
        self._changes: dict[str, int] = {}
        self._marks: dict[str, SlaMark] = {}
        self._missed: Counter[str] = Counter()

    def refresh(self) -> None:
        """Bring the view up to the end of the log."""
        with self.store.reader() as connection:
            if self.cursor is None:
                self._load(connection)
            else:
                self._follow(connection)

    def last_commit(self, table: str) -> datetime | None:
        """When ``table`` was last committed in this environment (None: never)."""
        return self._commits.get(table)

    def last_change(self, table: str) -> int:
        """The id of the last event that changed ``table``'s files (0: none)."""
        return self._changes.get(table, 0)

    def sla_mark(self, table: str) -> SlaMark | None:
        """``table``'s latest SLA event in this environment, if any."""
        return self._marks.get(table)

    def marked_tables(self) -> list[str]:
        """Tables that have an SLA event in this environment."""
        return sorted(self._marks)

    def missed_count(self, table: str) -> int:
        """How many ``sla.missed`` events ``table`` has had in this environment."""
        return self._missed[table]

    # ---------------------------------------------------------------- reading

    def _load(self, connection: Connection) -> None:
        upto = int(connection.execute(select(func.max(_EVENTS.c.id))).scalar() or 0)
        bounded = _EVENTS.c.id <= upto
        commits = (
            select(_EVENTS.c.table_name, func.max(_EVENTS.c.time))
            .select_from(_with_runs())
            .where(bounded, _EVENTS.c.type == COMMITTED, _EVENTS.c.table_name.is_not(None))
            .where(self._in_env())
            .group_by(_EVENTS.c.table_name)
        )
        self._commits = {str(t): time for t, time in connection.execute(commits) if time}
        changes = (
            select(_EVENTS.c.table_name, func.max(_EVENTS.c.id))
            .where(bounded, _EVENTS.c.type.in_(TABLE_CHANGES), _EVENTS.c.table_name.is_not(None))
            .group_by(_EVENTS.c.table_name)
        )
        self._changes = {str(t): int(i) for t, i in connection.execute(changes)}
        marks = (
            select(
                _EVENTS.c.id,
                _EVENTS.c.type,
                _EVENTS.c.time,
                _EVENTS.c.table_name,
                _EVENTS.c.payload,
            )
            .where(bounded, _EVENTS.c.type.in_(SLA_EVENTS), _EVENTS.c.table_name.is_not(None))
            .order_by(_EVENTS.c.id)
        )
        for row in connection.execute(marks).mappings():
            self._take_sla(row["id"], row["type"], row["table_name"], row["payload"], row["time"])
        self.cursor = upto

    def _follow(self, connection: Connection) -> None:
        assert self.cursor is not None
        query = (
            select(
                _EVENTS.c.id,
                _EVENTS.c.type,
                _EVENTS.c.time,
                _EVENTS.c.table_name,
                _EVENTS.c.payload,
                _RUNS.c.env,
            )
            .select_from(_with_runs())
            .where(
                _EVENTS.c.type.in_((*TABLE_CHANGES, *SLA_EVENTS)),
                _EVENTS.c.table_name.is_not(None),
            )
            .order_by(_EVENTS.c.id)
            .limit(_PAGE)
        )
        while True:
            rows = connection.execute(query.where(_EVENTS.c.id > self.cursor)).mappings().all()
            for row in rows:
                self._take(row)
                self.cursor = int(row["id"])
            if len(rows) < _PAGE:
                return

    def _take(self, row: Any) -> None:
        table, type_ = str(row["table_name"]), row["type"]
        if type_ in SLA_EVENTS:
            self._take_sla(row["id"], type_, table, row["payload"], row["time"])
            return
        self._changes[table] = int(row["id"])
        if type_ == COMMITTED and row["env"] in (None, self.env):
            previous = self._commits.get(table)
            if previous is None or row["time"] > previous:
                self._commits[table] = row["time"]

    def _take_sla(
        self, event_id: int, type_: str, table: str, payload: dict[str, Any] | None, time: datetime
    ) -> None:
        payload = payload or {}
        if payload.get("env", self.env) != self.env:
            return
        known = self._marks.get(table)
        if known is not None and known.id >= event_id:
            return  # already taken in
        self._marks[table] = SlaMark(
            id=int(event_id),
            type=type_,
            time=time,
            sla=str(payload.get("sla", "")),
        )
        if type_ == SLA_MISSED:
            self._missed[table] += 1

    def _in_env(self) -> ColumnElement[bool]:
        return or_(_RUNS.c.env.is_(None), _RUNS.c.env == self.env)


def _with_runs() -> FromClause:
    """Events with the run that appended them, when there is one (for its environment)."""
    return _EVENTS.outerjoin(_RUNS, _RUNS.c.id == _EVENTS.c.run_id)
