"""Which landing paths count, how a delivery is keyed, and S3 notifications as arrivals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sluiceway.orchestrate.triggers.errors import NotificationError
from sluiceway.orchestrate.triggers.files import (
    FileFilter,
    arrival_key,
    file_arrived,
    is_candidate,
    pipelines_for_file,
)
from sluiceway.orchestrate.triggers.s3_notifications import arrivals_from_notification
from support.triggers import make_project

ROOT = "s3://landing-bucket/in"
CSV = FileFilter(("orders/*.csv", "**/*.json"))


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ("orders/a.csv", True),
        ("_processed/orders/a.csv", False),
        ("orders/.a.csv", False),
        ("orders/_scratch.csv", False),
        ("orders/a.csv.tmp", False),
        ("orders/a.csv.PART", False),
        (".hidden/a.csv", False),
    ],
)
def test_work_in_progress_and_processed_files_are_not_candidates(path: str, wanted: bool) -> None:
    assert is_candidate(path) is wanted


def test_a_filter_wants_candidates_some_glob_matches() -> None:
    assert CSV.accepts("orders/a.csv")
    assert not CSV.accepts("orders/2026/a.csv")  # * stays within a folder
    assert CSV.accepts("deep/er/x.json")
    assert not CSV.accepts("_processed/orders/a.csv")


def test_the_key_of_a_delivery_is_its_uri_and_fingerprint() -> None:
    quoted = file_arrived(uri="s3://b/a.csv", path="a.csv", size=3, etag='"abc"')
    assert quoted.etag == "abc"
    bare = file_arrived(uri="s3://b/a.csv", path="a.csv", size=3, etag="abc")
    assert arrival_key(quoted) == arrival_key(bare) == "file.arrived:s3://b/a.csv:etag:abc"
    mtime = datetime(2026, 1, 5, 6, tzinfo=UTC)
    local = file_arrived(uri="/l/a.csv", path="a.csv", size=3, mtime=mtime)
    changed = file_arrived(uri="/l/a.csv", path="a.csv", size=4, mtime=mtime)
    assert arrival_key(local) != arrival_key(changed)


def test_pipelines_for_a_file_are_those_whose_glob_matches(tmp_path) -> None:
    project = make_project(
        tmp_path,
        {
            "orders": "- {type: files, glob: 'orders/*.csv'}",
            "everything": "- {type: files, glob: '**/*.csv'}",
            "nightly": "- {type: schedule, cron: '0 1 * * *'}",
        },
    )
    assert sorted(pipelines_for_file(project, "orders/a.csv")) == ["everything", "orders"]
    assert pipelines_for_file(project, "refunds/b.csv") == ["everything"]
    assert pipelines_for_file(project, "_processed/orders/a.csv") == []


def _record(key: str, *, bucket: str = "landing-bucket", event: str = "ObjectCreated:Put") -> dict:
    return {
        "eventName": event,
        "s3": {
            "bucket": {"name": bucket},
            "object": {"key": key, "size": 42, "eTag": "0123abcd", "sequencer": "00"},
        },
    }


def test_an_s3_notification_becomes_arrivals_of_wanted_objects() -> None:
    notification = {
        "Records": [
            _record("in/orders/day+1.csv"),  # keys arrive URL-encoded
            _record("in/orders/a.csv", event="ObjectRemoved:Delete"),
            _record("in/orders/a.csv", bucket="other-bucket"),
            _record("elsewhere/orders/a.csv"),
            _record("in/_processed/orders/a.csv"),
            _record("in/orders/a.txt"),
        ]
    }
    [event] = arrivals_from_notification(notification, ROOT, CSV)
    assert (event.uri, event.path) == (f"{ROOT}/orders/day 1.csv", "orders/day 1.csv")
    assert (event.size, event.etag) == (42, "0123abcd")


def test_the_test_event_s3_sends_is_accepted_and_ignored() -> None:
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "landing-bucket"}
    assert arrivals_from_notification(test_event, ROOT, CSV) == []


@pytest.mark.parametrize(
    "body",
    [[], {"hello": 1}, {"Records": {}}, {"Records": [{"s3": {"bucket": {}}}]}],
)
def test_a_body_that_is_not_a_notification_is_refused(body: object) -> None:
    with pytest.raises(NotificationError):
        arrivals_from_notification(body, ROOT, CSV)
