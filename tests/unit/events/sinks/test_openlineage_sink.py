"""The sink as an operator sees it: what it sends, when it waits, what it keeps, and that
a run never waits for it. Runs and steps are recorded by hand in a real metadata store."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from sluiceway.events import emit
from sluiceway.events.sinks import RetryPolicy, drain_openlineage, openlineage_sink
from sluiceway.events.types import FileArrived
from sluiceway.meta.runs import Run
from support.openlineage import Hub, Receiver, free_port, validate

FAST = RetryPolicy(attempts=3, first_delay=0.05, max_delay=0.1, pause=60, not_ready_delay=0.05)


def _completed_run(hub: Hub) -> Run:
    run = hub.start_run()
    hub.step(run, 0)
    hub.profile(0)
    hub.finish(run)
    return run


def test_nothing_is_built_without_openlineage_settings(tmp_path: Path) -> None:
    hub = Hub(tmp_path / "hub", None)
    assert openlineage_sink(hub.project, hub.store) is None
    assert drain_openlineage(hub.project, hub.store) is None
    hub.store.close()


def test_a_drain_sends_each_run_and_step_start_and_end(file_hub: Hub) -> None:
    run = _completed_run(file_hub)
    emit(file_hub.store, FileArrived(uri="file:///x.csv"))  # maps to nothing
    report = drain_openlineage(file_hub.project, file_hub.store)
    assert report is not None and report.complete and report.delivered == 4
    events = file_hub.lines()
    assert [(e["job"]["name"], e["eventType"]) for e in events] == [
        ("chain", "START"),
        ("chain.first", "START"),
        ("chain.first", "COMPLETE"),
        ("chain", "COMPLETE"),
    ]
    assert all(not validate(e) for e in events)
    complete = events[2]
    output = complete["outputs"][0]
    assert output["facets"]["version"]["datasetVersion"] == "0"
    assert output["facets"]["dataQualityMetrics"]["rowCount"] == 3
    assert output["facets"]["dataQualityAssertions"]["assertions"] == [
        {"assertion": "not_null", "success": True, "severity": "error", "name": "n", "actual": "0"}
    ]
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == 3
    assert complete["run"]["facets"]["parent"]["run"]["runId"] == run.id
    assert complete["job"]["facets"]["ownership"]["owners"] == [{"name": "team-a"}]
    # The cursor moved: a second drain sends nothing.
    again = drain_openlineage(file_hub.project, file_hub.store)
    assert again is not None and again.delivered == 0 and len(file_hub.lines()) == 4


def test_a_step_waits_for_its_profile_while_its_run_goes_on(file_hub: Hub) -> None:
    run = file_hub.start_run()
    file_hub.step(run, 0)
    sink = openlineage_sink(file_hub.project, file_hub.store, policy=FAST)
    assert sink is not None
    report = sink.drain(timeout=0.5)
    assert report.pending == 1  # step.succeeded is held back, not dropped
    assert [e["eventType"] for e in file_hub.lines()] == ["START", "START"]
    file_hub.profile(0)
    report = sink.drain(timeout=5)
    assert report.complete
    complete = file_hub.lines()[-1]
    assert complete["eventType"] == "COMPLETE"
    assert complete["outputs"][0]["facets"]["dataQualityMetrics"]["rowCount"] == 3
    sink.stop()


def test_a_step_of_a_finished_run_goes_without_a_profile_that_never_came(file_hub: Hub) -> None:
    run = file_hub.start_run()
    file_hub.step(run, 0)
    file_hub.finish(run)
    report = drain_openlineage(file_hub.project, file_hub.store, timeout=5)
    assert report is not None and report.complete
    complete = next(
        e
        for e in file_hub.lines()
        if e["job"]["name"] == "chain.first" and e["eventType"] == "COMPLETE"
    )
    assert "dataQualityMetrics" not in complete["outputs"][0]["facets"]


def test_a_receiver_that_is_down_keeps_every_event_for_later(tmp_path: Path) -> None:
    port = free_port()
    hub = Hub(tmp_path / "hub", f"  url: http://127.0.0.1:{port}\n  file: lineage.jsonl\n")
    _completed_run(hub)
    sink = openlineage_sink(hub.project, hub.store, policy=FAST)
    assert sink is not None
    started = time.monotonic()
    first = sink.drain(timeout=1)
    assert time.monotonic() - started < 2  # bounded, whatever the retry settings
    assert first.pending == 4 and not first.complete
    assert "unreachable" in (first.error or "")
    assert hub.store.events.cursor("openlineage") == 0
    for _ in range(3):
        sink.drain(timeout=0.3)
    # The file took the first event once; it is not written again on each retry.
    assert [e["eventType"] for e in hub.lines()] == ["START"]

    receiver = Receiver(port)
    try:
        last = sink.drain(timeout=10)
        assert last.complete and last.error is None
        assert [(e["job"]["name"], e["eventType"]) for e in receiver.events] == [
            (e["job"]["name"], e["eventType"]) for e in hub.lines()
        ]
        assert len(receiver.events) == 4
    finally:
        receiver.close()
        sink.stop()
        hub.store.close()


def test_an_event_the_receiver_refuses_is_passed_over_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = Receiver(status=400)
    hub = Hub(tmp_path / "hub", f"  url: {receiver.url}\n")
    _completed_run(hub)
    try:
        report = drain_openlineage(hub.project, hub.store, timeout=5)
        assert report is not None
        assert report.complete and report.rejected == 4 and report.delivered == 0
        assert "refused the lineage of event" in caplog.text
    finally:
        receiver.close()
        hub.store.close()


def test_a_running_sink_sends_as_events_are_appended_and_stops_at_once(file_hub: Hub) -> None:
    sink = openlineage_sink(file_hub.project, file_hub.store, policy=FAST)
    assert sink is not None
    sink.start()
    try:
        _completed_run(file_hub)
        deadline = time.monotonic() + 10
        while len(file_hub.lines()) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(file_hub.lines()) == 4
    finally:
        started = time.monotonic()
        sink.stop()
        assert time.monotonic() - started < 2
    assert not sink.running


def test_stop_interrupts_the_wait_between_rounds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    hub = Hub(tmp_path / "hub", f"  url: http://127.0.0.1:{free_port()}\n")
    sink = openlineage_sink(hub.project, hub.store, policy=FAST)  # pause: 60 s
    assert sink is not None
    sink.start()
    _completed_run(hub)
    deadline = time.monotonic() + 10
    while sink.last_error is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "not delivered" in (sink.last_error or "")
    started = time.monotonic()
    sink.stop()
    assert time.monotonic() - started < 2
    assert hub.store.events.cursor("openlineage") == 0
    hub.store.close()
