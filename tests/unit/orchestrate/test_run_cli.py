"""``sluiceway run``: parameters given on the command line reach the SQL and the run record."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from sluiceway.cli.context import state
from sluiceway.cli.main import app

PIPELINE = """
name: daily
params: {d: 2026-01-01}
steps:
  - name: stamp
    type: sql
    query: >-
      SELECT '{{ params.d }}' AS d, '{{ params.at }}' AS at, {{ params.n }} AS n
    table: gold.stamp
"""


def _cli(seeded: Any, monkeypatch: Any, *args: str) -> Any:
    for name in ("project_dir", "env", "_project"):
        monkeypatch.setattr(state, name, getattr(state, name))
    monkeypatch.setattr(state, "_store", seeded.store)  # the fixture's open store
    return CliRunner().invoke(app, ["--project", str(seeded.root), *args])


def test_date_and_datetime_params_render_as_written_and_are_recorded(seeded, monkeypatch) -> None:
    seeded.write("pipelines/daily.yaml", PIPELINE)
    result = _cli(
        seeded,
        monkeypatch,
        "run",
        "daily",
        "-p",
        "d=2026-02-01",
        "-p",
        "at=2026-02-01T06:00:00",
        "-p",
        "n=3",
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["status"] == "succeeded", report
    row = seeded.lake().table("gold.stamp").read().select(["d", "at", "n"]).to_pylist()
    assert row == [{"d": "2026-02-01", "at": "2026-02-01T06:00:00", "n": 3}]
    run = seeded.store.runs.require(report["run_id"])
    assert run.params == {"d": "2026-02-01", "at": "2026-02-01T06:00:00", "n": 3}
