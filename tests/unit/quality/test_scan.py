"""One aggregate query for all of a gate's checks, run on DuckDB against known data."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
import pytest
from pydantic import TypeAdapter
from sqlglot import exp

from sluiceway.quality.scan import compile_scan, failing_rows_predicate
from sluiceway.spec.checks import Check
from sluiceway.sql.errors import SqlError

ORDERS = pa.table(
    {
        "id": pa.array([1, 2, 2, 3, None, 5], pa.int64()),
        "country": ["fr", "de", "xx", None, "fr", "fr"],
        "amount": [10.0, -1.0, 5.0, 100.0, 0.0, 1000.0],
        "email": ["a@b.io", "bad", None, "c@d.org", "e@f.fr", "g@h.com"],
        "status": ["paid", "paid", "open", "open", "paid", "void"],
    }
)


def checks(*specs: dict[str, Any]) -> list[Check]:
    adapter: TypeAdapter[Check] = TypeAdapter(Check)
    return [adapter.validate_python(spec) for spec in specs]


def run(found: list[Check]) -> dict[str, Any]:
    scan = compile_scan(found, exp.to_identifier("orders"))
    assert scan.query is not None
    con = duckdb.connect()
    con.register("orders", ORDERS)
    row = con.execute(scan.query.sql("duckdb")).fetchone()
    assert row is not None
    values = dict(zip([m.alias for m in scan.measures], row, strict=True))
    return {m.check.name: values[m.alias] for m in scan.measures}


def test_every_row_check_counts_its_failing_rows_in_one_query() -> None:
    found = run(
        checks(
            {"type": "not_null", "columns": ["id", "country"]},
            {"type": "accepted_values", "column": "country", "values": ["fr", "de"]},
            {"type": "range", "column": "amount", "min": 0, "max": 100},
            {"type": "regex", "column": "email", "pattern": r"[^@]+@[^@]+\.[a-z]{2,}"},
            {"type": "expression", "expr": "status <> 'void' OR amount = 0"},
            {"type": "unique", "columns": ["id"]},
            {"type": "row_count", "min": 1},
            {"type": "aggregate", "sql": "sum(amount)", "min": 0},
        )
    )
    assert found == {
        "not_null_id_country": 2,  # id null once, country null once
        "accepted_values_country": 1,  # xx (a null is not judged)
        "range_amount": 2,  # -1 and 1000
        "regex_email": 1,  # bad
        found_name("expression"): 1,  # void with an amount
        "unique_id": 1,  # 2 twice (a null key is not a duplicate)
        "row_count": 6,
        found_name("aggregate"): 1114.0,
    }


def found_name(kind: str) -> str:
    spec = {
        "expression": {"type": "expression", "expr": "status <> 'void' OR amount = 0"},
        "aggregate": {"type": "aggregate", "sql": "sum(amount)", "min": 0},
    }[kind]
    return str(checks(spec)[0].name)


def test_where_limits_each_check_to_its_rows() -> None:
    found = run(
        checks(
            {"type": "range", "column": "amount", "min": 0, "where": "status = 'paid'"},
            {"type": "row_count", "where": "status = 'open'", "name": "open_rows"},
            {"type": "aggregate", "sql": "max(amount)", "where": "country = 'fr'", "name": "top"},
            {"type": "unique", "columns": ["id"], "where": "status = 'paid'"},
        )
    )
    assert found == {"range_amount": 1, "open_rows": 2, "top": 1000.0, "unique_id": 0}


def test_exclusive_bounds_and_multi_column_keys() -> None:
    found = run(
        checks(
            {"type": "range", "column": "amount", "min": 0, "min_inclusive": False},
            {"type": "unique", "columns": ["id", "status"]},
        )
    )
    assert found == {"range_amount": 2, "unique_id_status": 0}  # -1 and 0; (2,paid) ≠ (2,open)


def test_checks_a_scan_cannot_evaluate_are_returned_with_the_reason() -> None:
    scan = compile_scan(
        checks(
            {"type": "relationships", "column": "country", "to": "raw.countries", "field": "code"},
            {"type": "freshness", "max_age": "1h"},
            {"type": "schema", "columns": {"id": "bigint"}},
        ),
        exp.to_identifier("orders"),
    )
    assert scan.query is None
    assert [(c.type, why) for c, why in scan.deferred] == [
        ("freshness", "measures the table's last commit, not its rows"),
    ]
    assert [c.type for c in scan.static] == ["schema"]
    assert [(lookup.check.type, lookup.table) for lookup in scan.lookups] == [
        ("relationships", "raw.countries")
    ]


def test_relationships_count_the_values_the_other_table_lacks() -> None:
    [lookup] = compile_scan(
        checks(
            {"type": "relationships", "column": "country", "to": "raw.countries", "field": "code"}
        ),
        exp.to_identifier("orders"),
    ).lookups
    con = duckdb.connect()
    con.register("orders", ORDERS)
    con.execute("CREATE SCHEMA raw")
    # The other table has a column named like the checked one: the lookup must not mix them.
    con.execute(
        "CREATE TABLE raw.countries AS "
        "SELECT * FROM (VALUES ('fr', 'x'), ('de', 'y')) t(code, country)"
    )
    assert con.execute(lookup.query.sql("duckdb")).fetchall() == [(1,)]  # xx; a null is not judged
    [scoped] = compile_scan(
        checks(
            {
                "type": "relationships",
                "column": "country",
                "to": "raw.countries",
                "field": "code",
                "where": "status = 'open'",
            }
        ),
        exp.to_identifier("orders"),
    ).lookups
    assert con.execute(scoped.query.sql("duckdb")).fetchall() == [(1,)]  # xx is open


def test_the_failing_rows_predicate_selects_exactly_the_counted_rows() -> None:
    [check] = checks({"type": "range", "column": "amount", "max": 100, "where": "country = 'fr'"})
    predicate = failing_rows_predicate(check)
    assert predicate is not None
    con = duckdb.connect()
    con.register("orders", ORDERS)
    query = exp.select("id").from_("orders").where(predicate)
    assert con.execute(query.sql("duckdb")).fetchall() == [(5,)]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "expression", "expr": "amount > (SELECT 1)"}, "not a query"),
        ({"type": "aggregate", "sql": "count(*) FROM read_csv('x')"}, "cannot parse"),
        ({"type": "expression", "expr": "read_text('/etc/passwd') IS NULL"}, "read_text"),
    ],
)
def test_user_sql_is_parsed_and_guarded(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(SqlError, match=message):
        compile_scan(checks(spec), exp.to_identifier("orders"))


def test_results_say_passed_only_for_checks_that_ran_and_held() -> None:
    from datetime import UTC, datetime

    from sluiceway.quality.judge import judge

    found = checks(
        {"type": "not_null", "columns": ["id"], "severity": "warn"},
        {"type": "range", "column": "amount", "min": 0, "severity": "block"},
        {"type": "row_count", "min": 10, "name": "enough_rows"},
        {"type": "freshness", "column": "seen_at", "max_age": "1h", "name": "fresh"},
        {"type": "schema", "columns": {"id": "bigint", "amount": "int"}},
        {"type": "relationships", "column": "country", "to": "raw.countries", "field": "code"},
        {"type": "freshness", "max_age": "1h", "name": "committed_lately"},
    )
    data = ORDERS.append_column("seen_at", pa.array([datetime(2026, 1, 1, 11, 30, tzinfo=UTC)] * 6))
    scan = compile_scan(found, exp.to_identifier("orders"))
    assert scan.query is not None
    con = duckdb.connect()
    con.register("orders", data)
    row = con.execute(scan.query.sql("duckdb")).fetchone()
    results = judge(
        scan,
        row,
        table="raw.orders",
        columns={"id": "BIGINT", "amount": "DOUBLE"},
        lookups=[2],
        now=datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
    )
    by_name = {r.check_name: r for r in results}
    assert (by_name["not_null_id"].status, by_name["not_null_id"].failing_rows) == ("warned", 1)
    assert (by_name["range_amount"].status, by_name["range_amount"].failing_rows) == ("failed", 1)
    assert by_name["enough_rows"].status == "failed"
    assert by_name["enough_rows"].message == "enough_rows is 6, below the minimum 10"
    assert by_name["fresh"].status == "passed"
    assert by_name["schema"].status == "failed"
    assert by_name["schema"].message == "amount is DOUBLE, expected int"
    relationships = by_name["relationships_country_raw_countries"]
    assert (relationships.status, relationships.failing_rows, relationships.message) == (
        "failed",
        2,
        "2 row(s) have a country missing from raw.countries",
    )
    # Staged data has no commit yet: the last commit's age is not judged by the gate.
    assert by_name["committed_lately"].status == "skipped"
    audited = judge(
        scan,
        row,
        table="raw.orders",
        columns={},
        lookups=[0],
        committed_at=datetime(2026, 1, 1, 9, 0, tzinfo=UTC),
        now=datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
    )
    late = {r.check_name: r for r in audited}["committed_lately"]
    assert (late.status, late.message) == (
        "failed",
        "last commit is 3:00:00 old; at most 1:00:00 allowed",
    )
