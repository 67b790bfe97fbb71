"""How a step's attempts map: every START gets its end, whatever happened to the attempt."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sluiceway.events import emit
from sluiceway.events.sinks import drain_openlineage
from sluiceway.events.sinks.openlineage_naming import step_run_uuid
from sluiceway.events.types import RunCancelled, RunFailed, RunStarted, StepRetrying
from sluiceway.meta.catalog import TableDefinition
from sluiceway.meta.runs import RunRepo
from sluiceway.meta.schema_diff import Column
from support.openlineage import Hub, validate


def _drain(hub: Hub) -> list[dict[str, Any]]:
    report = drain_openlineage(hub.project, hub.store, timeout=10)
    assert report is not None and report.complete, report
    events = hub.lines()
    assert all(not validate(e) for e in events), [validate(e) for e in events]
    return events


def _runs(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for event in events:
        found[event["run"]["runId"]].append(event["eventType"])
    return found


def test_a_retried_step_is_one_failed_run_then_one_completed_run(file_hub: Hub) -> None:
    run = file_hub.start_run()
    first = file_hub.begin_step(run)
    file_hub.fail_step(run, first, "ConnectionError: lost the store")
    emit(
        file_hub.store,
        StepRetrying(
            run_id=run.id, pipeline="chain", step="first", error="lost", attempt=2, delay_s=1
        ),
    )
    file_hub.step(run, 0, attempt=2)
    file_hub.profile(0)
    file_hub.finish(run)

    runs = _runs(_drain(file_hub))
    assert runs[step_run_uuid(run.id, "first", 1)] == ["START", "FAIL"]
    assert runs[step_run_uuid(run.id, "first", 2)] == ["START", "COMPLETE"]
    assert runs[run.id] == ["START", "COMPLETE"]
    failed = next(e for e in file_hub.lines() if e["eventType"] == "FAIL")
    assert failed["run"]["facets"]["errorMessage"]["message"] == "ConnectionError: lost the store"
    completed = next(e for e in file_hub.lines() if e["eventType"] == "COMPLETE")
    assert completed["outputs"][0]["facets"]["version"]["datasetVersion"] == "0"


def test_an_attempt_whose_worker_died_is_aborted_when_the_run_is_taken_over(
    file_hub: Hub,
) -> None:
    run = file_hub.start_run()
    file_hub.begin_step(run)  # the worker dies here; another takes the run over
    emit(file_hub.store, RunStarted(run_id=run.id, pipeline="chain", attempt=2))
    file_hub.step(run, 0, attempt=2)
    file_hub.profile(0)
    file_hub.finish(run)

    events = _drain(file_hub)
    runs = _runs(events)
    assert runs[step_run_uuid(run.id, "first", 1)] == ["START", "ABORT"]
    assert runs[step_run_uuid(run.id, "first", 2)] == ["START", "COMPLETE"]
    assert runs[run.id] == ["START", "RUNNING", "COMPLETE"]


def test_steps_still_running_when_the_run_ends_are_aborted(file_hub: Hub) -> None:
    cancelled = file_hub.start_run()
    file_hub.begin_step(cancelled)
    RunRepo(file_hub.store).transition(cancelled.id, "cancelled")
    emit(file_hub.store, RunCancelled(run_id=cancelled.id, pipeline="chain", reason="by alice"))
    failed = file_hub.start_run()
    file_hub.begin_step(failed)
    RunRepo(file_hub.store).transition(failed.id, "failed")
    emit(file_hub.store, RunFailed(run_id=failed.id, pipeline="chain", error="lease lost"))

    events = _drain(file_hub)
    runs = _runs(events)
    assert runs[step_run_uuid(cancelled.id, "first")] == ["START", "ABORT"]
    assert runs[cancelled.id] == ["START", "ABORT"]
    assert runs[step_run_uuid(failed.id, "first")] == ["START", "ABORT"]
    assert runs[failed.id] == ["START", "FAIL"]
    ends = {e["run"]["runId"]: e for e in events if e["job"]["name"] == "chain"}
    assert ends[cancelled.id]["run"]["facets"]["errorMessage"]["message"] == "by alice"
    assert ends[failed.id]["run"]["facets"]["errorMessage"]["message"] == "lease lost"
    # Every run has exactly one START and one end.
    for kinds in runs.values():
        counts = Counter(k for k in kinds if k != "RUNNING")
        assert counts["START"] == 1 and sum(counts.values()) == 2


def test_a_run_cancelled_while_queued_is_only_aborted(file_hub: Hub) -> None:
    queued = RunRepo(file_hub.store).create("chain", "prod")
    RunRepo(file_hub.store).request_cancel(queued.id)
    emit(file_hub.store, RunCancelled(run_id=queued.id, pipeline="chain"))

    events = _drain(file_hub)
    assert [(e["job"]["name"], e["eventType"]) for e in events] == [("chain", "ABORT")]
    assert "errorMessage" not in events[0]["run"]["facets"]


def test_a_table_in_object_storage_is_named_by_bucket_and_key(file_hub: Hub) -> None:
    file_hub.store.catalog.register(
        TableDefinition("prod", "raw", "a", "s3://acme/lake/prod/raw/a", (Column("n", "int64"),))
    )
    run = file_hub.start_run()
    file_hub.step(run, 0)
    file_hub.profile(0)
    file_hub.finish(run)

    complete = next(e for e in _drain(file_hub) if e["eventType"] == "COMPLETE")
    (output,) = complete["outputs"]
    assert (output["namespace"], output["name"]) == ("s3://acme", "lake/prod/raw/a")
    assert output["facets"]["symlinks"]["identifiers"] == [
        {"namespace": "sluiceway://hub", "name": "raw.a", "type": "TABLE"}
    ]
