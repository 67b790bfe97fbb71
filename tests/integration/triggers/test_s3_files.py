"""The s3:// files watcher against the S3 test endpoint, its interval on a hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from sluiceway.events.types import FileArrived
from sluiceway.lake.storage import S3Access
from sluiceway.orchestrate.triggers.clock import ManualClock
from sluiceway.orchestrate.triggers.files_s3 import S3FilesWatcher
from support.triggers import events_of

pytestmark = pytest.mark.s3

INTERVAL = 10.0


def access(endpoint) -> S3Access:
    env = endpoint.environ()
    return S3Access(
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region=env["AWS_REGION"],
        access_key_id=env["AWS_ACCESS_KEY_ID"],
        secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        allow_http=True,
    )


@pytest.fixture
def bucket(s3_endpoint) -> tuple[object, str]:
    """(boto3 client, bucket name) of a fresh bucket."""
    return s3_endpoint.client(), s3_endpoint.new_bucket()


@contextmanager
def watching(store, s3_endpoint, name: str, clock: ManualClock) -> Iterator[S3FilesWatcher]:
    """A started watcher whose first listing is done; stopped on exit."""
    watcher = S3FilesWatcher(
        store,
        f"s3://{name}/landing",
        ["orders/*.csv"],
        access=access(s3_endpoint),
        interval=INTERVAL,
        clock=clock,
    )
    watcher.start()
    try:
        clock.wait_for_sleepers(1)
        assert watcher.last_error is None
        yield watcher
    finally:
        watcher.stop()


def listing(clock: ManualClock) -> None:
    """Let one interval pass and wait for the watcher's listing to finish."""
    clock.advance(INTERVAL)
    clock.wait_for_sleepers(1)


def arrivals(store) -> list[FileArrived]:
    found = events_of(store, "file.arrived")
    assert all(isinstance(e, FileArrived) for e in found)
    return found  # type: ignore[return-value]


def test_new_and_changed_objects_are_handed_on_unchanged_ones_are_not(
    store, s3_endpoint, bucket
) -> None:
    client, name = bucket
    client.put_object(Bucket=name, Key="landing/orders/a.csv", Body=b"id\n1\n")
    client.put_object(Bucket=name, Key="landing/_processed/orders/old.csv", Body=b"id\n0\n")
    client.put_object(Bucket=name, Key="landing/orders/b.csv.part", Body=b"id\n")
    client.put_object(Bucket=name, Key="landing/refunds/r.csv", Body=b"id\n")
    clock = ManualClock(datetime(2026, 1, 5, tzinfo=UTC))
    with watching(store, s3_endpoint, name, clock):
        [first] = arrivals(store)  # the object already there at start
        assert (first.uri, first.path, first.size) == (
            f"s3://{name}/landing/orders/a.csv",
            "orders/a.csv",
            5,
        )
        head = client.head_object(Bucket=name, Key="landing/orders/a.csv")
        assert first.etag == head["ETag"].strip('"')

        client.put_object(Bucket=name, Key="landing/orders/b.csv", Body=b"id\n2\n")
        client.put_object(Bucket=name, Key="landing/orders/a.csv", Body=b"id\n1\n3\n")
        listing(clock)
        changed = arrivals(store)[1:]
        assert sorted((e.path, e.size) for e in changed) == [
            ("orders/a.csv", 7),
            ("orders/b.csv", 5),
        ]
        [rewritten] = [e for e in changed if e.path == "orders/a.csv"]
        assert rewritten.etag is not None and rewritten.etag != first.etag

        listing(clock)  # nothing changed across two listings: nothing new
        listing(clock)
        assert len(arrivals(store)) == 3


def test_a_restarted_watcher_does_not_hand_on_an_object_again(store, s3_endpoint, bucket) -> None:
    client, name = bucket
    client.put_object(Bucket=name, Key="landing/orders/a.csv", Body=b"id\n1\n")
    clock = ManualClock(datetime(2026, 1, 5, tzinfo=UTC))
    with watching(store, s3_endpoint, name, clock):
        pass
    with watching(store, s3_endpoint, name, clock):
        listing(clock)
    assert [e.path for e in arrivals(store)] == ["orders/a.csv"]


def test_an_unreachable_store_is_retried_not_fatal(store) -> None:
    clock = ManualClock(datetime(2026, 1, 5, tzinfo=UTC))
    dead = S3Access(
        endpoint_url="http://127.0.0.1:9",
        region="us-east-1",
        access_key_id="k",
        secret_access_key="s3cr3t-value",
        allow_http=True,
    )
    watcher = S3FilesWatcher(store, "s3://nowhere/x", ["*.csv"], access=dead, clock=clock)
    watcher.start()
    try:
        clock.wait_for_sleepers(1, timeout=60)
        assert watcher.running and watcher.last_error is not None
        assert "s3cr3t-value" not in watcher.last_error
    finally:
        watcher.stop()
