"""The lake facade with a catalog: registration, schema versions, events, policy, views."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sluiceway.errors import UsageError
from sluiceway.events import EventLog
from sluiceway.lake.commit import WriteContext
from sluiceway.lake.errors import SchemaPolicyError
from sluiceway.lake.registration import TableOptions
from sluiceway.lake.service import Lake
from sluiceway.meta.catalog import CatalogRepo
from unit.lake.lake_support import LAKE_AND_STORE, rows

Ctx = Callable[..., WriteContext]
STRICT = TableOptions(schema_policy="strict")


def orders(ids: list[int], **extra: pa.Array) -> pa.Table:
    data = {"order_id": pa.array(ids, pa.int64()), "amount": pa.array(ids, pa.decimal128(12, 2))}
    return pa.table({**data, "status": ["new"] * len(ids), **extra})


def committed_events(lake: Lake) -> list[Any]:
    return [e for e in EventLog(lake.store).tail(100) if e.type == "table.committed"]


@LAKE_AND_STORE
def test_a_write_registers_the_table_and_emits_table_committed(
    cataloged_lake: Lake, batch_ctx: Ctx
) -> None:
    lake = cataloged_lake
    options = TableOptions(description="One row per order.", owner="sales")
    result = lake.write(
        "silver.orders", orders([1, 2]), "append", batch_ctx(1), table_options=options
    )

    info = lake.table("silver.orders").info
    assert info is not None and info.schema_version == 1 and not info.is_view
    assert (info.description, info.owner, info.location) == (
        "One row per order.",
        "sales",
        lake.table("silver.orders").uri,
    )
    assert [(c.name, c.type) for c in info.columns] == [
        ("order_id", "int64"),
        ("amount", "decimal(12,2)"),
        ("status", "string"),
        ("_sw_run_id", "string"),
        ("_sw_loaded_at", "timestamp(us, UTC)"),
        ("_sw_source", "string"),
    ]
    [version] = CatalogRepo(lake.store).history("prod", "silver", "orders")
    assert (version.delta_version, version.run_id) == (result.version, "run-1")
    [event] = committed_events(lake)
    assert (event.table, event.version, event.batch, event.rows, event.operation) == (
        "silver.orders",
        0,
        1,
        2,
        "append",
    )
    assert (event.run_id, event.pipeline, event.step) == ("run-1", "test", "step")


@LAKE_AND_STORE
def test_a_skipped_batch_registers_and_emits_nothing(cataloged_lake: Lake, batch_ctx: Ctx) -> None:
    lake = cataloged_lake
    lake.write("silver.orders", orders([1]), "append", batch_ctx(1))
    before = lake.table("silver.orders").info
    again = lake.write("silver.orders", orders([1]), "append", batch_ctx(1))

    assert again.skipped and again.version == 0
    assert lake.table("silver.orders").info == before
    assert len(committed_events(lake)) == 1
    assert lake.table("silver.orders").count() == 1


@LAKE_AND_STORE
def test_evolve_adds_a_column_and_records_a_schema_version(
    cataloged_lake: Lake, batch_ctx: Ctx
) -> None:
    lake = cataloged_lake
    lake.write("silver.orders", orders([1]), "append", batch_ctx(1))
    lake.write("silver.orders", orders([2], channel=pa.array(["web"])), "append", batch_ctx(2))

    history = CatalogRepo(lake.store).history("prod", "silver", "orders")
    assert [v.version for v in history] == [1, 2]
    assert [c.name for c in history[1].change.added] == ["channel"]
    assert history[1].delta_version == 1
    got = lake.table("silver.orders").read(hide_lineage=True)
    assert rows(got) == [
        {"order_id": 1, "amount": 1, "status": "new", "channel": None},
        {"order_id": 2, "amount": 2, "status": "new", "channel": "web"},
    ]


@LAKE_AND_STORE
def test_strict_refuses_a_new_column_and_writes_nothing(
    cataloged_lake: Lake, batch_ctx: Ctx
) -> None:
    lake = cataloged_lake
    lake.write("silver.orders", orders([1]), "append", batch_ctx(1), table_options=STRICT)
    with pytest.raises(SchemaPolicyError) as err:
        lake.write(
            "silver.orders",
            orders([2], channel=pa.array([1], pa.int32())),
            "append",
            batch_ctx(2),
            table_options=STRICT,
        )
    assert "silver.orders: column channel (int32) would be added" in err.value.message
    assert "schema version 1" in err.value.message
    assert lake.table("silver.orders").version() == 0
    assert len(committed_events(lake)) == 1


@pytest.mark.parametrize("kind", ["append", "overwrite"])
@LAKE_AND_STORE
def test_breaking_changes_are_refused_under_evolve(
    cataloged_lake: Lake, batch_ctx: Ctx, kind: str
) -> None:
    lake = cataloged_lake
    lake.write("silver.orders", orders([1]), kind, batch_ctx(1))
    lake.write("silver.orders", orders([2], channel=pa.array(["web"])), kind, batch_ctx(2))
    broken = pa.table({"order_id": pa.array([3], pa.int64()), "amount": pa.array([3.5])})
    with pytest.raises(SchemaPolicyError) as err:
        lake.write("silver.orders", broken, kind, batch_ctx(3))
    assert err.value.message == (
        "silver.orders: column amount would change from decimal(12,2) to float64 (narrowing), "
        "column status (string) would be dropped, and column channel (string) would be dropped; "
        "the table keeps schema version 2"
    )
    assert lake.table("silver.orders").version() == 1
    assert lake.table("silver.orders").info.schema_version == 2  # type: ignore[union-attr]


@LAKE_AND_STORE
def test_widening_rewrites_an_overwritten_table_but_refuses_an_append(
    cataloged_lake: Lake, batch_ctx: Ctx
) -> None:
    lake = cataloged_lake
    narrow = pa.table({"n": pa.array([1], pa.int32())})
    wide = pa.table({"n": pa.array([2**40], pa.int64())})
    lake.write("gold.counts", narrow, "overwrite", batch_ctx(1))
    lake.write("gold.counts", wide, "overwrite", batch_ctx(2))
    assert lake.table("gold.counts").schema().field("n").type == pa.int64()
    assert lake.table("gold.counts").read().column("n").to_pylist() == [2**40]
    [*_, latest] = CatalogRepo(lake.store).history("prod", "gold", "counts")
    assert [(c.name, c.before.type, c.after.type) for c in latest.change.changed] == [
        ("n", "int32", "int64")
    ]

    lake.write("gold.appended", narrow, "append", batch_ctx(1))
    with pytest.raises(SchemaPolicyError, match=r"from int32 to int64 \(widening\)"):
        lake.write("gold.appended", wide, "append", batch_ctx(2))


@pytest.mark.parametrize("lake_storage", ["file"], indirect=True)
def test_delta_rs_casts_appended_data_to_the_column_type_instead_of_widening(
    lake_storage: Any,
) -> None:
    """Why widening appends are refused: delta-rs keeps the column type and casts the data.

    If a deltalake upgrade starts widening, this test fails and the policy can relax.
    """
    from deltalake import DeltaTable, write_deltalake

    uri = lake_storage.uri("raw", "widen")
    write_deltalake(uri, pa.table({"x": pa.array([1.5], pa.float32())}))
    write_deltalake(
        uri, pa.table({"x": pa.array([1e300], pa.float64())}), mode="append", schema_mode="merge"
    )
    table = DeltaTable(uri)
    assert pa.schema(table.schema().to_arrow()).field("x").type == pa.float32()
    assert table.version() == 1  # accepted, and 1e300 is now +inf: silent data loss


@LAKE_AND_STORE
def test_a_view_is_stored_in_the_catalog_only(cataloged_lake: Lake, batch_ctx: Ctx) -> None:
    lake = cataloged_lake
    sql = "SELECT order_id, amount FROM silver.orders WHERE status = 'new'"
    info = lake.create_view("gold.new_orders", sql, batch_ctx(1))
    assert info.is_view and info.view_sql == sql

    view = lake.table("gold.new_orders")
    assert view.is_view and view.view_sql == sql and not view.exists()
    assert committed_events(lake) == []
    lake.write("silver.orders", orders([1]), "append", batch_ctx(1))
    with pytest.raises(UsageError, match="stored table"):
        lake.create_view("silver.orders", sql, batch_ctx(2))
    with pytest.raises(UsageError, match="no SQL"):
        lake.create_view("gold.empty", "  ", batch_ctx(2))


@pytest.mark.parametrize("metadata_backend", ["sqlite"], indirect=True)
def test_for_project_reads_storage_env_defaults_and_table_options(
    tmp_path: Path, store: Any, batch_ctx: Ctx
) -> None:
    from sluiceway.spec.project import load_project

    root = tmp_path / "shop"
    shutil.copytree(Path(__file__).parents[3] / "src/sluiceway/scaffold/shop", root)
    settings = root / "sluiceway.yaml"
    settings.write_text(
        settings.read_text()
        + "\ntable_defaults:\n  target_file_size: 1MB\n  lineage_columns: hidden\n"
    )
    project = load_project(root)
    lake = Lake.for_project(project, store)

    assert lake.env == "prod" and lake.storage.root == str(root / "lake")
    assert lake.defaults.target_file_size == 1024 * 1024
    assert lake.options("silver.customers").schema_policy == "strict"
    assert lake.options("silver.orders").partition_by == ("order_date",)
    customers = pa.table({"customer_id": [1], "email": ["a@example.com"]})
    lake.write("silver.customers", customers, "append", batch_ctx(1))
    info = lake.table("silver.customers").info
    assert info is not None and info.schema_policy == "strict" and info.tags == ("pii",)
    email = next(c for c in info.columns if c.name == "email")
    assert (email.description, email.tags) == ("Customer e-mail address", ("pii",))
    assert lake.table("silver.customers").read().column_names == ["customer_id", "email"]


@LAKE_AND_STORE
def test_a_write_that_leaves_enough_small_files_compacts_the_table(
    lake_storage: Any, store: Any, batch_ctx: Ctx
) -> None:
    from sluiceway.spec.settings import TableDefaults

    lake = Lake(lake_storage, store=store, defaults=TableDefaults(autocompact_files=3))
    lake.write("silver.orders", orders([1]), "append", batch_ctx(1))
    lake.write("silver.orders", orders([2]), "append", batch_ctx(2))
    assert lake.table("silver.orders").file_count() == 2

    lake.write("silver.orders", orders([3]), "append", batch_ctx(3))

    table = lake.table("silver.orders")
    assert table.file_count() == 1
    assert sorted(r["order_id"] for r in rows(table.read())) == [1, 2, 3]
    types = [e.type for e in EventLog(store).tail(100)]
    assert types.count("table.committed") == 3 and types.count("table.optimized") == 1


def test_table_options_inherit_the_pipelines_owner_and_keep_the_whole_retention(
    tmp_path: Path,
) -> None:
    from sluiceway.scaffold import scaffold
    from sluiceway.spec.project import load_project

    scaffold(tmp_path / "shop", with_data=False)
    lake = Lake.for_project(load_project(tmp_path / "shop", environ={}), None)
    assert lake.options("raw.orders").owner == "data-platform"  # the ingest template's owner
    assert lake.options("gold.daily_revenue").owner == "analytics"
    assert lake.options("silver.orders").retention == "730d on order_date, archived"


def test_view_typed_input_is_stored_as_plain_strings(lake_storage: Any) -> None:
    """A stored string_view would make every later pyarrow string filter on it fail."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    lake = Lake(lake_storage)
    data = pa.table(
        {
            "id": pa.array([1, 2], pa.int64()),
            "kind": pa.array(["a", "b"], pa.string_view()),
            "tags": pa.array([["x"], ["y"]], pa.list_(pa.string_view())),
        }
    )
    lake.write("raw.views", data, "append", WriteContext("r", "a", 1))
    table = lake.table("raw.views")
    assert table.read(filter=pc.field("kind") == "b").column("id").to_pylist() == [2]
    filesystem = lake_storage.filesystem(table.uri)
    for path in pa.table(table.delta().get_add_actions(flatten=True)).column("path").to_pylist():
        with filesystem.open_input_file(path) as handle:
            stored = pq.read_schema(handle)
        assert stored.field("kind").type == pa.string()
        assert stored.field("tags").type == pa.list_(pa.string())
