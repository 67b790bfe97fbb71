"""``watchers_for``: the watchers a project's triggers need, and no others."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sluiceway.orchestrate.triggers import ManualClock, TriggerSettings, watchers_for
from sluiceway.orchestrate.triggers.errors import TriggerConfigError
from sluiceway.orchestrate.triggers.files_local import LocalFilesWatcher
from sluiceway.orchestrate.triggers.files_s3 import S3FilesWatcher
from sluiceway.orchestrate.triggers.schedule import ScheduleWatcher
from sluiceway.orchestrate.triggers.webhook import WebhookServer
from support.triggers import make_project


def kinds(watchers: list) -> list[str]:
    return [type(w).__name__ for w in watchers]


def test_only_kinds_some_pipeline_uses_get_a_watcher(tmp_path, store) -> None:
    project = make_project(
        tmp_path,
        {
            "manual_only": "- manual",
            "downstream": "- {type: tables, tables: [silver.x_manual_only]}",
        },
    )
    assert watchers_for(project, store) == []


def test_every_kind_gets_one_watcher(tmp_path, store) -> None:
    project = make_project(
        tmp_path,
        {
            "orders": """
                - {type: files, glob: 'orders/*.csv'}
                - {type: schedule, cron: '0 6 * * *', timezone: Europe/Paris}
            """,
            "refunds": """
                - {type: files, glob: 'refunds/*.csv'}
                - {type: schedule, cron: '0 * * * *', catchup: true}
                - {type: webhook, name: refunds_ready}
            """,
        },
    )
    clock = ManualClock(datetime(2026, 1, 5, tzinfo=UTC))
    watchers = watchers_for(project, store, clock=clock, webhook_port=0)
    assert kinds(watchers) == ["ScheduleWatcher", "LocalFilesWatcher", "WebhookServer"]
    schedule, files, webhook = watchers
    assert isinstance(schedule, ScheduleWatcher) and len(schedule.schedules) == 2
    assert schedule.clock is clock
    assert isinstance(files, LocalFilesWatcher)
    assert files.root == str(tmp_path / "landing") and files.filter.globs == (
        "orders/*.csv",
        "refunds/*.csv",
    )
    assert isinstance(webhook, WebhookServer)
    assert (webhook.port, list(webhook.routes), webhook.s3) == (0, ["refunds_ready"], None)
    assert all(isinstance(w.name, str) for w in watchers)


def test_an_s3_landing_zone_is_listed_and_accepts_notifications(tmp_path, store) -> None:
    project = make_project(
        tmp_path,
        {"orders": "- {type: files, glob: 'orders/*.csv'}"},
        settings="name: shop\nlanding: s3://landing-bucket/in\n",
    )
    settings = TriggerSettings(s3_poll_interval=30, s3_hook_secret="${env:S3_HOOK_SECRET}")
    files, webhook = watchers_for(project, store, settings=settings)
    assert isinstance(files, S3FilesWatcher)
    assert (files.bucket, files.prefix, files.interval) == ("landing-bucket", "in", 30)
    assert isinstance(webhook, WebhookServer) and webhook.s3 is not None
    assert (webhook.port, webhook.s3.root, webhook.s3.secret) == (
        8787,
        "s3://landing-bucket/in",
        "${env:S3_HOOK_SECRET}",
    )


def test_pipelines_sharing_a_webhook_must_share_its_secret(tmp_path, store) -> None:
    project = make_project(
        tmp_path,
        {
            "a": "- {type: webhook, name: ready, secret: '${env:A_SECRET}'}",
            "b": "- {type: webhook, name: ready}",
        },
    )
    expected = "webhook 'ready' has different secrets in pipelines a, b"
    with pytest.raises(TriggerConfigError, match=expected):
        watchers_for(project, store)


def test_the_s3_webhook_name_is_reserved(tmp_path, store) -> None:
    project = make_project(tmp_path, {"a": "- {type: webhook, name: s3}"})
    with pytest.raises(TriggerConfigError, match="reserved"):
        watchers_for(project, store)
