"""docs/alerts.md's example project runs, and sends the message the page shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sluiceway.meta.store import open_project_store
from sluiceway.observe.alerts import AlertEngine
from sluiceway.orchestrate.runner import run_pipeline
from sluiceway.orchestrate.triggers.clock import ManualClock
from sluiceway.spec.project import load_project
from support.receivers import HttpReceiver, SmtpReceiver

PAGE = Path(__file__).resolve().parents[4] / "docs" / "alerts.md"
_BLOCK = re.compile(r"^```([a-z]*)\n(.*?)^```", re.S | re.M)
_MARKER = re.compile(r"^# file: (\S+)\n")
_RUN_ID = re.compile(r"run [0-9a-f]{8}-[0-9a-f-]{27}")
_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")


def blocks(kind: str) -> list[str]:
    return [text for lang, text in _BLOCK.findall(PAGE.read_text("utf-8")) if lang == kind]


def normalized(text: str) -> str:
    text = text.replace("\r\n", "\n")  # SMTP carries lines with CRLF
    return _TIME.sub("TIME", _RUN_ID.sub("run RUN", text)).strip()


@pytest.fixture
def receivers() -> Iterator[tuple[SmtpReceiver, HttpReceiver]]:
    smtp, slack = SmtpReceiver().start(), HttpReceiver().start()
    yield smtp, slack
    smtp.stop()
    slack.stop()


def test_the_example_project_sends_the_message_shown(
    tmp_path: Path,
    receivers: tuple[SmtpReceiver, HttpReceiver],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smtp, slack = receivers
    for block in blocks("yaml"):
        marker = _MARKER.match(block)
        if marker:
            path = tmp_path / marker.group(1)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block[marker.end() :].replace("8025", str(smtp.port)), "utf-8")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.url)
    monkeypatch.setenv("PAGER_SIGNING_SECRET", "not-used-here")
    project = load_project(tmp_path)
    clock = ManualClock(datetime.now(UTC))
    with open_project_store(project) as store:
        engine = AlertEngine(project, store, clock=clock)
        assert run_pipeline(project, "orders", store).status == "succeeded"
        assert run_pipeline(project, "daily", store).status == "succeeded"
        failed = run_pipeline(project, "orders", store, params={"fail": "true"})
        assert failed.status == "failed"
        engine.run_once()
        engine.deliver_now()
        [(_, mail)] = smtp.wait_for(1)
        shown = next(b for b in blocks("text") if b.startswith("Subject: "))
        sent = f"Subject: {mail['Subject']}\n\n{mail.get_content()}"
        assert normalized(sent) == normalized(shown)
        assert len(slack.delivered()) == 1

        assert run_pipeline(project, "orders", store).status == "succeeded"
        clock.advance(timedelta(minutes=5))
        engine.run_once()
        engine.deliver_now()
        [_, (_, resolved)] = smtp.wait_for(2)
        assert resolved["Subject"].startswith("[shop/prod] RESOLVED run.failed")
