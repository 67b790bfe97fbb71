"""The table commands end to end on a scaffolded project: tables, describe, history, show,
restore, optimize, vacuum, retention — output, ``--json`` shapes and exit codes."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import CommitProperties, write_deltalake

from sluiceway.cli.main import run
from sluiceway.meta.catalog import TableDefinition
from sluiceway.meta.schema_diff import Column
from sluiceway.meta.store import open_project_store
from sluiceway.spec.project import load_project


def _write(project: Path, table: str, data: pa.Table, run_id: str, mode: str = "append") -> None:
    layer, name = table.split(".")
    write_deltalake(
        str(project / "lake" / "prod" / layer / name),
        data,
        mode=mode,  # type: ignore[arg-type]
        commit_properties=CommitProperties(
            custom_metadata={
                "sluiceway.run_id": run_id,
                "sluiceway.app_id": f"{layer}/{name}",
                "sluiceway.batch": run_id[-1],
            }
        ),
    )


def _orders(ids: range, old: bool = False) -> pa.Table:
    day = date.today() - timedelta(days=800 if old else 0)
    return pa.table(
        {
            "order_id": pa.array(ids, pa.int64()),
            "order_date": pa.array([day] * len(ids), pa.date32()),
            "amount": [float(i) for i in ids],
            "_sw_run_id": ["r"] * len(ids),
        }
    )


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as wide as they need, so assertions see whole cells."""
    from sluiceway.cli import render

    monkeypatch.setattr(render.console, "width", 200)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    assert run(["init", str(root), "--no-data"]) == 0
    _write(root, "silver.orders", _orders(range(4), old=True), "run-1")
    _write(root, "silver.orders", _orders(range(4, 8)), "run-2")
    _write(root, "raw.orders", pa.table({"id": [1]}), "run-1")
    store = open_project_store(load_project(root))
    try:
        store.catalog.register(
            TableDefinition(
                env="prod",
                layer="silver",
                name="orders",
                location=str(root / "lake" / "prod" / "silver" / "orders"),
                columns=(
                    Column("order_id", "bigint", False, "Order number", ()),
                    Column("order_date", "date", True, None, ("partition",)),
                ),
                owner="data-platform",
                tags=("core",),
                zorder_by=("order_id",),
            ),
            delta_version=1,
            run_id="run-2",
        )
        location = str(root / "lake" / "prod" / "gold" / "daily_revenue")
        store.catalog.register(TableDefinition("prod", "gold", "daily_revenue", location))
    finally:
        store.close()
    return root


