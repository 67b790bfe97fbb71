"""Consumers: durable cursors, at-least-once delivery, stopping on handler failure."""

from __future__ import annotations

import threading
import time

import pytest

from sluiceway.events import Consumer, Event, EventLog
from sluiceway.events.errors import HandlerFailedError
from sluiceway.events.types import RunStarted, StepFailed
from sluiceway.meta.store import open_store


def _fill(log: EventLog, n: int) -> list[int]:
    return [e.id for e in log.append_many([RunStarted(run_id=str(i)) for i in range(n)])]  # type: ignore[misc]


def test_cursor_survives_a_new_store_and_consumer(metadata_url: str) -> None:
    with open_store(metadata_url) as store:
        log = EventLog(store)
        ids = _fill(log, 10)
        handled: list[int] = []
        consumer = Consumer(log, "audit", lambda e: handled.append(e.id), batch_size=4)
        assert consumer.run_until_idle() == 11  # 10 + the migration event
        assert handled[-10:] == ids
    with open_store(metadata_url) as store:
        log = EventLog(store)
        more = _fill(log, 3)
        again: list[int] = []
        restarted = Consumer(log, "audit", lambda e: again.append(e.id), batch_size=4)
        assert restarted.position == ids[-1]
        restarted.run_until_idle()
        assert again == more


def test_handler_failure_stops_before_the_failing_event(store) -> None:
    log = EventLog(store)
    ids = _fill(log, 6)
    bad = ids[3]
    handled: list[int] = []

    def handler(event: Event) -> None:
        if event.id == bad:
            raise ValueError("cannot handle")
        handled.append(event.id)  # type: ignore[arg-type]

    consumer = Consumer(log, "c", handler, batch_size=100, types=["run.started"])
    with pytest.raises(HandlerFailedError) as info:
        consumer.run_until_idle()
    assert info.value.event_id == bad and "cannot handle" in str(info.value)
    assert store.events.cursor("c") == ids[2]
    fixed: list[int] = []
    Consumer(log, "c", lambda e: fixed.append(e.id), types=["run.started"]).run_until_idle()
    assert fixed == ids[3:]


def test_before_commit_runs_before_the_cursor_moves(store) -> None:
    log = EventLog(store)
    _fill(log, 5)
    positions: list[int] = []
    consumer = Consumer(
        log,
        "flusher",
        lambda e: None,
        batch_size=2,
        before_commit=lambda: positions.append(store.events.cursor("flusher")),
    )
    consumer.run_until_idle()
    assert positions == sorted(positions) and positions[0] == 0
    assert store.events.cursor("flusher") > positions[-1]


def test_types_filter_delivers_only_those_types(store) -> None:
    log = EventLog(store)
    log.append_many([RunStarted(), StepFailed(error="a"), RunStarted(), StepFailed(error="b")])
    got: list[str] = []
    Consumer(log, "f", lambda e: got.append(e.error), types=["step.failed"]).run_until_idle()  # type: ignore[attr-defined]
    assert got == ["a", "b"]


def test_run_forever_handles_new_events_and_stops(store) -> None:
    log = EventLog(store)
    start = log.latest_id()
    got: list[int] = []
    stop = threading.Event()
    consumer = Consumer(log, "live", lambda e: got.append(e.id), types=["step.failed"])
    store.events.advance_cursor("live", start)
    worker = threading.Thread(target=consumer.run_forever, args=(stop,))
    worker.start()
    try:
        appended = [log.append(StepFailed(error=str(n))).id for n in range(20)]
        deadline = time.monotonic() + 10
        while len(got) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert got == appended
    finally:
        stop.set()
        worker.join(timeout=5)
    assert not worker.is_alive()
