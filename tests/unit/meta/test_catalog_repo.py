"""Catalog: register/update tables, columns and schema versions with computed diffs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sluiceway.meta.catalog import TableDefinition
from sluiceway.meta.errors import NotFoundError, StoreConfigError
from sluiceway.meta.schema_diff import Column

ORDERS = TableDefinition(
    env="prod",
    layer="silver",
    name="orders",
    location="file:///lake/prod/silver/orders",
    columns=(Column("id", "bigint", False), Column("amount", "decimal(10,2)")),
    description="One row per order.",
    owner="sales-data",
    tags=("pii",),
    partition_by=("order_date",),
    zorder_by=("customer_id",),
    schema_policy="evolve",
    retention="400d",
    sla={"freshness": "2h"},
)


def test_register_creates_table_columns_and_first_version(store) -> None:
    result = store.catalog.register(ORDERS, delta_version=0, run_id="run-1")
    table = result.table
    assert (table.qualified_name, table.schema_version) == ("silver.orders", 1)
    assert table.columns == ORDERS.columns
    assert (table.tags, table.partition_by, table.sla) == (
        ("pii",),
        ("order_date",),
        {"freshness": "2h"},
    )
    assert table.created_at.tzinfo is not None
    assert result.new_version is not None
    assert [c.name for c in result.new_version.change.added] == ["id", "amount"]
    assert store.catalog.get("prod", "silver", "orders") == table


def test_schema_change_adds_a_version_with_the_diff(store) -> None:
    store.catalog.register(ORDERS, delta_version=0)
    evolved = replace(
        ORDERS,
        columns=(Column("id", "bigint", True), Column("note", "string")),
        description="changed",
    )
    result = store.catalog.register(evolved, delta_version=3, run_id="run-2")
    assert result.table.schema_version == 2
    history = store.catalog.history("prod", "silver", "orders")
    assert [v.version for v in history] == [1, 2]
    change = history[1].change
    assert [c.name for c in change.added] == ["note"]
    assert [c.name for c in change.removed] == ["amount"]
    assert [(c.name, c.after.nullable) for c in change.changed] == [("id", True)]
    assert (history[1].delta_version, history[1].run_id) == (3, "run-2")
    assert store.catalog.require("prod", "silver", "orders").columns == evolved.columns


def test_documentation_changes_do_not_create_versions(store) -> None:
    store.catalog.register(ORDERS)
    documented = replace(
        ORDERS, columns=(Column("id", "bigint", False, "key"), Column("amount", "decimal(10,2)"))
    )
    result = store.catalog.register(documented)
    assert result.new_version is None
    assert result.table.schema_version == 1
    assert store.catalog.require("prod", "silver", "orders").columns[0].description == "key"


def test_same_name_in_two_environments_is_two_tables(store) -> None:
    store.catalog.register(ORDERS)
    store.catalog.register(replace(ORDERS, env="dev", location="file:///lake/dev/silver/orders"))
    assert [t.env for t in store.catalog.tables(layer="silver")] == ["dev", "prod"]
    assert [t.qualified_name for t in store.catalog.tables(env="dev")] == ["silver.orders"]


def test_views_are_registered_with_their_sql(store) -> None:
    view = TableDefinition(
        "prod",
        "gold",
        "v",
        "",
        is_view=True,
        view_sql="SELECT 1 AS x",
        columns=(Column("x", "int"),),
    )
    table = store.catalog.register(view).table
    assert (table.is_view, table.view_sql) == (True, "SELECT 1 AS x")


def test_missing_table_is_not_found(store) -> None:
    assert store.catalog.get("prod", "silver", "nope") is None
    with pytest.raises(NotFoundError, match=r"silver\.nope is not registered"):
        store.catalog.require("prod", "silver", "nope")


def test_duplicate_columns_are_refused(store) -> None:
    bad = replace(ORDERS, columns=(Column("a", "int"), Column("a", "int")))
    with pytest.raises(StoreConfigError, match="duplicate columns: a"):
        store.catalog.register(bad)


def test_drop_removes_columns_and_history(store) -> None:
    store.catalog.register(ORDERS)
    assert store.catalog.drop("prod", "silver", "orders") is True
    assert store.catalog.get("prod", "silver", "orders") is None
    assert store.catalog.drop("prod", "silver", "orders") is False
    store.catalog.register(ORDERS)  # cascaded: no leftover columns or versions collide
    assert [v.version for v in store.catalog.history("prod", "silver", "orders")] == [1]
