"""column_lineage: each output column's base-table columns, through everything in between."""

from __future__ import annotations

import pytest

from sluiceway.sql.errors import SqlError
from sluiceway.sql.lineage import ColumnSource, LineageEdge, column_lineage, lineage_edges
from sluiceway.sql.parse import parse_query

SCHEMAS = {
    "raw.orders": ["id", "customer_id", "amount", "ts"],
    "raw.customers": ["id", "name", "country"],
}
ORD = "raw.orders"
CUS = "raw.customers"


def lineage(sql: str) -> dict[str, list[ColumnSource]]:
    return column_lineage(parse_query(sql), SCHEMAS)


def cols(*pairs: tuple[str, str]) -> list[ColumnSource]:
    return [ColumnSource(table, column) for table, column in pairs]


def test_through_a_cte_a_join_aggregates_windows_and_case() -> None:
    result = lineage(
        """
        with o as (select customer_id, amount * 2 as doubled, ts from raw.orders where id > 0)
        select c.name,
               sum(o.doubled) as total,
               case when c.country = 'DE' then o.doubled else 0 end as de,
               row_number() over (partition by c.country order by o.ts) as rn,
               count(*) as n,
               1 as one
        from o join raw.customers c on o.customer_id = c.id
        group by all
        """
    )
    assert list(result) == ["name", "total", "de", "rn", "n", "one"]
    assert result["name"] == cols((CUS, "name"))
    assert result["total"] == cols((ORD, "amount"))  # not id: a filter is not lineage
    assert result["de"] == cols((CUS, "country"), (ORD, "amount"))
    assert result["rn"] == cols((CUS, "country"), (ORD, "ts"))
    assert result["n"] == []
    assert result["one"] == []


def test_star_and_table_star_are_expanded_from_the_schemas() -> None:
    assert list(lineage("select * from raw.orders")) == SCHEMAS[ORD]
    result = lineage("select o.*, upper(c.name) as shout from raw.orders o, raw.customers c")
    assert list(result) == [*SCHEMAS[ORD], "shout"]
    assert result["amount"] == cols((ORD, "amount"))
    assert result["shout"] == cols((CUS, "name"))


def test_set_operations_union_the_branches() -> None:
    result = lineage("select id from raw.orders union all select id from raw.customers")
    assert result == {"id": cols((CUS, "id"), (ORD, "id"))}


def test_subqueries_in_from_and_in_the_select_list() -> None:
    result = lineage(
        "select x, (select max(amount) from raw.orders) as top "
        "from (select name as x from raw.customers) s"
    )
    assert result == {"x": cols((CUS, "name")), "top": cols((ORD, "amount"))}


def test_nested_ctes() -> None:
    result = lineage(
        "with a as (select amount from raw.orders), b as (select amount + 1 as a1 from a) "
        "select a1 from b"
    )
    assert result == {"a1": cols((ORD, "amount"))}


def test_edges_flatten_the_lineage() -> None:
    query = parse_query("select id, amount * 2 as doubled from raw.orders")
    assert lineage_edges(query, SCHEMAS) == [
        LineageEdge(ORD, "id", "id"),
        LineageEdge(ORD, "amount", "doubled"),
    ]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("select zz from raw.orders", "could not be resolved"),
        ("select id from raw.orders, raw.customers", "could not be resolved"),
        ("select * from raw.unknown", r"\* needs the columns of raw\.unknown"),
    ],
)
def test_unresolvable_columns_are_errors(sql: str, message: str) -> None:
    with pytest.raises(SqlError, match=message):
        lineage(sql)
