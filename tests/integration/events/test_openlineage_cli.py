"""``sluiceway run`` has no daemon: it sends its run's lineage before it exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sluiceway.cli.main import run as cli
from support.openlineage import validate

SETTINGS = """
name: shop
openlineage:
  file: lineage/events.jsonl
"""

PIPELINE = """
name: numbers
steps:
  - {name: build, type: sql, query: "SELECT 1 AS id", table: silver.numbers}
"""


def test_run_sends_its_lineage_before_it_exits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "sluiceway.yaml").write_text(SETTINGS, encoding="utf-8")
    (tmp_path / "pipelines" / "numbers.yaml").write_text(PIPELINE, encoding="utf-8")

    assert cli(["--project", str(tmp_path), "run", "numbers"]) == 0

    lines = (tmp_path / "lineage" / "events.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    kinds = sorted((e["job"]["name"], e["eventType"]) for e in events)
    assert kinds == [
        ("numbers", "COMPLETE"),
        ("numbers", "START"),
        ("numbers.build", "COMPLETE"),
        ("numbers.build", "START"),
    ]
    assert all(not validate(event) for event in events)
    assert "lineage:" not in capsys.readouterr().err  # everything was sent


def test_a_receiver_that_is_down_leaves_the_events_for_later_and_the_run_succeeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "sluiceway.yaml").write_text(
        "name: shop\nopenlineage: {url: 'http://127.0.0.1:9', timeout: 1s, retries: 0}\n",
        encoding="utf-8",
    )
    (tmp_path / "pipelines" / "numbers.yaml").write_text(PIPELINE, encoding="utf-8")

    assert cli(["--project", str(tmp_path), "run", "numbers"]) == 0

    err = capsys.readouterr().err
    assert "lineage: 0 event(s) sent" in err
    assert "left for the next run or `sluiceway serve`" in err
