"""Write-audit-publish: a ``sql`` step's checks run on its staged files before the commit.

ORDERS (the seeded raw table): order_id 1-4, amounts 5.0, 7.5, 20.0, 1.25, countries
fr, fr, de, fr.
"""

from __future__ import annotations

from typing import Any

from sluiceway.events import EventLog
from sluiceway.meta.checks import CheckRepo

STEP = """
name: silver
steps:
  - name: orders
    type: sql
    query: SELECT order_id, amount, country FROM raw.orders
    table: silver.orders
    checks:
{checks}
"""


def _pipeline(seeded: Any, *checks: str) -> None:
    listed = "\n".join(f"      - {c}" for c in checks)
    seeded.write("pipelines/silver.yaml", STEP.format(checks=listed))


def _results(seeded: Any, run_id: str) -> dict[str, Any]:
    return {r.check_name: r for r in CheckRepo(seeded.store).for_run(run_id)}


def test_passing_and_warning_checks_publish_and_are_recorded(seeded: Any) -> None:
    _pipeline(
        seeded,
        "{type: not_null, columns: [order_id]}",
        "{type: range, column: amount, max: 10, severity: warn}",
        "{type: relationships, column: country, to: raw.orders, field: country, severity: warn}",
    )
    report = seeded.run("silver")
    assert report.status == "succeeded", report.steps
    assert seeded.lake().table("silver.orders").read().num_rows == 4
    results = _results(seeded, report.run_id)
    assert results["not_null_order_id"].status == "passed"
    warned = results["range_amount"]
    assert (warned.status, warned.failing_rows) == ("warned", 1)
    assert warned.sample is not None and warned.sample[0]["amount"] == 20.0
    assert results["relationships_country_raw_orders"].status == "passed"
    events = EventLog(seeded.store).read(types=None, limit=100)
    types = [e.type for e in events if e.type.startswith("check.")]
    assert sorted(types) == ["check.failed", "check.passed", "check.passed"]


def test_relationships_look_values_up_in_the_other_table(seeded: Any) -> None:
    # Customer ids 10, 20, 30 exist as customer_id; as order ids only 1-4 do.
    _pipeline(
        seeded,
        "{type: relationships, name: known_order, column: order_id, to: raw.orders, "
        "field: order_id}",
        "{type: relationships, name: order_is_customer, column: order_id, to: raw.orders, "
        "field: customer_id, where: 'amount > 6'}",
    )
    report = seeded.run("silver")
    assert report.status == "succeeded", report.steps
    results = _results(seeded, report.run_id)
    assert results["known_order"].status == "passed"
    failed = results["order_is_customer"]
    assert (failed.status, failed.failing_rows) == ("failed", 2)  # orders 2 and 3
    assert sorted(r["order_id"] for r in failed.sample or []) == [2, 3]
    lake = seeded.lake()
    assert sorted(r["order_id"] for r in lake.table("silver.orders").read().to_pylist()) == [1, 4]
    quarantined = lake.table("silver.orders__quarantine").read().to_pylist()
    assert {r["order_id"]: r["_sw_failed_checks"] for r in quarantined} == {
        2: "order_is_customer",
        3: "order_is_customer",
    }


def test_error_checks_move_failing_rows_to_quarantine(seeded: Any) -> None:
    _pipeline(
        seeded,
        "{type: range, column: amount, min: 2}",
        "{type: accepted_values, column: country, values: [fr]}",
    )
    report = seeded.run("silver")
    assert report.status == "succeeded", report.steps
    lake = seeded.lake()
    published = lake.table("silver.orders").read().to_pylist()
    assert sorted(r["order_id"] for r in published) == [1, 2]
    quarantined = lake.table("silver.orders__quarantine").read().to_pylist()
    failed = {r["order_id"]: r["_sw_failed_checks"] for r in quarantined}
    assert failed == {3: "accepted_values_country", 4: "range_amount"}
    results = _results(seeded, report.run_id)
    assert results["range_amount"].failing_rows == 1
    assert results["accepted_values_country"].status == "failed"


def test_a_block_check_publishes_nothing(seeded: Any) -> None:
    _pipeline(seeded, "{type: row_count, min: 1, severity: block}")
    assert seeded.run("silver").status == "succeeded"
    version = seeded.lake().table("silver.orders").delta().version()
    _pipeline(seeded, "{type: row_count, max: 2, severity: block}")
    report = seeded.run("silver")
    assert report.status == "failed"
    [step] = report.steps
    assert "nothing was published" in str(step.error) and "row_count" in str(step.error)
    assert seeded.lake().table("silver.orders").delta().version() == version
    assert _results(seeded, report.run_id)["row_count"].status == "failed"


def test_shadow_checks_are_recorded_but_do_not_act(seeded: Any) -> None:
    _pipeline(seeded, "{type: row_count, max: 2, severity: block, mode: shadow}")
    report = seeded.run("silver")
    assert report.status == "succeeded", report.steps
    assert seeded.lake().table("silver.orders").read().num_rows == 4
    assert _results(seeded, report.run_id)["row_count"].status == "failed"


def test_the_checks_command_shows_the_latest_results_and_the_history(
    seeded: Any, capsys: Any
) -> None:
    import json

    from sluiceway.cli.main import run

    _pipeline(seeded, "{type: range, column: amount, max: 10, severity: warn}")
    seeded.run("silver")
    _pipeline(seeded, "{type: range, column: amount, max: 100, severity: warn}")
    seeded.run("silver")

    def checks(*args: str) -> Any:
        capsys.readouterr()
        assert run(["--project", str(seeded.root), "checks", *args, "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    [latest] = checks("silver.orders")
    assert (latest["check"], latest["status"], latest["failing_rows"]) == (
        "range_amount",
        "passed",
        0,
    )
    history = checks("silver.orders", "--history")
    assert [h["status"] for h in history] == ["passed", "warned"]
    assert history[1]["sample"][0]["amount"] == 20.0
    [failing] = checks("--history", "--failing")
    assert failing["status"] == "warned"
