"""Check results: the outcome of every data quality check, per run and per table.

Results are facts, written once; the quality gate records a batch of them per step, and
reports, SLAs and the UI read them back by run or by table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Select, select

from sluiceway.meta.models import CheckResultRow, utcnow

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore

CheckStatus = Literal["passed", "failed", "warned", "skipped", "error"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's outcome; ``id`` is set once recorded.

    Attributes:
        observed: the measured value (a count, a ratio, a timestamp…), JSON-serializable.
        failing_rows: how many rows failed, when the check is row-level.
        sample: a few failing rows, for the person who has to fix them.
    """

    table: str
    check_name: str
    check_type: str
    severity: str
    status: CheckStatus
    run_id: str | None = None
    step: str | None = None
    observed: Any = None
    failing_rows: int | None = None
    sample: list[dict[str, Any]] | None = None
    message: str | None = None
    checked_at: datetime = field(default_factory=utcnow)
    id: int | None = None


class CheckRepo:
    """Records and reads check results."""

    def __init__(self, store: MetaStore) -> None:
        self._store = store

    def record(self, results: Sequence[CheckResult]) -> list[CheckResult]:
        """Store ``results`` in one transaction; returns them with their ids."""
        rows = [
            CheckResultRow(
                run_id=r.run_id,
                step=r.step,
                table_name=r.table,
                check_name=r.check_name,
                check_type=r.check_type,
                severity=r.severity,
                status=r.status,
                observed=r.observed,
                failing_rows=r.failing_rows,
                sample=r.sample,
                message=r.message,
                checked_at=r.checked_at,
            )
            for r in results
        ]
        with self._store.session(write=True) as session:
            session.add_all(rows)
            session.flush()
            return [replace(r, id=row.id) for r, row in zip(results, rows, strict=True)]

    def for_run(self, run_id: str) -> list[CheckResult]:
        """The run's results, in the order they were recorded."""
        query = select(CheckResultRow).where(CheckResultRow.run_id == run_id)
        return self._many(query.order_by(CheckResultRow.id))

    def query(
        self,
        *,
        table: str | None = None,
        check_name: str | None = None,
        statuses: Sequence[CheckStatus] | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[CheckResult]:
        """Results matching the filters, newest first."""
        query = select(CheckResultRow)
        if table is not None:
            query = query.where(CheckResultRow.table_name == table)
        if check_name is not None:
            query = query.where(CheckResultRow.check_name == check_name)
        if statuses is not None:
            query = query.where(CheckResultRow.status.in_(list(statuses)))
        if since is not None:
            query = query.where(CheckResultRow.checked_at >= since)
        order = (CheckResultRow.checked_at.desc(), CheckResultRow.id.desc())
        return self._many(query.order_by(*order).limit(limit))

    def _many(self, query: Select[Any]) -> list[CheckResult]:
        with self._store.session() as session:
            return [_result(row) for row in session.scalars(query)]


def _result(row: CheckResultRow) -> CheckResult:
    return CheckResult(
        id=row.id,
        run_id=row.run_id,
        step=row.step,
        table=row.table_name,
        check_name=row.check_name,
        check_type=row.check_type,
        severity=row.severity,
        status=row.status,  # type: ignore[arg-type]  # the CHECK constraint guarantees it
        observed=row.observed,
        failing_rows=row.failing_rows,
        sample=row.sample,
        message=row.message,
        checked_at=row.checked_at,
    )
