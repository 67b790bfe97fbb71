"""Inlining views: each view a query reads becomes its SELECT, under the name the query uses."""

from __future__ import annotations

import pytest

from sluiceway.sql.deps import table_refs
from sluiceway.sql.errors import SqlError
from sluiceway.sql.parse import parse_query
from sluiceway.sql.views import inline_views

VIEWS = {
    "gold.open_orders": "SELECT order_id, amount FROM silver.orders WHERE status = 'open'",
    "gold.big_open": "SELECT * FROM gold.open_orders WHERE amount > 100",
}


def tables(sql: str) -> list[str]:
    return [ref.name for ref in table_refs(parse_query(sql))]


def test_a_view_becomes_a_subquery_under_its_alias() -> None:
    query = parse_query("SELECT o.order_id FROM gold.open_orders AS o JOIN raw.x ON o.id = x.id")
    inlined, views = inline_views(query, VIEWS.get)
    assert views == ["gold.open_orders"]
    sql = inlined.sql("duckdb")
    assert "(SELECT order_id, amount FROM silver.orders WHERE status = 'open') AS o" in sql
    assert tables(sql) == ["silver.orders", "raw.x"]
    assert "gold.open_orders" in query.sql("duckdb")  # the input is left as it was


def test_an_unaliased_view_keeps_its_name_for_qualified_columns() -> None:
    inlined, _ = inline_views(
        parse_query("SELECT open_orders.amount FROM gold.open_orders"), VIEWS.get
    )
    assert ") AS open_orders" in inlined.sql("duckdb")
    assert tables(inlined.sql("duckdb")) == ["silver.orders"]


def test_views_over_views_are_inlined_all_the_way_down() -> None:
    inlined, views = inline_views(parse_query("SELECT count(*) FROM gold.big_open"), VIEWS.get)
    assert views == ["gold.open_orders", "gold.big_open"]
    assert tables(inlined.sql("duckdb")) == ["silver.orders"]


def test_a_query_without_views_is_unchanged() -> None:
    query = parse_query("SELECT * FROM silver.orders")
    inlined, views = inline_views(query, VIEWS.get)
    assert views == [] and inlined.sql("duckdb") == query.sql("duckdb")


def test_a_cycle_of_views_is_an_error_naming_it() -> None:
    cyclic = {"gold.a": "SELECT * FROM gold.b", "gold.b": "SELECT * FROM gold.a"}
    with pytest.raises(SqlError, match=r"cycle: gold\.a → gold\.b → gold\.a"):
        inline_views(parse_query("SELECT * FROM gold.a"), cyclic.get)
