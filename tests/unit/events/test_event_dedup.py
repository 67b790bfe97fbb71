"""Appending with a deduplication key: once per key, even when appenders race."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from sluiceway.events import EventLog, emit
from sluiceway.events.types import ScheduleTick, WebhookReceived
from sluiceway.meta.errors import ConflictError
from sluiceway.meta.events import NewEvent
from sluiceway.meta.store import open_store

TICK = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def _tick(pipeline: str = "orders") -> ScheduleTick:
    return ScheduleTick(pipeline=pipeline, schedule="0 6 * * *", scheduled_for=TICK)


def test_a_key_is_appended_once_and_find_returns_the_first(store) -> None:
    log = EventLog(store)
    first = log.append(_tick(), dedup_key="tick:orders:1")
    assert first is not None and first.id is not None
    assert log.append(_tick(), dedup_key="tick:orders:1") is None
    assert emit(store, _tick(), dedup_key="tick:orders:1") is None
    assert log.find("tick:orders:1") == first
    assert log.find("tick:orders:2") is None
    assert [e.id for e in log.read(types=["schedule.tick"])] == [first.id]


def test_events_without_a_key_are_never_deduplicated(store) -> None:
    log = EventLog(store)
    log.append(WebhookReceived(source="a"))
    log.append(WebhookReceived(source="a"))
    assert len(log.read(types=["webhook.received"])) == 2


def test_racing_appenders_in_two_stores_append_a_key_once(metadata_url: str) -> None:
    """Eight threads over two connections pools append the same key at once: one wins."""
    stores = [open_store(metadata_url), open_store(metadata_url)]
    barrier = threading.Barrier(8)
    results: list[object] = []

    def append(n: int) -> None:
        barrier.wait()
        results.append(emit(stores[n % 2], _tick(), dedup_key="race"))

    threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len([r for r in results if r is not None]) == 1
        assert len(EventLog(stores[0]).read(types=["schedule.tick"])) == 1
    finally:
        for store in stores:
            store.close()


def test_the_database_itself_refuses_a_second_row_with_a_key(store) -> None:
    """The unique index is the backstop for writers that skip the check-then-insert."""
    store.events.append([NewEvent("x.y", dedup_key="k")])
    with pytest.raises(ConflictError):
        store.events.append([NewEvent("x.y", dedup_key="k")])
    store.events.append([NewEvent("x.y"), NewEvent("x.y")])  # no key: no constraint


def test_long_keys_that_share_a_prefix_stay_distinct(store) -> None:
    log = EventLog(store)
    prefix = "file.arrived:s3://bucket/" + "deep/" * 80
    assert log.append(_tick(), dedup_key=prefix + "a.csv") is not None
    assert log.append(_tick(), dedup_key=prefix + "b.csv") is not None
    assert log.append(_tick(), dedup_key=prefix + "a.csv") is None
    assert log.find(prefix + "b.csv") is not None


def test_newest_filters_by_pipeline_and_pages_back(store) -> None:
    log = EventLog(store)
    for n in range(5):
        log.append(_tick("orders" if n % 2 == 0 else "refunds"))
    orders = log.newest(["schedule.tick"], pipeline="orders", limit=2)
    assert [e.pipeline for e in orders] == ["orders", "orders"]
    assert orders[0].id is not None and orders[1].id is not None
    assert orders[0].id > orders[1].id
    older = log.newest(["schedule.tick"], pipeline="orders", before_id=orders[1].id)
    assert len(older) == 1 and older[0].id is not None and older[0].id < orders[1].id
