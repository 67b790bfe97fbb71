"""``sluiceway alerts``: rules, recent alerts, deliveries, and a test message to a channel."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from sluiceway.cli import alerts_cmd
from sluiceway.cli.context import state
from sluiceway.events.types import RunFailed
from sluiceway.observe.alerts import AlertEngine
from sluiceway.observe.alerts.errors import DeliveryFailed
from support.alerts import alert_project, append
from support.receivers import HttpReceiver, free_port


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def project_root(tmp_path: Path, receiver: HttpReceiver) -> Path:
    root = tmp_path / "shop"
    alert_project(
        root,
        f'channels:\n  hook: {{type: webhook, url: "{receiver.url}"}}\n'
        f'  down: {{type: webhook, url: "http://127.0.0.1:{free_port()}/${{env:TOKEN}}"}}\n'
        "rules:\n"
        "  - {name: failures, on: [run.failed], pipelines: ['ingest_*'], channels: [hook],\n"
        "     group_by: [pipeline]}\n"
        "  - {name: blocking, on: [check.failed], severity: block, channels: [hook, down],\n"
        "     repeat_after: null}\n",
    )
    return root


@pytest.fixture
def cli(project_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    app = typer.Typer()

    @app.callback()
    def options() -> None:
        monkeypatch.setattr(state, "project_dir", project_root)
        monkeypatch.setattr(state, "env", None)

    alerts_cmd.register(app)
    for name in [n for n in os.environ if n.startswith("SLUICEWAY_")]:
        monkeypatch.delenv(name)
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    state.close()


def test_rules_lists_each_rule_and_channel(cli: Callable[..., Result]) -> None:
    result = cli("alerts", "rules")
    assert result.exit_code == 0, result.output
    assert "failures" in result.output and "pipelines ingest_*" in result.output
    assert "by pipeline; wait 0s, window 5m" in result.output
    assert "severity ≥ block" in result.output and "never" in result.output
    assert "hook" in result.output and "webhook" in result.output


def test_list_and_deliveries_show_what_fired_and_what_was_sent(
    cli: Callable[..., Result], project_root: Path, receiver: HttpReceiver
) -> None:
    assert "no alerts" in cli("alerts", "list").output
    store = state.store()
    engine = AlertEngine(state.project(), store)
    append(store, RunFailed(pipeline="ingest_orders", error="bad file"))
    engine.run_once()
    engine.deliver_now()
    assert len(receiver.delivered()) == 1

    listed = json.loads(cli("alerts", "list", "--firing", "--json").output)
    assert [(a["status"], a["subject"], a["occurrences"]) for a in listed] == [
        ("firing", "run:ingest_orders", 1)
    ]
    assert listed[0]["summary"] == "pipeline ingest_orders failed: bad file"
    sent = json.loads(cli("alerts", "deliveries", "--json").output)
    assert [(d["channel"], d["kind"], d["status"], d["attempts"]) for d in sent] == [
        ("hook", "alert", "sent", 1)
    ]
    assert "no messages" in cli("alerts", "deliveries", "--status", "failed").output


def test_test_sends_a_message_to_the_channel(
    cli: Callable[..., Result], receiver: HttpReceiver
) -> None:
    result = cli("alerts", "test", "hook")
    assert result.exit_code == 0, result.output
    assert "sent a test message to channel hook (webhook)" in result.output
    [request] = receiver.delivered()
    assert request.json()["kind"] == "test"
    assert request.headers["X-Sluiceway-Kind"] == "test"


def test_test_says_why_a_channel_failed_without_its_secret(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN", "tok-5e1f")
    result = cli("alerts", "test", "down")
    assert isinstance(result.exception, DeliveryFailed)
    assert "channel 'down'" in str(result.exception)
    assert "Connection refused" in str(result.exception)
    assert "tok-5e1f" not in str(result.exception)


def test_test_names_the_channels_there_are(cli: Callable[..., Result]) -> None:
    result = cli("alerts", "test", "hok")
    assert result.exception is not None
    assert str(result.exception) == "no alert channel 'hok' — did you mean 'hook'?"
