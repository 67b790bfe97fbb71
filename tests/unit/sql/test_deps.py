"""table_refs and check_tables: dependencies inferred from plain layer.name tables."""

from __future__ import annotations

import pytest

from sluiceway.sql.deps import TableRef, check_tables, table_refs
from sluiceway.sql.errors import SqlError
from sluiceway.sql.parse import parse_query

KNOWN = ["raw.orders", "raw.customers", "silver.orders"]


def names(sql: str) -> list[str]:
    return [ref.name for ref in table_refs(parse_query(sql))]


def test_refs_are_deduplicated_in_order_of_first_appearance_with_positions() -> None:
    sql = (
        "select *\nfrom raw.orders o\njoin raw.customers c on o.c = c.id\njoin raw.orders x on true"
    )
    assert table_refs(parse_query(sql)) == [
        TableRef("raw.orders", 2, 6),
        TableRef("raw.customers", 3, 6),
    ]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("with o as (select * from raw.orders) select * from o", ["raw.orders"]),
        (
            "with a as (select * from raw.orders), b as (select * from a) select * from b",
            ["raw.orders"],
        ),
        (
            "with recursive r as (select 1 as n union all select n + 1 from r where n < 3) "
            "select * from r join raw.customers on true",
            ["raw.customers"],
        ),
        (
            "select * from (with x as (select * from silver.orders) select * from x) s",
            ["silver.orders"],
        ),
        # An inner WITH shadows the outer CTE only inside itself.
        (
            "with a as (select * from raw.orders) "
            "select * from (with a as (select * from raw.customers) select * from a) q, a",
            ["raw.orders", "raw.customers"],
        ),
        # A qualified name is never a CTE, even when a CTE has the same last part.
        ("with orders as (select 1) select * from raw.orders", ["raw.orders"]),
        (
            "select * from raw.orders where c in (select id from raw.customers) "
            "union select * from silver.orders",
            ["raw.orders", "raw.customers", "silver.orders"],
        ),
        (
            "select (select max(x) from raw.customers) from raw.orders",
            ["raw.customers", "raw.orders"],
        ),
        ("select * from range(3), unnest([1]) u(v)", []),
    ],
)
def test_ctes_subqueries_and_table_functions_are_not_dependencies(
    sql: str, expected: list[str]
) -> None:
    assert names(sql) == expected


def test_check_tables_returns_sorted_dependencies_in_their_catalog_spelling() -> None:
    query = parse_query('select * from silver.orders, Raw.Orders, "raw"."customers"')
    assert check_tables(query, KNOWN) == ["raw.customers", "raw.orders", "silver.orders"]


def test_an_unknown_table_suggests_the_closest_known_one() -> None:
    sql = "select *\nfrom raw.order"
    with pytest.raises(SqlError) as caught:
        check_tables(parse_query(sql), KNOWN, path="sql/a.sql", source=sql)
    assert str(caught.value).splitlines() == [
        "sql/a.sql:2:6: unknown table raw.order — did you mean 'raw.orders'?",
        "    from raw.order",
        "         ^^^^^^^^^",
    ]


def test_an_unknown_table_far_from_any_lists_its_layer() -> None:
    with pytest.raises(SqlError) as caught:
        check_tables(parse_query("select * from raw.zzz"), KNOWN)
    assert caught.value.message == "unknown table raw.zzz"
    assert caught.value.hint == "tables in raw: raw.customers, raw.orders"


def test_an_unqualified_table_needs_its_layer() -> None:
    with pytest.raises(SqlError) as caught:
        check_tables(parse_query("select * from customers"), KNOWN)
    assert caught.value.message == "table 'customers' needs its layer, e.g. raw.customers"


def test_a_catalog_is_refused() -> None:
    with pytest.raises(SqlError, match="has a catalog") as caught:
        check_tables(parse_query("select * from lake.raw.orders"), KNOWN)
    assert caught.value.hint == "write raw.orders"


def test_a_string_used_as_a_table_is_a_file() -> None:
    sql = "select * from 'orders.csv'"
    with pytest.raises(SqlError, match=r"'orders\.csv' is a file, not a table"):
        check_tables(parse_query(sql), KNOWN, source=sql)
