"""The event types Sluiceway emits. Each is registered by subclassing :class:`Event`.

Field names are the payload's keys; the common fields (``run_id``, ``pipeline``, ``step``,
``table``, ``time``) are set on the event itself. Later subsystems may define more types
in their own modules the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from sluiceway.events.base import Event


class FileArrived(Event):
    """A file landed where an ingest step watches."""

    type: Literal["file.arrived"] = "file.arrived"
    uri: str
    size: int | None = None
    etag: str | None = None
    mtime: datetime | None = None
    path: str | None = None
    """Relative to the landing root, ``/``-separated: what a ``files`` trigger's glob matches."""


class FileFailed(Event):
    """A file could not be ingested (unreadable, schema contract broken…)."""

    type: Literal["file.failed"] = "file.failed"
    uri: str
    error: str


class TableCommitted(Event):
    """A Delta transaction was committed to ``table``."""

    type: Literal["table.committed"] = "table.committed"
    version: int
    operation: str
    batch: int | None = None
    rows: int | None = None


class ViewDefined(Event):
    """A view's SQL was stored in the catalog (a view has no Delta commits)."""

    type: Literal["view.defined"] = "view.defined"
    reads: list[str] = Field(default_factory=list)


class RunQueued(Event):
    """A run was queued; ``trigger`` says why (``{"kind": "files", "event_id": 42}``)."""

    type: Literal["run.queued"] = "run.queued"
    trigger: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    partition: str | None = None


class RunStarted(Event):
    """A worker started a run."""

    type: Literal["run.started"] = "run.started"
    attempt: int = 1


class RunSucceeded(Event):
    """Every step of a run succeeded."""

    type: Literal["run.succeeded"] = "run.succeeded"
    duration_s: float | None = None


class RunFailed(Event):
    """A run failed."""

    type: Literal["run.failed"] = "run.failed"
    error: str


class RunCancelled(Event):
    """A run was cancelled before it finished."""

    type: Literal["run.cancelled"] = "run.cancelled"
    reason: str | None = None


class StepStarted(Event):
    """A step attempt started."""

    type: Literal["step.started"] = "step.started"
    attempt: int = 1
    batch: int | None = None


class StepSucceeded(Event):
    """A step attempt succeeded."""

    type: Literal["step.succeeded"] = "step.succeeded"
    rows_out: int | None = None
    duration_s: float | None = None


class StepFailed(Event):
    """A step attempt failed and will not be retried."""

    type: Literal["step.failed"] = "step.failed"
    error: str
    attempt: int = 1


class StepRetrying(Event):
    """A step attempt failed with a transient error and will be retried."""

    type: Literal["step.retrying"] = "step.retrying"
    error: str
    attempt: int
    delay_s: float


class _CheckEvent(Event):
    check: str
    check_type: str
    severity: str
    observed: Any = None
    message: str | None = None


class CheckPassed(_CheckEvent):
    """A check passed."""

    type: Literal["check.passed"] = "check.passed"


class CheckFailed(_CheckEvent):
    """A check failed; ``severity`` says what happened to the data."""

    type: Literal["check.failed"] = "check.failed"
    failing_rows: int | None = None


class CheckSkipped(_CheckEvent):
    """A check was not run (its table is empty, or it does not apply)."""

    type: Literal["check.skipped"] = "check.skipped"


class SlaMissed(Event):
    """A table or pipeline missed its SLA (freshness, completion time)."""

    type: Literal["sla.missed"] = "sla.missed"
    sla: str
    expected_by: datetime | None = None
    detail: str | None = None
    env: str | None = None
    """The environment whose table missed it (one metadata store may serve several)."""
    last_commit: datetime | None = None
    """When the table was last committed (None: never)."""


class SlaRecovered(Event):
    """A missed SLA is met again."""

    type: Literal["sla.recovered"] = "sla.recovered"
    sla: str
    """As in the ``sla.missed`` it closes, so the two pair up."""
    env: str | None = None
    missed_id: int | None = None
    """The id of the ``sla.missed`` event this recovery closes."""
    last_commit: datetime | None = None
    detail: str | None = None


class AnomalyDetected(Event):
    """A metric left its expected range."""

    type: Literal["anomaly.detected"] = "anomaly.detected"
    metric: str
    subject: str | None = None
    """What the metric measures: a table, ``table.column`` or ``pipeline.step``."""
    value: float
    expected: float | None = None
    expected_low: float | None = None
    expected_high: float | None = None
    detector: str | None = None
    message: str | None = None


class ScheduleTick(Event):
    """A cron schedule fired."""

    type: Literal["schedule.tick"] = "schedule.tick"
    schedule: str
    scheduled_for: datetime
    timezone: str | None = None
    """The IANA zone the cron expression was read in (``scheduled_for`` is UTC)."""


class WebhookReceived(Event):
    """An HTTP webhook was received."""

    type: Literal["webhook.received"] = "webhook.received"
    source: str
    body: dict[str, Any] = Field(default_factory=dict)


class ProjectInitialized(Event):
    """``sluiceway init`` created a project."""

    type: Literal["project.initialized"] = "project.initialized"
    name: str
    path: str | None = None


class MetadataMigrated(Event):
    """The metadata store's schema was upgraded when it was opened."""

    type: Literal["metadata.migrated"] = "metadata.migrated"
    from_revision: str | None
    to_revision: str


class TableRestored(Event):
    """A table was restored to an earlier version (as a new version)."""

    type: Literal["table.restored"] = "table.restored"
    restored_version: int
    version: int


class TableOptimized(Event):
    """A table's small files were compacted (and optionally z-ordered)."""

    type: Literal["table.optimized"] = "table.optimized"
    version: int
    files_added: int | None = None
    files_removed: int | None = None


class TableVacuumed(Event):
    """Files no longer referenced by a table were deleted."""

    type: Literal["table.vacuumed"] = "table.vacuumed"
    files_deleted: int


class TableRetentionApplied(Event):
    """Rows older than a table's retention were deleted (and archived first, if configured)."""

    type: Literal["table.retention_applied"] = "table.retention_applied"
    cutoff: str
    column: str
    rows_deleted: int
    rows_archived: int = 0
    version: int | None = None
    archive: str | None = None
