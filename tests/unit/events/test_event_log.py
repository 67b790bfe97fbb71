"""The event log: durable appends, ordered reads, type filters, ids consumers can trust."""

from __future__ import annotations

import threading

from sluiceway.events import EventLog, GenericEvent, emit
from sluiceway.events.types import RunStarted, StepFailed, TableCommitted
from sluiceway.meta.events import NewEvent
from sluiceway.meta.store import open_store


def test_append_sets_ids_and_read_returns_typed_events(store) -> None:
    log = EventLog(store)
    first = log.append(RunStarted(run_id="r1", pipeline="orders"))
    second = log.append(TableCommitted(table="silver.orders", version=1, operation="append"))
    assert first.id is not None and second.id == first.id + 1
    read = log.read(after_id=first.id - 1)
    assert read == [first, second]
    assert isinstance(read[1], TableCommitted)
    assert log.latest_id() == second.id


def test_append_many_is_one_ordered_transaction(store) -> None:
    log = EventLog(store)
    events = log.append_many([StepFailed(error=f"e{n}", step="s") for n in range(50)])
    ids = [e.id for e in events]
    assert ids == list(range(ids[0], ids[0] + 50))
    errors = [e.error for e in log.read(after_id=ids[0] - 1, limit=100)]  # type: ignore[attr-defined]
    assert errors == [f"e{n}" for n in range(50)]
    assert log.append_many([]) == []


def test_types_filter_and_limit(store) -> None:
    log = EventLog(store)
    start = log.latest_id()
    log.append_many([RunStarted(), StepFailed(error="x"), RunStarted(), StepFailed(error="y")])
    failed = log.read(after_id=start, types=["step.failed"])
    assert [e.error for e in failed] == ["x", "y"]  # type: ignore[attr-defined]
    assert len(log.read(after_id=start, limit=3)) == 3
    assert [e.type for e in log.tail(1)] == ["step.failed"]


def test_unknown_types_in_the_log_are_read_as_generic(store) -> None:
    store.events.append([NewEvent("from.the.future", payload={"x": 1})])
    [event] = EventLog(store).tail(1)
    assert isinstance(event, GenericEvent) and event.data == {"x": 1}


def test_appends_are_durable_across_stores(metadata_url: str) -> None:
    with open_store(metadata_url) as writer:
        appended = emit(writer, RunStarted(run_id="r9"))
    with open_store(metadata_url) as reader:
        assert EventLog(reader).tail(1) == [appended]


def test_concurrent_appenders_never_let_a_reader_skip_an_id(store) -> None:
    """A tailing reader must see every id, even while four threads append at once."""
    log = EventLog(store)
    start = log.latest_id()
    writers, per_writer = 4, 50
    done = threading.Event()

    def write() -> None:
        for n in range(per_writer):
            log.append_many([StepFailed(error=str(n)), StepFailed(error=str(n))])

    seen: list[int] = []

    def tail() -> None:
        position = start
        while not (done.is_set() and position >= start + writers * per_writer * 2):
            for event in log.read(after_id=position, limit=1000):
                assert event.id is not None
                seen.append(event.id)
                position = event.id

    reader = threading.Thread(target=tail)
    reader.start()
    threads = [threading.Thread(target=write) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader.join(timeout=30)
    assert seen == list(range(start + 1, start + 1 + writers * per_writer * 2))
