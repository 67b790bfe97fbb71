"""Metric points: numbers measured per table or step over time (rows, durations, nulls).

Anomaly detectors read a subject's recent series, SLAs and dashboards read ranges; both
go through ``(name, subject, time)``, which is indexed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, union_all

from sluiceway.meta.models import MetricPointRow, utcnow

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One measured value; ``subject`` is a table (``silver.orders``) or ``pipeline.step``."""

    name: str
    subject: str
    value: float
    labels: Mapping[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    time: datetime = field(default_factory=utcnow)
    id: int | None = None


class MetricRepo:
    """Records and queries metric points."""

    def __init__(self, store: MetaStore) -> None:
        self._store = store

    def record(self, points: Sequence[MetricPoint]) -> list[MetricPoint]:
        """Store ``points`` in one transaction; returns them with their ids."""
        rows = [
            MetricPointRow(
                name=p.name,
                subject=p.subject,
                labels=dict(p.labels),
                value=float(p.value),
                run_id=p.run_id,
                time=p.time,
            )
            for p in points
        ]
        with self._store.session(write=True) as session:
            session.add_all(rows)
            session.flush()
            return [replace(p, id=row.id) for p, row in zip(points, rows, strict=True)]

    def query(
        self,
        name: str,
        subject: str | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        labels: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> list[MetricPoint]:
        """Points of metric ``name`` in ``[since, until)``, oldest first.

        ``labels`` keeps points whose labels include every given pair (filtered after
        reading: JSON containment is not portable across databases).
        """
        statement = select(MetricPointRow).where(MetricPointRow.name == name)
        if subject is not None:
            statement = statement.where(MetricPointRow.subject == subject)
        if since is not None:
            statement = statement.where(MetricPointRow.time >= since)
        if until is not None:
            statement = statement.where(MetricPointRow.time < until)
        statement = statement.order_by(MetricPointRow.time, MetricPointRow.id)
        with self._store.session() as session:
            points = [_point(row) for row in session.scalars(statement)]
        if labels:
            points = [p for p in points if all(p.labels.get(k) == v for k, v in labels.items())]
        return points[:limit] if limit is not None else points

    def recent(self, name: str, subject: str, n: int) -> list[MetricPoint]:
        """The last ``n`` points of a series, oldest first (what anomaly detectors read)."""
        statement = (
            select(MetricPointRow)
            .where(MetricPointRow.name == name, MetricPointRow.subject == subject)
            .order_by(MetricPointRow.time.desc(), MetricPointRow.id.desc())
            .limit(n)
        )
        with self._store.session() as session:
            points = [_point(row) for row in session.scalars(statement)]
        return points[::-1]

    def recent_many(
        self, series: Sequence[tuple[str, str, int]]
    ) -> dict[tuple[str, str], list[MetricPoint]]:
        """The last ``n`` points of each ``(name, subject, n)``, oldest first, in one query.

        One indexed, limited scan per series joined by ``UNION ALL``: a commit's watch
        judges a dozen series at once and pays one round trip, not a dozen.
        """
        found: dict[tuple[str, str], list[MetricPoint]] = {(s[0], s[1]): [] for s in series}
        if not series:
            return found
        table = MetricPointRow.__table__
        parts = [
            select(table)
            .where(table.c.name == name, table.c.subject == subject)
            .order_by(table.c.time.desc(), table.c.id.desc())
            .limit(n)
            .subquery()
            .select()
            for name, subject, n in dict.fromkeys(series)
        ]
        statement = parts[0] if len(parts) == 1 else union_all(*parts)
        with self._store.reader() as connection:
            rows = connection.execute(statement).mappings().all()
        for row in rows:
            found[(row["name"], row["subject"])].append(_point(row))
        for points in found.values():
            points.sort(key=lambda p: (p.time, p.id or 0))
        return found

    def latest(self, name: str, subject: str) -> MetricPoint | None:
        """The most recent point of a series, or ``None``."""
        points = self.recent(name, subject, 1)
        return points[0] if points else None


def _point(row: Any) -> MetricPoint:
    """A point from an ORM row or a Core row mapping."""
    get = row.__getitem__ if isinstance(row, Mapping) else row.__getattribute__
    return MetricPoint(
        id=get("id"),
        name=get("name"),
        subject=get("subject"),
        value=get("value"),
        labels=dict(get("labels") or {}),
        run_id=get("run_id"),
        time=get("time"),
    )
