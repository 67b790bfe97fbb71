"""``check`` steps audit a committed table: results recorded, the step fails on error/block."""

from __future__ import annotations

import time
from typing import Any

from sluiceway.meta.checks import CheckRepo

RAW = """
name: raw
tables:
  raw.orders:
    checks:
      - {{type: freshness, max_age: {age}, name: committed_lately}}
steps:
  - name: orders
    type: sql
    query: SELECT 1 AS order_id
    table: raw.orders
"""
PIPELINE = """
name: audit
steps:
  - name: orders
    type: check
    table: raw.orders
    checks:
{checks}
"""


def _pipeline(seeded: Any, *checks: str, age: str = "1h") -> None:
    listed = "\n".join(f"      - {c}" for c in checks)
    seeded.write("pipelines/raw.yaml", RAW.format(age=age))
    seeded.write("pipelines/audit.yaml", PIPELINE.format(checks=listed))


def _results(seeded: Any, run_id: str) -> dict[str, Any]:
    return {r.check_name: r for r in CheckRepo(seeded.store).for_run(run_id)}


def test_a_check_step_records_its_and_the_tables_checks(seeded: Any) -> None:
    _pipeline(
        seeded,
        "{type: not_null, columns: [order_id]}",
        "{type: range, column: amount, max: 10, severity: warn}",
    )
    report = seeded.run("audit")
    assert report.status == "succeeded", report.steps
    results = _results(seeded, report.run_id)
    assert results["not_null_order_id"].status == "passed"
    assert (results["range_amount"].status, results["range_amount"].failing_rows) == ("warned", 1)
    [sample] = results["range_amount"].sample or []
    assert (sample["order_id"], sample["amount"], sample["country"]) == (3, 20.0, "de")
    # The table-level freshness check measures the table's last commit, seconds ago.
    assert results["committed_lately"].status == "passed"
    assert seeded.lake().table("raw.orders").version() == 0  # an audit writes nothing


def test_a_failing_error_check_fails_the_step_after_recording(seeded: Any) -> None:
    _pipeline(seeded, "{type: accepted_values, column: country, values: [fr]}", age="1s")
    time.sleep(1.1)  # the seed's commit is now older than the table's freshness allows
    report = seeded.run("audit")
    assert report.status == "failed"
    [step] = report.steps
    assert "accepted_values_country (1 row(s) fail accepted_values_country)" in str(step.error)
    results = _results(seeded, report.run_id)
    assert results["accepted_values_country"].status == "failed"
    late = results["committed_lately"]
    assert late.status == "failed" and "last commit is" in str(late.message)
