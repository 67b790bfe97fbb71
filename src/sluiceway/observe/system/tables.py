"""The ``_system`` tables: names, columns, keys and how each is kept current.

Each table is described once here, as data: its Arrow schema (what the exporter writes),
the documentation the catalog shows for it and its columns (``sluiceway describe``), and
how it is exported — ``append`` (facts that never change, appended past the last id) or
``merge`` (rows that change, upserted on their key). ``docs/system-tables.md`` is kept in
line with these definitions by a test.

Every column is written nullable, even those the metadata store never leaves empty: the
lake treats a change of nullability as a schema change, and a column that later becomes
optional must not need a new schema version. Timestamps are UTC, to the microsecond; JSON
values (payloads, parameters, labels) are JSON text, keys sorted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from sluiceway.spec.references import SYSTEM_LAYER

TIMESTAMP = pa.timestamp("us", tz="UTC")
JSON_TEXT = pa.string()

Kind = Literal["append", "merge"]


@dataclass(frozen=True)
class SystemColumn:
    """One column of a system table."""

    name: str
    type: pa.DataType
    description: str


@dataclass(frozen=True)
class SystemTable:
    """One ``_system`` table.

    Attributes:
        name: the table's name in the ``_system`` layer.
        source: what the rows mirror, for ``_sw_source`` and the docs.
        kind: ``append`` for facts exported once each by ``id``; ``merge`` for rows that
            change, upserted on ``keys``.
        keys: the columns that identify a row.
    """

    name: str
    description: str
    source: str
    kind: Kind
    keys: tuple[str, ...]
    columns: tuple[SystemColumn, ...]

    @property
    def qualified_name(self) -> str:
        """``_system.<name>``, as queries name it."""
        return f"{SYSTEM_LAYER}.{self.name}"

    @property
    def schema(self) -> pa.Schema:
        """The Arrow schema the exporter writes (lineage columns are added by the lake)."""
        return pa.schema([pa.field(c.name, c.type, nullable=True) for c in self.columns])

    @property
    def column_names(self) -> tuple[str, ...]:
        """The exported columns, in order."""
        return tuple(c.name for c in self.columns)

    def empty(self) -> pa.Table:
        """A table with this schema and no rows."""
        return self.schema.empty_table()


def _c(name: str, type_: pa.DataType, description: str) -> SystemColumn:
    return SystemColumn(name, type_, description)


EVENTS = SystemTable(
    name="events",
    description="The event log, one row per event, in id order.",
    source="metadata:events",
    kind="append",
    keys=("id",),
    columns=(
        _c("id", pa.int64(), "The event's id: its position in the log, strictly increasing."),
        _c("type", pa.string(), "Event type, e.g. run.failed, table.committed."),
        _c("time", TIMESTAMP, "When the event happened (UTC)."),
        _c("run_id", pa.string(), "The run it belongs to, if any."),
        _c("pipeline", pa.string(), "The pipeline it concerns, if any."),
        _c("step", pa.string(), "The step it concerns, if any."),
        _c("table_name", pa.string(), "The table it concerns (layer.name), if any."),
        _c("payload", JSON_TEXT, "The event's other fields, as JSON text."),
    ),
)

RUNS = SystemTable(
    name="runs",
    description="Every run of every pipeline, with its current status.",
    source="metadata:runs",
    kind="merge",
    keys=("id",),
    columns=(
        _c("id", pa.string(), "The run id."),
        _c("pipeline", pa.string(), "The pipeline run."),
        _c("env", pa.string(), "The environment it ran in."),
        _c("status", pa.string(), "queued, running, succeeded, failed or cancelled."),
        _c("attempt", pa.int64(), "Attempt number: above 1 after a worker took the run over."),
        _c("partition", pa.string(), "The partition the run was for, if any."),
        _c("trigger_kind", pa.string(), "What queued it: manual, schedule, files, tables…"),
        _c("trigger", JSON_TEXT, "The trigger in full (kind, event id…), as JSON text."),
        _c("params", JSON_TEXT, "Parameters the run was given, as JSON text."),
        _c("steps", JSON_TEXT, "The steps selected, as a JSON list; null for every step."),
        _c("queued_at", TIMESTAMP, "When the run was queued (UTC)."),
        _c("started_at", TIMESTAMP, "When a worker started it (UTC)."),
        _c("finished_at", TIMESTAMP, "When it reached its final status (UTC)."),
        _c("duration_s", pa.float64(), "Seconds from start to finish; null until finished."),
        _c("error", pa.string(), "Why it failed or was cancelled."),
    ),
)

STEP_RUNS = SystemTable(
    name="step_runs",
    description="Every attempt of every step, with the batch and table version it committed.",
    source="metadata:step_runs",
    kind="merge",
    keys=("id",),
    columns=(
        _c("id", pa.int64(), "The step attempt's id."),
        _c("run_id", pa.string(), "The run it belongs to."),
        _c("pipeline", pa.string(), "The run's pipeline."),
        _c("step", pa.string(), "The step."),
        _c("status", pa.string(), "pending, running, succeeded, failed, skipped or cancelled."),
        _c("attempt", pa.int64(), "Attempt number of the step within the run."),
        _c("batch", pa.int64(), "The Delta app-transaction batch the attempt wrote."),
        _c("table_name", pa.string(), "The table it wrote (layer.name), if any."),
        _c("table_version", pa.int64(), "The table version it committed, if any."),
        _c("rows_in", pa.int64(), "Rows read."),
        _c("rows_out", pa.int64(), "Rows written."),
        _c("rows_quarantined", pa.int64(), "Rows sent to the quarantine table."),
        _c("started_at", TIMESTAMP, "When the attempt started (UTC)."),
        _c("finished_at", TIMESTAMP, "When it ended (UTC)."),
        _c("duration_s", pa.float64(), "Seconds from start to end; null while running."),
        _c("error", pa.string(), "Why it failed."),
        _c("metrics", JSON_TEXT, "The attempt's measurements, as JSON text."),
    ),
)

CHECK_RESULTS = SystemTable(
    name="check_results",
    description="The outcome of every data quality check.",
    source="metadata:check_results",
    kind="append",
    keys=("id",),
    columns=(
        _c("id", pa.int64(), "The result's id."),
        _c("run_id", pa.string(), "The run that checked, if any."),
        _c("step", pa.string(), "The step that checked, if any."),
        _c("table_name", pa.string(), "The table checked (layer.name)."),
        _c("check_name", pa.string(), "The check's name."),
        _c("check_type", pa.string(), "not_null, unique, freshness, …"),
        _c("severity", pa.string(), "warn, error or block."),
        _c("status", pa.string(), "passed, failed, warned, skipped or error."),
        _c("observed", JSON_TEXT, "The measured value, as JSON text."),
        _c("failing_rows", pa.int64(), "Rows that failed, for row-level checks."),
        _c("sample", JSON_TEXT, "A few failing rows, as a JSON list."),
        _c("message", pa.string(), "What the check found, in words."),
        _c("checked_at", TIMESTAMP, "When the check ran (UTC)."),
    ),
)

METRICS = SystemTable(
    name="metrics",
    description="Every metric point: numbers per table or pipeline.step over time.",
    source="metadata:metric_points",
    kind="append",
    keys=("id",),
    columns=(
        _c("id", pa.int64(), "The point's id."),
        _c("name", pa.string(), "Metric name, e.g. rows, duration_s."),
        _c("subject", pa.string(), "What was measured: a table, table.column or pipeline.step."),
        _c("labels", JSON_TEXT, "More dimensions, as JSON text."),
        _c("value", pa.float64(), "The value."),
        _c("run_id", pa.string(), "The run that measured it, if any."),
        _c("time", TIMESTAMP, "When it was measured (UTC)."),
    ),
)

SLA_STATES = SystemTable(
    name="sla_states",
    description="The current state of every SLA that has ever been missed: from the last "
    "sla.missed or sla.recovered event of each table or pipeline and SLA.",
    source="metadata:events(sla.missed,sla.recovered)",
    kind="merge",
    keys=("env", "subject", "sla"),
    columns=(
        _c("env", pa.string(), "The environment whose table or pipeline it is."),
        _c("subject", pa.string(), "The table (layer.name) or pipeline the SLA is about."),
        _c("subject_kind", pa.string(), "table or pipeline."),
        _c("sla", pa.string(), "The SLA's name, e.g. freshness."),
        _c("state", pa.string(), "missed, or met once it recovered."),
        _c("since", TIMESTAMP, "When the SLA entered this state (UTC): the event's time."),
        _c("expected_by", TIMESTAMP, "When a missed SLA was due (UTC), if the event said."),
        _c("detail", pa.string(), "What was missed, in words."),
        _c("event_id", pa.int64(), "The event that set this state."),
    ),
)

SYSTEM_TABLES: Mapping[str, SystemTable] = {
    t.qualified_name: t for t in (EVENTS, RUNS, STEP_RUNS, CHECK_RESULTS, METRICS, SLA_STATES)
}
"""Every system table by ``_system.<name>``, in export order."""


def is_system_table(name: str) -> bool:
    """Whether ``layer.name`` is in the reserved ``_system`` layer."""
    return name.split(".", 1)[0] == SYSTEM_LAYER
