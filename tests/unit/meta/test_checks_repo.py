"""Check results: recorded in batches, read by run and by table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sluiceway.meta.checks import CheckResult

NOW = datetime(2024, 5, 1, tzinfo=UTC)


def _result(name: str, status: str, minutes: int = 0, **kw) -> CheckResult:
    return CheckResult(
        table="silver.orders",
        check_name=name,
        check_type=kw.pop("check_type", "not_null"),
        severity=kw.pop("severity", "error"),
        status=status,
        checked_at=NOW + timedelta(minutes=minutes),
        **kw,
    )


def test_record_and_read_by_run(store) -> None:
    recorded = store.checks.record(
        [
            _result("id_not_null", "passed", run_id="r1", step="load", observed=0),
            _result(
                "amount_range",
                "failed",
                run_id="r1",
                check_type="range",
                observed={"min": -3},
                failing_rows=2,
                sample=[{"id": 1, "amount": -3}],
                message="2 rows below 0",
            ),
        ]
    )
    assert all(r.id is not None for r in recorded)
    got = store.checks.for_run("r1")
    assert got == recorded
    assert got[1].sample == [{"id": 1, "amount": -3}] and got[1].observed == {"min": -3}
    assert got[1].checked_at.tzinfo is not None


def test_query_by_table_status_and_time_newest_first(store) -> None:
    store.checks.record(
        [
            _result("a", "passed", 0),
            _result("a", "failed", 1),
            _result("b", "warned", 2, severity="warn"),
            CheckResult("gold.x", "a", "unique", "error", "error", checked_at=NOW),
        ]
    )
    assert [(r.check_name, r.status) for r in store.checks.query(table="silver.orders")] == [
        ("b", "warned"),
        ("a", "failed"),
        ("a", "passed"),
    ]
    assert [r.status for r in store.checks.query(statuses=["failed", "error"])] == [
        "failed",
        "error",
    ]
    assert len(store.checks.query(since=NOW + timedelta(minutes=1))) == 2
    assert [r.status for r in store.checks.query(check_name="a", limit=1)] == ["failed"]
