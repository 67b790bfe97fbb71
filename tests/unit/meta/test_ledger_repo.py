"""File ledger: the same delivery is recorded once; new bytes are a new delivery."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sluiceway.meta.errors import InvalidTransitionError
from sluiceway.meta.ledger import fingerprint

T1 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
T2 = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)


def test_fingerprint_prefers_etag_then_mtime_and_size() -> None:
    assert fingerprint(size=10, mtime=T1, etag='"abc"') == "etag:abc"
    assert fingerprint(size=10, mtime=T1) == "mtime:2024-05-01T12:00:00+00:00:size:10"
    assert fingerprint(size=10, mtime=T1) != fingerprint(size=11, mtime=T1)


def test_the_same_delivery_is_recorded_once(store) -> None:
    first = store.ledger.observe("p", "s", "landing/a.csv", size=10, mtime=T1, content_hash="h1")
    again = store.ledger.observe("p", "s", "landing/a.csv", size=10, mtime=T1, content_hash="h1")
    assert first.is_new and not again.is_new
    assert again.record.id == first.record.id and again.record.status == "seen"


def test_a_rewritten_file_is_a_new_delivery(store) -> None:
    store.ledger.observe("p", "s", "landing/a.csv", size=10, mtime=T1)
    rewritten = store.ledger.observe("p", "s", "landing/a.csv", size=12, mtime=T2)
    assert rewritten.is_new
    assert len(store.ledger.by_path("p", "s", "landing/a.csv")) == 2


def test_etag_identifies_object_store_deliveries(store) -> None:
    a = store.ledger.observe("p", "s", "s3://b/a.csv", size=10, mtime=T1, etag="e1")
    listed_again = store.ledger.observe("p", "s", "s3://b/a.csv", size=10, mtime=T2, etag="e1")
    assert not listed_again.is_new and listed_again.record.id == a.record.id
    assert store.ledger.observe("p", "s", "s3://b/a.csv", size=10, etag="e2").is_new


def test_other_steps_track_their_own_deliveries(store) -> None:
    store.ledger.observe("p", "s", "a.csv", size=1, mtime=T1)
    assert store.ledger.observe("p", "other", "a.csv", size=1, mtime=T1).is_new


def test_mark_loaded_is_idempotent_for_its_batch(store) -> None:
    seen = store.ledger.observe("p", "s", "a.csv", size=1, mtime=T1, content_hash="h").record
    loaded = store.ledger.mark_loaded(
        seen.id, batch=3, table_version=7, rows_read=5, rows_loaded=4, rows_quarantined=1
    )
    assert (loaded.status, loaded.batch, loaded.rows_loaded) == ("loaded", 3, 4)
    assert loaded.loaded_at is not None
    again = store.ledger.mark_loaded(seen.id, batch=3, table_version=7, rows_read=5, rows_loaded=4)
    assert again == loaded
    with pytest.raises(InvalidTransitionError):
        store.ledger.mark_loaded(seen.id, batch=4, table_version=8, rows_read=5, rows_loaded=4)
    with pytest.raises(InvalidTransitionError):
        store.ledger.mark_failed(seen.id, "late failure")


def test_failed_deliveries_can_be_retried(store) -> None:
    seen = store.ledger.observe("p", "s", "a.csv", size=1, mtime=T1).record
    failed = store.ledger.mark_failed(seen.id, "bad header")
    assert (failed.status, failed.error) == ("failed", "bad header")
    assert [r.id for r in store.ledger.with_status("p", "s", ["seen", "failed"])] == [seen.id]
    loaded = store.ledger.mark_loaded(seen.id, batch=1, table_version=1, rows_read=1, rows_loaded=1)
    assert loaded.error is None


def test_content_hash_finds_the_same_bytes_under_another_name(store) -> None:
    a = store.ledger.observe("p", "s", "a.csv", size=1, mtime=T1, content_hash="h").record
    store.ledger.mark_loaded(a.id, batch=1, table_version=1, rows_read=1, rows_loaded=1)
    copy = store.ledger.observe("p", "s", "copy-of-a.csv", size=1, mtime=T2, content_hash="h")
    matches = store.ledger.by_content_hash("p", "s", "h")
    assert [m.uri for m in matches] == ["a.csv"]
    marked = store.ledger.mark(copy.record.id, "duplicate", reason=f"same bytes as {a.uri}")
    assert (marked.status, marked.error) == ("duplicate", "same bytes as a.csv")
