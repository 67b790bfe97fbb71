"""Typed events: a registry keyed by ``type``, payload split, tolerant reading."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest
from pydantic import ValidationError

from sluiceway.events import Event, GenericEvent, event_class, registered_types
from sluiceway.events.base import from_record, to_new_event
from sluiceway.events.types import CheckFailed, MetadataMigrated, TableCommitted
from sluiceway.meta.events import EventRecord

DOCS = Path(__file__).parents[3] / "docs" / "events.md"

EXPECTED = {
    "file.arrived", "file.failed", "table.committed", "run.queued", "run.started",
    "run.succeeded", "run.failed", "run.cancelled", "step.started", "step.succeeded",
    "step.failed", "step.retrying", "check.passed", "check.failed", "check.skipped",
    "sla.missed", "sla.recovered", "anomaly.detected", "schedule.tick", "webhook.received",
    "project.initialized", "metadata.migrated", "table.restored", "table.optimized",
    "table.vacuumed",
}  # fmt: skip


def _record(type_: str, payload: dict, **common) -> EventRecord:
    fields = {"run_id": None, "pipeline": None, "step": None, "table": None} | common
    time = datetime(2024, 1, 1, tzinfo=UTC)
    return EventRecord(id=7, type=type_, time=time, payload=payload, **fields)


def test_every_built_in_type_is_registered() -> None:
    assert set(registered_types()) >= EXPECTED
    assert event_class("table.committed") is TableCommitted


def test_common_fields_are_columns_and_the_rest_is_payload() -> None:
    event = TableCommitted(table="silver.orders", run_id="r", version=3, operation="merge")
    new = to_new_event(event)
    assert (new.type, new.table, new.run_id) == ("table.committed", "silver.orders", "r")
    assert new.payload == {"version": 3, "operation": "merge", "batch": None, "rows": None}


def test_round_trip_through_a_record() -> None:
    payload = {"check": "c", "check_type": "unique", "severity": "error", "failing_rows": 2}
    record = _record("check.failed", payload, table="silver.orders")
    event = from_record(record)
    assert isinstance(event, CheckFailed)
    assert (event.id, event.table, event.failing_rows) == (7, "silver.orders", 2)


def test_unknown_types_are_read_as_generic_events() -> None:
    event = from_record(_record("lake.compacted.v2", {"files": 3}, pipeline="p"))
    assert isinstance(event, GenericEvent)
    assert (event.type, event.data, event.pipeline) == ("lake.compacted.v2", {"files": 3}, "p")
    assert to_new_event(event).payload == {"files": 3}


def test_newer_payload_keys_are_ignored_and_invalid_payloads_degrade() -> None:
    payload = {"from_revision": "0001", "to_revision": "0002", "took_s": 1}
    newer = from_record(_record("metadata.migrated", payload))
    assert isinstance(newer, MetadataMigrated) and newer.to_revision == "0002"
    broken = from_record(_record("metadata.migrated", {"from_revision": "0001"}))
    assert isinstance(broken, GenericEvent) and broken.data == {"from_revision": "0001"}


def test_events_need_aware_times_and_known_fields() -> None:
    with pytest.raises(ValidationError):
        TableCommitted(version=1, operation="append", time=datetime(2024, 1, 1))
    with pytest.raises(ValidationError):
        TableCommitted(version=1, operation="append", colour="red")  # type: ignore[call-arg]


def test_subsystems_register_their_own_types() -> None:
    class BackfillPlanned(Event):
        type: Literal["test.backfill_planned"] = "test.backfill_planned"
        partitions: int

    assert event_class("test.backfill_planned") is BackfillPlanned
    event = from_record(_record("test.backfill_planned", {"partitions": 4}))
    assert isinstance(event, BackfillPlanned) and event.partitions == 4


def test_every_registered_type_is_documented() -> None:
    text = DOCS.read_text()
    missing = [name for name in EXPECTED if f"`{name}`" not in text]
    assert missing == []
