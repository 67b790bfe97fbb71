"""``sluiceway events``: tables, JSON, filters, and --follow ending cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import typer
from typer.testing import CliRunner

from sluiceway.cli import events_cmd
from sluiceway.cli.context import state
from sluiceway.events import EventLog
from sluiceway.events.types import RunStarted, StepFailed, TableCommitted


@pytest.fixture
def app(store, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setattr(state, "_store", store)
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test app with only the events command."""

    events_cmd.register(app)
    return app


def _seed(store) -> list[int]:
    log = EventLog(store)
    events = log.append_many(
        [
            RunStarted(run_id="r1", pipeline="orders"),
            TableCommitted(table="silver.orders", version=4, operation="merge", run_id="r1"),
            StepFailed(step="load", error="[i]x[/i]", pipeline="orders"),
        ]
    )
    return [e.id for e in events]  # type: ignore[misc]


def test_json_lists_the_last_events(app, store) -> None:
    ids = _seed(store)
    result = CliRunner().invoke(app, ["events", "--json", "--limit", "2"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["id"] for r in rows] == ids[1:]
    assert rows[0]["payload"]["version"] == 4 and rows[0]["table"] == "silver.orders"


def test_filters_by_type_and_since(app, store) -> None:
    ids = _seed(store)
    args = ["--type", "step.failed", "--type", "run.started", "--since", str(ids[0])]
    result = CliRunner().invoke(app, ["events", "--json", *args])
    assert [r["type"] for r in json.loads(result.output)] == ["step.failed"]


def test_table_output_shows_events(app, store) -> None:
    _seed(store)
    result = CliRunner().invoke(app, ["events"])
    assert result.exit_code == 0, result.output
    assert "table.committed" in result.output and "silver.orders" in result.output
    assert "error=[i]x[/i]" in result.output  # event data is not taken as markup


FOLLOWER = """
import sys, typer
from sluiceway.cli import events_cmd
from sluiceway.cli.context import state
from sluiceway.meta.store import open_store
state._store = open_store(sys.argv[1])
app = typer.Typer()
@app.callback()
def main() -> None: ...
events_cmd.register(app)
app(["events", "--follow", "--json", "--type", "step.failed"])
"""


def test_follow_prints_ndjson_and_stops_on_ctrl_c(store, metadata_url: str) -> None:
    log = EventLog(store)
    child = subprocess.Popen(
        [sys.executable, "-c", FOLLOWER, metadata_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        time.sleep(1.5)  # let it start following
        appended = [log.append(StepFailed(error=f"e{n}")).id for n in range(3)]
        log.append(RunStarted())  # filtered out
        lines: list[dict] = []
        assert child.stdout is not None
        while len(lines) < 3:
            lines.append(json.loads(child.stdout.readline()))
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=10)
    finally:
        child.kill()
    assert [line["id"] for line in lines] == appended
    assert out.strip() == ""  # nothing after Ctrl-C
    assert child.returncode == 0, err
    assert "Traceback" not in err
