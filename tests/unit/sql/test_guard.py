"""guard_query: user SQL may only read catalog tables, optionally pinned to a version."""

from __future__ import annotations

import datetime as dt

import pytest

from sluiceway.sql.errors import SqlError
from sluiceway.sql.guard import DENIED_NAMES, TABLE_FUNCTIONS, Pin, guard_query, is_denied

KNOWN = ["raw.orders", "raw.customers"]


def refused(sql: str) -> SqlError:
    with pytest.raises(SqlError) as caught:
        guard_query(sql, KNOWN)
    return caught.value


def test_an_accepted_query_is_normalized_with_its_tables() -> None:
    guarded = guard_query("select o.id from raw.orders o join raw.customers c on o.c = c.id", KNOWN)
    assert guarded.sql == "SELECT o.id FROM raw.orders AS o JOIN raw.customers AS c ON o.c = c.id"
    assert guarded.tables == ("raw.customers", "raw.orders")
    assert guarded.pins == {}


def test_pins_are_read_and_removed() -> None:
    guarded = guard_query(
        "select * from raw.orders@v3 o join raw.customers@'2024-05-01T02:00:00+02:00' c on true",
        KNOWN,
    )
    assert guarded.sql == "SELECT * FROM raw.orders AS o JOIN raw.customers AS c ON TRUE"
    assert guarded.pins == {
        "raw.orders": Pin(version=3),
        "raw.customers": Pin(as_of=dt.datetime(2024, 5, 1, tzinfo=dt.UTC)),
    }


def test_a_naive_instant_is_utc() -> None:
    pins = guard_query("select * from raw.orders@'2024-05-01 10:00'", KNOWN).pins
    assert pins["raw.orders"].as_of == dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)


def test_an_at_sign_in_strings_and_comments_is_left_alone() -> None:
    guarded = guard_query(
        "select 'raw.orders@v3' as s -- raw.orders@v4\nfrom raw.orders /* x@v5 */", KNOWN
    )
    assert guarded.pins == {}
    assert "'raw.orders@v3'" in guarded.sql


@pytest.mark.parametrize(
    ("sql", "message", "column"),
    [
        ("select * from raw.orders@x", "'x' is not a version pin", 26),
        ("select * from raw.orders@'soon'", "'soon' is not an ISO 8601 instant", 26),
        ("select x @v1 from raw.orders", "a version pin must follow a table name", 10),
        (
            "select * from raw.orders@v1 join raw.orders@v2 on true",
            "raw.orders is pinned twice, to different versions",
            44,
        ),
        (
            "select * from raw.orders@v1, raw.orders",
            "raw.orders is read both pinned and unpinned",
            30,
        ),
    ],
)
def test_bad_pins_are_refused_at_their_position(sql: str, message: str, column: int) -> None:
    err = refused(sql)
    assert (err.message, err.line, err.column) == (message, 1, column)


def test_a_pin_does_not_shift_later_error_positions() -> None:
    err = refused("select * from raw.orders@v12 where read_text('x') is null")
    assert err.column == 36


@pytest.mark.parametrize(
    "sql",
    [
        "delete from raw.orders",
        "select 1; select 2",
        "attach 'x.db'",
        "copy raw.orders to 'x.csv'",
        "set threads = 1",
    ],
)
def test_what_parse_query_refuses_the_guard_refuses(sql: str) -> None:
    assert "a sql step must be a single SELECT" in refused(sql).message


@pytest.mark.parametrize(
    "function",
    [
        *sorted(DENIED_NAMES),
        *["read_csv", "read_parquet", "read_text", "parquet_metadata", "duckdb_settings"],
        *["pragma_version", "seq_scan", "delta_scan", "iceberg_scan"],
    ],
)
def test_each_denied_function_is_refused_as_a_scalar(function: str) -> None:
    err = refused(f"select 1 as a, {function}('x') as b from raw.orders")
    assert err.message.startswith(f"{function}() is not allowed")
    assert (err.column, err.length) == (16, len(function))


@pytest.mark.parametrize("function", ["read_csv", "glob", "query_table", "json_each", "summary"])
def test_table_functions_outside_the_allow_list_are_refused(function: str) -> None:
    err = refused(f"select * from raw.orders, {function}('x')")
    assert err.message.startswith(f"table function {function}() is not allowed")


def test_a_table_function_after_lateral_is_a_table_function() -> None:
    err = refused("select * from raw.orders, lateral json_each('{}')")
    assert err.message.startswith("table function json_each() is not allowed")


def test_allowed_table_functions_and_scalars_pass() -> None:
    sql = (
        "select r.i, upper(c.name) as n, u.v, g.generate_series "
        "from range(3) r(i), unnest([1, 2]) u(v), generate_series(1, 2) g, raw.customers c"
    )
    assert guard_query(sql, KNOWN).tables == ("raw.customers",)
    assert {"range", "generate_series", "unnest"} == TABLE_FUNCTIONS


def test_a_denied_function_in_a_nested_subquery_is_found() -> None:
    err = refused("select (select count(*) from glob('*')) as n")
    assert err.message.startswith("table function glob()")


def test_a_quoted_function_name_is_still_its_name() -> None:
    assert refused("select \"read_csv\"('x') as x").message.startswith("read_csv()")


def test_a_string_used_as_a_table_is_refused() -> None:
    err = refused("select * from 'orders.csv'")
    assert err.message == "'orders.csv' is a file: a query reads catalog tables only"
    assert (err.column, err.length) == (15, 12)


def test_unknown_tables_are_refused_with_the_closest_name() -> None:
    assert refused("select * from raw.order").message == (
        "unknown table raw.order — did you mean 'raw.orders'?"
    )


@pytest.mark.parametrize(
    ("name", "denied"),
    [("READ_CSV", True), ("arrow_scan", True), ("reader", False), ("globe", False)],
)
def test_is_denied(name: str, denied: bool) -> None:
    assert is_denied(name) is denied
