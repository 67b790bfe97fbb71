"""Step logs: each attempt's records and prints in its own file, with the run and step ids;
``sluiceway logs`` reads them back; JSON logs carry the same fields."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sluiceway.cli.context import state
from sluiceway.cli.main import app
from sluiceway.logs import JsonFormatter, configure, step_log
from sluiceway.orchestrate.step_run import logs_folder

pytestmark = pytest.mark.slow

MODULE = """
import logging

import pyarrow as pa

log = logging.getLogger("shop.jobs")


def chatty(context):
    log.info("loading %s rows", 2)
    print("progress: half way")
    print("progress: done")
    return pa.table({"x": [1, 2]})


def broken(context):
    log.warning("about to fail")
    raise ValueError("the export is corrupt")
"""
PIPELINE = """
name: jobs
steps:
  - {name: chatty, type: python, function: jobs.py:chatty, table: silver.chatty}
  - {name: other, type: sql, query: SELECT 1 AS y, table: silver.other}
  - {name: broken, type: python, function: jobs.py:broken, table: silver.broken}
"""


def _cli(workspace: Any, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    for name in ("project_dir", "env", "_project"):
        monkeypatch.setattr(state, name, getattr(state, name))
    monkeypatch.setattr(state, "_store", workspace.store)
    return CliRunner().invoke(app, ["--project", str(workspace.root), *args])


@pytest.mark.parametrize("workers", [0, 1], ids=["in-process", "worker-process"])
def test_each_step_keeps_its_own_log_with_prints_and_the_failure(
    workspace: Any, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    workspace.write("python/jobs.py", MODULE)
    workspace.write("pipelines/jobs.yaml", PIPELINE)
    report = workspace.run("jobs", workers=workers)
    assert report.status == "failed"
    folder = logs_folder(workspace.project()) / report.run_id

    chatty = [json.loads(line) for line in (folder / "chatty.1.jsonl").read_text().splitlines()]
    assert [e["message"] for e in chatty] == [
        "loading 2 rows",
        "progress: half way",
        "progress: done",
    ]
    assert {(e["run_id"], e["pipeline"], e["step"], e["attempt"]) for e in chatty} == {
        (report.run_id, "jobs", "chatty", 1)
    }
    assert [e.get("stream") for e in chatty] == [None, "stdout", "stdout"]
    broken = [json.loads(line) for line in (folder / "broken.1.jsonl").read_text().splitlines()]
    assert broken[0]["message"] == "about to fail"
    assert broken[-1]["level"] == "ERROR"
    assert "the export is corrupt" in broken[-1]["message"]
    assert 'raise ValueError("the export is corrupt")' in broken[-1]["message"]  # user's frame

    shown = _cli(workspace, monkeypatch, "logs", report.run_id[:8])
    assert shown.exit_code == 0, shown.output
    assert "progress: half way" in shown.output and "about to fail" in shown.output
    only = _cli(workspace, monkeypatch, "logs", report.run_id[:8], "--step", "chatty", "--json")
    lines = [json.loads(line) for line in only.output.splitlines()]
    assert {e["step"] for e in lines} == {"chatty"} and len(lines) == 3
    followed = _cli(workspace, monkeypatch, "logs", report.run_id[:8], "--follow")
    assert followed.exit_code == 0 and "about to fail" in followed.output  # run over: returns


def test_json_logs_carry_the_run_and_step_of_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("json")
    try:
        with step_log(tmp_path, run_id="r-1", pipeline="p", step="s", attempt=2):
            logging.getLogger("sluiceway.test").warning("inside")
        logging.getLogger("sluiceway.test").warning("outside")
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "_sluiceway", False)]:
            root.removeHandler(handler)
    inside, outside = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert (inside["message"], inside["run_id"], inside["step"], inside["attempt"]) == (
        "inside",
        "r-1",
        "s",
        2,
    )
    assert outside["message"] == "outside" and "run_id" not in outside
    assert isinstance(JsonFormatter().format(logging.makeLogRecord({"msg": "x"})), str)