def cli(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(["--project", str(project), *args])
    out, err = capsys.readouterr()
    return code, out, err


def as_json(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = cli(project, capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def events(project: Path, capsys: pytest.CaptureFixture[str], kind: str) -> list[dict[str, Any]]:
    return [e for e in as_json(project, capsys, "events") if e["type"] == kind]


def test_tables_lists_catalog_and_lake_only_tables(project: Path, capsys) -> None:
    rows = as_json(project, capsys, "tables")
    by_name = {r["table"]: r for r in rows}
    assert sorted(by_name) == ["gold.daily_revenue", "raw.orders", "silver.orders"]
    assert by_name["gold.daily_revenue"]["version"] is None  # registered, never written
    orders = by_name["silver.orders"]
    assert (orders["version"], orders["rows"], orders["files"]) == (1, 8, 2)
    assert (orders["owner"], orders["tags"], orders["registered"]) == (
        "data-platform",
        ["core"],
        True,
    )
    assert by_name["raw.orders"]["registered"] is False
    assert datetime.fromisoformat(orders["updated"]).tzinfo is not None
    assert [r["table"] for r in as_json(project, capsys, "tables", "--layer", "raw")] == [
        "raw.orders"
    ]
    code, out, _ = cli(project, capsys, "tables")
    assert code == 0 and "silver.orders" in out and "3 tables in prod" in out


def test_describe_merges_catalog_spec_and_delta_facts(project: Path, capsys) -> None:
    data = as_json(project, capsys, "describe", "silver.orders")
    assert data["owner"] == "data-platform" and data["zorder_by"] == ["order_id"]
    assert data["retention"] == {"days": 730, "column": "order_date", "archive": True}
    assert data["delta"]["version"] == 1 and data["delta"]["files"] == 2
    assert data["delta"]["size_bytes"] > 0
    assert [c["name"] for c in data["columns"]] == ["order_id", "order_date"]
    assert data["columns"][0]["description"] == "Order number"
    assert [v["version"] for v in data["schema_versions"]] == [1]
    lake_only = as_json(project, capsys, "describe", "raw.orders")
    assert lake_only["registered"] is False and lake_only["columns"][0]["type"] == "int64"
    code, out, _ = cli(project, capsys, "describe", "silver.orders")
    assert code == 0 and "data-platform" in out and "schema versions" in out


def test_history_json_and_limit(project: Path, capsys) -> None:
    rows = as_json(project, capsys, "history", "silver.orders")
    assert [(r["version"], r["operation"], r["run_id"]) for r in rows] == [
        (1, "WRITE", "run-2"),
        (0, "WRITE", "run-1"),
    ]
    assert rows[0]["rows_added"] == 4 and rows[0]["app_id"] == "silver/orders"
    assert len(as_json(project, capsys, "history", "silver.orders", "--limit", "1")) == 1
    code, out, _ = cli(project, capsys, "history", "silver.orders")
    assert code == 0 and "WRITE" in out


def test_show_rows_versions_columns_and_lineage(project: Path, capsys) -> None:
    latest = as_json(project, capsys, "show", "silver.orders", "--limit", "5")
    assert latest["version"] == 1 and len(latest["rows"]) == 5
    assert "_sw_run_id" in latest["rows"][0]
    hidden = as_json(project, capsys, "show", "silver.orders", "--hide-lineage")
    assert "_sw_run_id" not in hidden["rows"][0] and len(hidden["rows"]) == 8
    first = as_json(project, capsys, "show", "silver.orders", "-v", "0", "--columns", "order_id")
    assert sorted(r["order_id"] for r in first["rows"]) == [0, 1, 2, 3]
    assert set(first["rows"][0]) == {"order_id"}
    when = as_json(project, capsys, "history", "silver.orders")[1]["time"]
    as_of = as_json(project, capsys, "show", "silver.orders", "--as-of", when)
    assert as_of["version"] == 0
    code, _, err = cli(project, capsys, "show", "silver.orders", "--as-of", "2000-01-01")
    assert code == 1 and "did not exist at 2000-01-01" in err
    code, _, err = cli(project, capsys, "show", "silver.orders", "-v", "0", "--as-of", when)
    assert code == 2 and "not both" in err
    code, out, _ = cli(project, capsys, "show", "silver.orders", "--limit", "2")
    assert code == 0 and "first 2 rows" in out


def test_query_as_of_before_a_table_existed_says_how_to_pin_a_version(project: Path, capsys):
    query = "SELECT count(*) AS n FROM silver.orders"
    code, _, err = cli(project, capsys, "query", query, "--as-of", "2000-01-01T00:00:00")
    text = " ".join(err.split())
    assert code == 1
    assert "silver.orders: the table did not exist at 2000-01-01T00:00:00+00:00" in text
    assert "`sluiceway history silver.orders` lists, written silver.orders@v<version>" in text
    assert "--version" not in text  # query has no such option


def test_hidden_lineage_setting_applies_to_show_and_query(project: Path, capsys) -> None:
    settings = project / "sluiceway.yaml"
    settings.write_text(
        settings.read_text() + "table_defaults:\n  lineage_columns: hidden\n", encoding="utf-8"
    )
    shown = as_json(project, capsys, "show", "silver.orders")
    assert "_sw_run_id" not in shown["rows"][0] and "order_id" in shown["rows"][0]
    visible = as_json(project, capsys, "show", "silver.orders", "--show-lineage")
    assert "_sw_run_id" in visible["rows"][0]
    named = as_json(project, capsys, "show", "silver.orders", "--columns", "order_id,_sw_run_id")
    assert set(named["rows"][0]) == {"order_id", "_sw_run_id"}

    def query(sql: str) -> list[dict[str, Any]]:
        code, out, err = cli(project, capsys, "query", sql, "--format", "json")
        assert code == 0, err
        return list(json.loads(out))

    assert "_sw_run_id" not in query("SELECT * FROM silver.orders LIMIT 1")[0]
    assert query("SELECT _sw_run_id FROM silver.orders LIMIT 1") == [{"_sw_run_id": "r"}]


def test_unknown_tables_are_one_red_line_with_did_you_mean(project: Path, capsys) -> None:
    code, out, err = cli(project, capsys, "history", "silver.ordrs")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "error: unknown table 'silver.ordrs' in environment 'prod' — did you mean 'silver.orders'?"
    ]
    code, _, err = cli(project, capsys, "describe", "orders")
    assert code == 2 and "is not a table name" in err


def test_restore_asks_then_restores_and_records_the_event(
    project: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, out, _ = cli(project, capsys, "restore", "silver.orders", "--version", "0")
    assert code == 1 and "nothing restored" in out
    assert as_json(project, capsys, "history", "silver.orders")[0]["version"] == 1

    code, out, _ = cli(project, capsys, "restore", "silver.orders", "--version", "0", "--yes")

    assert code == 0 and "as new version 2" in out
    assert len(as_json(project, capsys, "show", "silver.orders")["rows"]) == 4
    [event] = events(project, capsys, "table.restored")
    assert event["table"] == "silver.orders"
    assert event["payload"] == {"restored_version": 0, "version": 2}


def test_vacuum_needs_force_below_seven_days_and_then_blocks_restore(project: Path, capsys) -> None:
    _write(project, "silver.orders", _orders(range(100, 102)), "run-3", mode="overwrite")
    code, _, err = cli(project, capsys, "vacuum", "silver.orders", "--retention", "0h")
    assert code == 2 and "--force" in err

    listed = as_json(project, capsys, "vacuum", "--retention", "0h", "--force", "--dry-run")
    orders = {r["table"]: r for r in listed}["silver.orders"]
    assert orders["files"] == 2 and orders["dry_run"] is True
    code, out, err = cli(project, capsys, "vacuum", "--retention", "0h", "--force")
    assert code == 0 and "warning" in err and "silver.orders" in out
    vacuumed = {e["table"]: e["payload"] for e in events(project, capsys, "table.vacuumed")}
    assert vacuumed == {"silver.orders": {"files_deleted": 2}, "raw.orders": {"files_deleted": 0}}

    code, _, err = cli(project, capsys, "restore", "silver.orders", "--version", "0", "--yes")
    assert code == 1 and "vacuum deleted" in err
    assert as_json(project, capsys, "describe", "silver.orders")["delta"]["version"] == 4


def test_optimize_dry_run_then_real_run(project: Path, capsys) -> None:
    for i in range(3):
        _write(project, "silver.orders", _orders(range(10 + i, 11 + i)), f"run-{i + 3}")
    planned = as_json(project, capsys, "optimize", "silver.orders", "--dry-run")
    assert planned == [
        {
            "table": "silver.orders",
            "files_removed": 5,
            "files_added": 1,
            "zorder_by": ["order_id"],
            "version": 4,
            "dry_run": True,
        }
    ]
    assert events(project, capsys, "table.optimized") == []
    done = as_json(project, capsys, "optimize")
    by_name = {r["table"]: r for r in done}
    assert sorted(by_name) == ["raw.orders", "silver.orders"]  # only tables with data
    assert (
        by_name["silver.orders"]["files_removed"] == 5
        and by_name["raw.orders"]["files_removed"] == 0
    )
    [event] = events(project, capsys, "table.optimized")
    assert event["table"] == "silver.orders"
    assert as_json(project, capsys, "describe", "silver.orders")["delta"]["files"] == 1


def test_retention_dry_run_real_run_and_tables_without_policy(project: Path, capsys) -> None:
    planned = as_json(project, capsys, "retention", "--dry-run")
    assert [(r["table"], r["rows_deleted"], r["dry_run"]) for r in planned] == [
        ("silver.orders", 4, True)
    ]
    code, out, _ = cli(project, capsys, "retention", "silver.orders")
    assert code == 0 and "silver.orders" in out
    assert len(as_json(project, capsys, "show", "silver.orders")["rows"]) == 4
    [event] = events(project, capsys, "table.retention_applied")
    assert event["payload"]["rows_archived"] == 4
    assert (project / "lake" / "_archive" / "prod" / "silver" / "orders" / "_delta_log").is_dir()
    code, _, err = cli(project, capsys, "retention", "raw.orders")
    assert code == 2 and "has no retention policy" in err


def test_commands_are_listed_in_help(capsys) -> None:
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("tables", "describe", "history", "show", "restore", "optimize", "vacuum"):
        assert command in out
    assert "retention" in out
