"""Runs: what ran, when, with which outcome, and who holds it.

Status changes are compare-and-set updates (``UPDATE … WHERE status IN (allowed)``), so two
workers racing to start or finish the same run cannot both win, and a finished run cannot
be revived by a late message. A running run carries a lease (owner + expiry) that its
worker renews; an expired lease lets another worker claim the run as a new attempt.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, cast

from sqlalchemy import CursorResult, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from sluiceway.meta.errors import InvalidTransitionError, NotFoundError
from sluiceway.meta.models import RunRow, utcnow
from sluiceway.meta.step_runs import StepRunRecords

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore

RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]

#: Allowed run status changes; terminal statuses have none.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "queued": frozenset({"running", "failed", "cancelled"}),
    "running": frozenset({"succeeded", "failed", "cancelled"}),
    "succeeded": frozenset(),
    "failed": frozenset(),
    "cancelled": frozenset(),
}
TERMINAL = frozenset(s for s, targets in TRANSITIONS.items() if not targets)


@dataclass(frozen=True, slots=True)
class Run:
    """One run of a pipeline."""

    id: str
    pipeline: str
    env: str
    status: str
    trigger: dict[str, Any]
    params: dict[str, Any]
    partition: str | None
    attempt: int
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    dedup_key: str | None = None
    not_before: datetime | None = None
    steps: list[str] | None = None
    cancel_requested: bool = False
    writes: list[str] | None = None

    def collides(self, other: Run) -> bool:
        """Whether the two runs write a table in common (partitions apart excepted).

        Runs of two different partitions write apart: each partition's batches are a
        Delta app transaction of their own.
        """
        if not self.writes or not other.writes or not set(self.writes) & set(other.writes):
            return False
        return (
            self.partition is None or other.partition is None or (self.partition == other.partition)
        )


class RunRepo(StepRunRecords):
    """Runs, their status changes and leases, and their step runs (:mod:`.step_runs`)."""

    def __init__(self, store: MetaStore) -> None:
        self._store = store

    def create(
        self,
        pipeline: str,
        env: str = "prod",
        *,
        trigger: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        partition: str | None = None,
        run_id: str | None = None,
        steps: Iterable[str] | None = None,
        not_before: datetime | None = None,
        dedup_key: str | None = None,
        writes: Iterable[str] | None = None,
    ) -> Run:
        """Queue a new run; ``trigger`` is e.g. ``{"kind": "files", "event_id": 42}``.

        With ``dedup_key``, a run already queued under the same key is returned instead of
        a second one (what makes a trigger event start at most one run, even when the
        dispatcher handles it twice after a crash).
        """
        from sqlalchemy.exc import IntegrityError

        from sluiceway.meta.errors import ConflictError

        row = RunRow(
            id=run_id or str(uuid.uuid4()),
            pipeline=pipeline,
            env=env,
            status="queued",
            trigger=dict(trigger or {}),
            params=dict(params or {}),
            partition=partition,
            attempt=1,
            queued_at=utcnow(),
            steps=None if steps is None else list(steps),
            not_before=not_before,
            dedup_key=dedup_key,
            cancel_requested=False,
            writes=None if writes is None else sorted(set(writes)),
        )
        try:
            with self._store.session(write=True) as session:
                session.add(row)
                session.flush()
                return _run(row)
        except (IntegrityError, ConflictError):  # the store translates the driver's error
            existing = self.by_dedup_key(dedup_key) if dedup_key is not None else None
            if existing is None:
                raise
            return existing

    def by_dedup_key(self, key: str) -> Run | None:
        """The run queued under ``key``, or ``None``."""
        with self._store.session() as session:
            row = session.execute(select(RunRow).where(RunRow.dedup_key == key)).scalar()
            return None if row is None else _run(row)

    def ready(self, now: datetime | None = None, *, limit: int = 50) -> list[Run]:
        """Queued runs whose start time has come, oldest first."""
        now = now or utcnow()
        query = (
            select(RunRow)
            .where(
                RunRow.status == "queued",
                or_(RunRow.not_before.is_(None), RunRow.not_before <= now),
            )
            .order_by(RunRow.queued_at, RunRow.id)
            .limit(limit)
        )
        with self._store.session() as session:
            return [_run(row) for row in session.scalars(query)]

    def orphaned(self, now: datetime | None = None) -> list[Run]:
        """Running runs whose lease expired: their worker died, another may take them."""
        now = now or utcnow()
        query = select(RunRow).where(RunRow.status == "running", RunRow.lease_expires_at < now)
        with self._store.session() as session:
            return [_run(row) for row in session.scalars(query)]

    def postpone(self, run_id: str, not_before: datetime) -> bool:
        """Move a still-queued run's start time (a debounce window growing); False if started."""
        statement = (
            update(RunRow)
            .where(RunRow.id == run_id, RunRow.status == "queued")
            .values(not_before=not_before)
        )
        with self._store.session(write=True) as session:
            return bool(_rowcount(session.execute(statement)))

    def request_cancel(self, run_id: str) -> Run:
        """Cancel a queued run now; ask a running one's worker to stop it.

        Raises:
            InvalidTransitionError: the run has already finished.
        """
        with self._store.session(write=True) as session:
            queued = update(RunRow).where(RunRow.id == run_id, RunRow.status == "queued")
            now = utcnow()
            if _rowcount(
                session.execute(
                    queued.values(status="cancelled", finished_at=now, error="cancelled")
                )
            ):
                return _run(_fresh(session, run_id))
            running = update(RunRow).where(RunRow.id == run_id, RunRow.status == "running")
            if _rowcount(session.execute(running.values(cancel_requested=True))):
                return _run(_fresh(session, run_id))
            _refuse(session, run_id, "cancelled")
            raise AssertionError("unreachable")

    def running_count(self, pipeline: str) -> int:
        """Runs of ``pipeline`` running now (for its ``max_concurrent_runs``)."""
        query = select(func.count()).where(RunRow.pipeline == pipeline, RunRow.status == "running")
        with self._store.session() as session:
            return int(session.execute(query).scalar() or 0)

    def running(self) -> list[Run]:
        """Every running run."""
        query = select(RunRow).where(RunRow.status == "running")
        with self._store.session() as session:
            return [_run(row) for row in session.scalars(query)]

    def get(self, run_id: str) -> Run | None:
        """The run, or ``None``."""
        with self._store.session() as session:
            row = session.get(RunRow, run_id)
            return None if row is None else _run(row)

    def require(self, run_id: str) -> Run:
        """The run; raises :class:`NotFoundError` if there is none with this id."""
        run = self.get(run_id)
        if run is None:
            raise NotFoundError(f"no run with id {run_id!r}")
        return run

    def recent(
        self,
        *,
        pipeline: str | None = None,
        env: str | None = None,
        status: Iterable[str] | None = None,
        limit: int = 100,
    ) -> list[Run]:
        """Runs, newest first."""
        query = select(RunRow).order_by(RunRow.queued_at.desc(), RunRow.id).limit(limit)
        if pipeline is not None:
            query = query.where(RunRow.pipeline == pipeline)
        if env is not None:
            query = query.where(RunRow.env == env)
        if status is not None:
            query = query.where(RunRow.status.in_(list(status)))
        with self._store.session() as session:
            return [_run(row) for row in session.scalars(query)]

    def transition(self, run_id: str, to: RunStatus, *, error: str | None = None) -> Run:
        """Move the run to ``to`` if its current status allows it.

        Raises:
            InvalidTransitionError: the run's status does not allow ``to`` (it says which).
            NotFoundError: there is no such run.
        """
        allowed_from = [s for s, targets in TRANSITIONS.items() if to in targets]
        now = utcnow()
        values: dict[str, Any] = {"status": to}
        if to == "running":
            values["started_at"] = now
        if to in TERMINAL:
            values.update(finished_at=now, error=error, lease_owner=None, lease_expires_at=None)
        statement = (
            update(RunRow)
            .where(RunRow.id == run_id, RunRow.status.in_(allowed_from))
            .values(**values)
        )
        with self._store.session(write=True) as session:
            if _rowcount(session.execute(statement)) == 0:
                _refuse(session, run_id, to)
            return _run(_fresh(session, run_id))

    def claim(
        self, run_id: str, owner: str, lease: timedelta, *, limit: int | None = None
    ) -> Run | None:
        """Start the run for ``owner`` with a lease, or take it over if its lease expired.

        A queued run is not started while another running run (with a live lease) writes
        one of its tables (:meth:`blocker` names that run), nor while ``limit`` runs of its
        pipeline are running. The checks and the claim are one serialized transaction, so
        two workers cannot both start colliding runs.

        Returns:
            The running run, or ``None`` if another worker holds a live lease on it, it is
            no longer queued or running, or it must wait.
        """
        now = utcnow()
        expired = and_(RunRow.status == "running", RunRow.lease_expires_at < now)
        statement = (
            update(RunRow)
            .where(RunRow.id == run_id, or_(RunRow.status == "queued", expired))
            .values(
                status="running",
                started_at=func.coalesce(RunRow.started_at, now),
                attempt=RunRow.attempt + case((RunRow.status == "running", 1), else_=0),
                lease_owner=owner,
                lease_expires_at=now + lease,
            )
        )
        with self._store.session(write=True) as session:
            self._store.dialect.serialize(session.connection(), "claims")
            row = session.get(RunRow, run_id)
            if row is None:
                return None
            if row.status == "queued":
                if _blocker(session, _run(row), now) is not None:
                    return None
                if limit is not None and _running(session, row.pipeline, now) >= limit:
                    return None
            if _rowcount(session.execute(statement)) == 0:
                return None
            return _run(_fresh(session, run_id))

    def blocker(self, run: Run) -> Run | None:
        """A running run (live lease) that writes one of ``run``'s tables, if any."""
        with self._store.session() as session:
            return _blocker(session, run, utcnow())

    def take_over(self, run_id: str, dead_owner: str, owner: str, lease: timedelta) -> Run | None:
        """Claim a running run from ``dead_owner`` (known to be gone) before its lease ends.

        Returns:
            The run, as a new attempt of ``owner``; ``None`` if it is no longer
            ``dead_owner``'s (it finished, or someone else took it).
        """
        now = utcnow()
        statement = (
            update(RunRow)
            .where(
                RunRow.id == run_id,
                RunRow.status == "running",
                RunRow.lease_owner == dead_owner,
            )
            .values(attempt=RunRow.attempt + 1, lease_owner=owner, lease_expires_at=now + lease)
        )
        with self._store.session(write=True) as session:
            if _rowcount(session.execute(statement)) == 0:
                return None
            return _run(_fresh(session, run_id))

    def end_lease(self, run_id: str, owner: str) -> bool:
        """End ``owner``'s lease on a running run now, as if it had run out.

        For an owner known to be gone (its process no longer exists on this host): the run
        is then an orphan, recovered by the next worker that claims orphans, and it no
        longer holds back runs writing its tables. False if the run is no longer
        ``owner``'s.
        """
        statement = (
            update(RunRow)
            .where(RunRow.id == run_id, RunRow.status == "running", RunRow.lease_owner == owner)
            .values(lease_expires_at=utcnow() - timedelta(microseconds=1))
        )
        with self._store.session(write=True) as session:
            return bool(_rowcount(session.execute(statement)))

    def renew_lease(self, run_id: str, owner: str, lease: timedelta) -> bool:
        """Extend ``owner``'s lease; False if the run is no longer ``owner``'s."""
        statement = (
            update(RunRow)
            .where(RunRow.id == run_id, RunRow.status == "running", RunRow.lease_owner == owner)
            .values(lease_expires_at=utcnow() + lease)
        )
        with self._store.session(write=True) as session:
            return bool(_rowcount(session.execute(statement)))


