"""``sluiceway profile`` and ``sluiceway suggest [--write]`` on a table with a few commits."""

from __future__ import annotations

import json
from typing import Any

from sluiceway.cli.context import state
from sluiceway.cli.main import run
from sluiceway.meta.checks import CheckRepo

STEP = """
name: silver
steps:
  - name: orders
    type: sql
    query: SELECT order_id, amount, country FROM raw.orders
    table: silver.orders
    materialization: append
"""


def cli(seeded: Any, capsys: Any, *args: str) -> tuple[int, str, str]:
    state._project = None
    capsys.readouterr()
    code = run(["--project", str(seeded.root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_profile_then_suggest_then_write_in_shadow_mode(seeded: Any, capsys: Any) -> None:
    seeded.write("pipelines/silver.yaml", STEP)
    code, _, err = cli(seeded, capsys, "suggest", "silver.orders")
    assert code == 2 and "unknown table" in err  # nothing written yet
    for _ in range(3):
        assert seeded.run("silver").status == "succeeded"

    code, out, _ = cli(seeded, capsys, "profile", "silver.orders", "--json")
    shown = json.loads(out)
    assert shown["rows"] == 4 and shown["version"] == 2
    code, out, _ = cli(seeded, capsys, "profile", "silver.orders", "--history", "--json")
    assert [p["version"] for p in json.loads(out)] == [2, 1, 0]

    code, out, _ = cli(seeded, capsys, "suggest", "silver.orders", "--json")
    names = {s["name"] for s in json.loads(out)}
    assert {"not_null_order_id", "unique_order_id", "accepted_values_country"} <= names
    code, out, _ = cli(seeded, capsys, "suggest", "silver.orders")
    assert code == 0 and "mode: shadow" in out and "# no null in 3 commits" in out

    code, out, err = cli(seeded, capsys, "suggest", "silver.orders", "--write")
    assert code == 0, err
    text = (seeded.root / "pipelines" / "silver.yaml").read_text()
    assert "tables:" in text and "{type: not_null, columns: [order_id], mode: shadow}" in text
    report = seeded.run("silver")  # the project still loads, and the checks run in shadow
    assert report.status == "succeeded", report.steps
    results = {r.check_name: r for r in CheckRepo(seeded.store).for_run(report.run_id)}
    assert results["not_null_order_id"].status == "passed"
    assert results["unique_order_id"].status == "passed"  # the gate checks the new rows
    assert {r.check_name for r in results.values()} >= {"accepted_values_country", "row_count"}
    code, out, _ = cli(seeded, capsys, "suggest", "silver.orders", "--json")
    assert "not_null_order_id" not in {s["name"] for s in json.loads(out)}