def _rowcount(result: object) -> int:
    return cast(CursorResult[Any], result).rowcount


def _refuse(session: Session, run_id: str, to: str) -> None:
    current = session.execute(select(RunRow.status).where(RunRow.id == run_id)).scalar()
    if current is None:
        raise NotFoundError(f"no run with id {run_id!r}")
    raise InvalidTransitionError(f"run {run_id} is {current}; it cannot become {to}")


def _fresh(session: Session, run_id: str) -> RunRow:
    return session.execute(
        select(RunRow).where(RunRow.id == run_id).execution_options(populate_existing=True)
    ).scalar_one()


def _blocker(session: Session, run: Run, now: datetime) -> Run | None:
    if not run.writes:
        return None
    query = select(RunRow).where(
        RunRow.status == "running", RunRow.id != run.id, RunRow.lease_expires_at >= now
    )
    for row in session.scalars(query):
        other = _run(row)
        if run.collides(other):
            return other
    return None


def _running(session: Session, pipeline: str, now: datetime) -> int:
    query = select(func.count()).where(
        RunRow.pipeline == pipeline, RunRow.status == "running", RunRow.lease_expires_at >= now
    )
    return int(session.execute(query).scalar() or 0)


def _run(row: RunRow) -> Run:
    return Run(
        id=row.id,
        pipeline=row.pipeline,
        env=row.env,
        status=row.status,
        trigger=dict(row.trigger or {}),
        params=dict(row.params or {}),
        partition=row.partition,
        attempt=row.attempt,
        queued_at=row.queued_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
        dedup_key=row.dedup_key,
        not_before=row.not_before,
        steps=None if row.steps is None else list(row.steps),
        cancel_requested=bool(row.cancel_requested),
        writes=None if row.writes is None else list(row.writes),
    )
