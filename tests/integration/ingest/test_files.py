"""File ingestion end to end: exactly once, duplicates, disposal, contracts, failures."""

from __future__ import annotations

import gzip
import io
import json
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from integration.ingest.conftest import IngestProject

PIPELINE = """
name: ingest
steps:
  - name: orders
    type: ingest
    table: raw.orders
    source:
      type: files
      glob: "orders/**/*.csv*"
      format: csv
{extra}
"""


def _pipeline(project: IngestProject, extra: str = "") -> None:
    indented = "\n".join(f"      {line}" for line in extra.strip().splitlines())
    project.write("pipelines/ingest.yaml", PIPELINE.format(extra=indented))


def _ok(project: IngestProject) -> dict[str, object]:
    report = project.run("ingest")
    assert report.status == "succeeded", [s.error for s in report.steps]
    outcome = report.steps[0].outcome
    assert outcome is not None
    return outcome.metrics


def test_each_file_is_loaded_once_and_a_new_delivery_again(ingest_project: IngestProject) -> None:
    project = ingest_project
    _pipeline(project)
    project.put("orders/2026/a.csv", "id,amount\n1,2.5\n2,3.0\n")
    project.put("orders/b.csv.gz", gzip.compress(b"id,amount\n3,1.0\n"))
    first = _ok(project)
    errors = [r.error for r in project.ledger("ingest", "orders")]
    assert (first["files_loaded"], first["rows_loaded"]) == (2, 3), errors
    assert _ok(project)["files_loaded"] == 0  # the same deliveries: nothing to do
    time.sleep(1.1)  # a new mtime, even on stores that keep whole seconds
    project.put("orders/2026/a.csv", "id,amount\n1,2.5\n2,3.0\n4,9.0\n")
    again = _ok(project)
    assert (again["files_loaded"], again["rows_loaded"]) == (1, 3)
    data = project.table("raw.orders")
    assert sorted(data["id"].to_pylist()) == [1, 1, 2, 2, 3, 4]
    # each row names its file and the lines the file's records span (after the header)
    assert set(data["_sw_source"].to_pylist()) == {
        "orders/2026/a.csv:2-3",
        "orders/b.csv.gz:2-2",
        "orders/2026/a.csv:2-4",
    }
    records = project.ledger("ingest", "orders")
    assert [r.status for r in records] == ["loaded"] * 3
    assert all(r.rows_read == r.rows_loaded + r.rows_quarantined for r in records)


@pytest.mark.parametrize("setting", ["skip", "load"])
def test_the_same_content_under_another_name(ingest_project: IngestProject, setting: str) -> None:
    project = ingest_project
    _pipeline(project, f"duplicate_content: {setting}")
    project.put("orders/a.csv", "id,amount\n1,2.5\n")
    _ok(project)
    project.put("orders/copy-of-a.csv", "id,amount\n1,2.5\n")
    metrics = _ok(project)
    records = {r.uri.rsplit("/", 1)[1]: r for r in project.ledger("ingest", "orders")}
    if setting == "skip":
        assert metrics["files_duplicate"] == 1
        assert records["copy-of-a.csv"].status == "duplicate"
        assert "a.csv" in str(records["copy-of-a.csv"].error)
        assert project.table("raw.orders").num_rows == 1
    else:
        assert records["copy-of-a.csv"].status == "loaded"
        assert project.table("raw.orders").num_rows == 2


@pytest.mark.parametrize("action", ["keep", "move", "delete"])
def test_processed_files_are_kept_moved_or_deleted(
    ingest_project: IngestProject, action: str
) -> None:
    project = ingest_project
    _pipeline(project, f"on_processed: {action}")
    project.put("orders/a.csv", "id\n1\n")
    _ok(project)
    expected = {
        "keep": ["orders/a.csv"],
        "move": ["_processed/orders/a.csv"],
        "delete": [],
    }[action]
    assert project.landed() == expected
    assert _ok(project)["files_loaded"] == 0


def test_a_file_that_cannot_be_read_fails_alone(ingest_project: IngestProject) -> None:
    project = ingest_project
    _pipeline(project)
    project.put("orders/good.csv", "id,amount\n1,2.0\n")
    whole = gzip.compress(
        ("id,amount\n" + "".join(f"{i},{i * 1.37}\n" for i in range(5000))).encode()
    )
    project.put("orders/broken.csv.gz", whole[: len(whole) // 2])  # cut short in transfer
    metrics = _ok(project)
    assert (metrics["files_loaded"], metrics["files_failed"]) == (1, 1)
    records = {r.uri.rsplit("/", 1)[1]: r for r in project.ledger("ingest", "orders")}
    assert records["broken.csv.gz"].status == "failed"
    assert "orders/broken.csv.gz" in str(records["broken.csv.gz"].error)
    assert "orders/broken.csv.gz" in project.landed()  # kept for a corrected delivery
    events = project.cli("events", "--type", "file.failed", "--json").communicate(timeout=60)[0]
    assert "broken.csv.gz" in events


def test_the_first_file_sets_the_contract_then_it_is_frozen(
    ingest_project: IngestProject,
) -> None:
    project = ingest_project
    _pipeline(project)
    project.put("orders/1.csv", "id,amount,day\n1,2.5,2026-01-02\n")
    _ok(project)
    project.put("orders/2.csv", "id,amount,day\n2,lots,2026-01-03\n3,4.0,2026-01-04\n")
    metrics = _ok(project)
    assert (metrics["rows_loaded"], metrics["rows_quarantined"]) == (1, 1)
    bad = project.table("raw.orders__quarantine").to_pylist()
    assert [(r["file"], r["line"], r["column"]) for r in bad] == [("orders/2.csv", 2, "amount")]
    assert "lots" in bad[0]["raw"]
    schema = project.table("raw.orders").schema
    assert str(schema.field("amount").type) == "double"
    assert str(schema.field("day").type) == "date32[day]"


@pytest.mark.parametrize("policy", ["evolve", "strict"])
def test_new_columns_follow_the_schema_policy(ingest_project: IngestProject, policy: str) -> None:
    project = ingest_project
    _pipeline(project)
    tables = f"tables:\n  raw.orders:\n    schema_policy: {policy}\n"
    text = (project.root / "pipelines/ingest.yaml").read_text() + tables
    (project.root / "pipelines/ingest.yaml").write_text(text)
    project.put("orders/1.csv", "id\n1\n")
    _ok(project)
    project.put("orders/2.csv", "id,channel\n2,web\n")
    metrics = _ok(project)
    records = {r.uri.rsplit("/", 1)[1]: r for r in project.ledger("ingest", "orders")}
    if policy == "evolve":
        assert metrics["files_loaded"] == 1
        rows = sorted(project.table("raw.orders").to_pylist(), key=lambda r: r["id"])
        assert [(r["id"], r["channel"]) for r in rows] == [(1, None), (2, "web")]
    else:
        assert records["2.csv"].status == "failed"
        assert "channel" in str(records["2.csv"].error) and "strict" in str(records["2.csv"].error)
        assert project.table("raw.orders").num_rows == 1


def test_ingest_status_reports_files_and_reconciled_rows(ingest_project: IngestProject) -> None:
    project = ingest_project
    _pipeline(project, "contract: {columns: [{name: id, type: bigint, required: true}]}")
    project.put("orders/a.csv", "id\n1\nx\n3\n")
    project.put("orders/b.csv", "id\n4\n")
    _ok(project)
    out, err = project.cli("ingest-status", "ingest", "--json").communicate(timeout=60)
    totals = json.loads(out)
    assert totals == [
        {
            "pipeline": "ingest",
            "step": "orders",
            "files": 2,
            "loaded": 2,
            "failed": 0,
            "duplicate": 0,
            "skipped": 0,
            "pending": 0,
            "rows_read": 4,
            "rows_loaded": 3,
            "rows_quarantined": 1,
        }
    ], err
    out, _ = project.cli("ingest-status", "--files", "--json").communicate(timeout=60)
    files = {row["file"].rsplit("/", 1)[1]: row for row in json.loads(out)}
    assert (files["a.csv"]["rows_read"], files["a.csv"]["rows_quarantined"]) == (3, 1)


def test_a_batch_of_files_with_different_columns_keeps_every_value(
    ingest_project: IngestProject,
) -> None:
    """One file of the batch brings a column the others lack: one commit, nothing lost."""
    project = ingest_project
    _pipeline(project)
    project.put("orders/1.csv", "id\n1\n")
    _ok(project)
    project.put("orders/2.csv", "id,channel\n2,web\n")
    for number in range(3, 15):  # most of the batch lacks the new column
        project.put(f"orders/3-{number:02}.csv", f"id\n{number}\n")
    metrics = _ok(project)
    assert (metrics["files_loaded"], metrics["rows_loaded"]) == (13, 13)
    assert len(metrics["batches"]) == 1  # type: ignore[arg-type]
    rows = sorted(project.table("raw.orders").to_pylist(), key=lambda r: r["id"])
    assert [(r["id"], r["channel"]) for r in rows] == [
        (1, None),
        (2, "web"),
        *((number, None) for number in range(3, 15)),
    ]
    records = project.ledger("ingest", "orders")
    assert [r.status for r in records] == ["loaded"] * 14
    assert all(r.rows_read == r.rows_loaded + r.rows_quarantined == 1 for r in records)


def test_a_new_table_from_files_with_different_columns_keeps_every_value(
    ingest_project: IngestProject,
) -> None:
    """The batch that creates the table: a kept column of one file is NULL for the others."""
    project = ingest_project
    _pipeline(project, "contract: {columns: [{name: id, type: bigint}], infer: true}")
    project.put("orders/1.csv", "id,note\n1,first\n")
    for number in range(2, 8):
        project.put(f"orders/{number}.csv", f"id\n{number}\n")
    metrics = _ok(project)
    assert (metrics["files_loaded"], metrics["rows_loaded"]) == (7, 7)
    rows = sorted(project.table("raw.orders").to_pylist(), key=lambda r: r["id"])
    assert [(r["id"], r["note"]) for r in rows] == [
        (1, "first"),
        *((number, None) for number in range(2, 8)),
    ]
    project.put("orders/8.csv", "id\n8\n")  # a later file without the column the table has
    assert _ok(project)["files_loaded"] == 1
    assert project.table("raw.orders").filter(pc.field("id") == 8)["note"].to_pylist() == [None]


def _rows(fmt: str, *records: dict[str, object]) -> str:
    if fmt == "ndjson":
        return "".join(json.dumps(r) + "\n" for r in records)
    keys = list(records[0])
    lines = [",".join(keys), *(",".join(str(r[k]) for k in keys) for r in records)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("contract", ["infer", "none"])
@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_a_strict_table_fails_only_the_file_that_brings_a_new_column(
    ingest_project: IngestProject, fmt: str, contract: str
) -> None:
    project = ingest_project
    declared = "contract: {columns: [{name: id, type: bigint}], infer: true}"
    project.write(
        "pipelines/ingest.yaml",
        f"""
        name: ingest
        steps:
          - name: orders
            type: ingest
            table: raw.orders
            source:
              type: files
              glob: "orders/*.{fmt}"
              format: {fmt}
              {declared if contract == "infer" else ""}
        tables:
          raw.orders:
            schema_policy: strict
        """,
    )
    project.put(f"orders/1.{fmt}", _rows(fmt, {"id": 1}))
    _ok(project)
    project.put(f"orders/2.{fmt}", _rows(fmt, {"id": 2, "channel": "web"}))
    project.put(f"orders/3.{fmt}", _rows(fmt, {"id": 3}))
    for _ in range(2):  # the failed file is not retried as it is; the good one stays loaded
        metrics = _ok(project)
        records = {r.uri.rsplit("/", 1)[1]: r for r in project.ledger("ingest", "orders")}
        assert {name: r.status for name, r in records.items()} == {
            f"1.{fmt}": "loaded",
            f"2.{fmt}": "failed",
            f"3.{fmt}": "loaded",
        }
        data = project.table("raw.orders")
        assert sorted(data["id"].to_pylist()) == [1, 3]
        assert "channel" not in data.schema.names
    error = str(records[f"2.{fmt}"].error)
    assert f"orders/2.{fmt}: column channel (varchar) is not in the table" in error
    assert "schema_policy is strict" in error and "schema_policy: evolve" in error
    assert "query" not in error
    assert f"orders/2.{fmt}" in project.landed()
    [event] = project.events("file.failed")
    assert event.uri.endswith(f"orders/2.{fmt}") and event.error == error
    assert metrics["files_loaded"] == 0  # the second run had nothing new to load


def test_a_contract_that_does_not_fit_a_strict_table_says_so_and_loads_once_fixed(
    ingest_project: IngestProject,
) -> None:
    project = ingest_project

    def pipeline(columns: str) -> None:
        _pipeline(project, f"contract: {{columns: [{columns}]}}")
        text = (project.root / "pipelines/ingest.yaml").read_text()
        strict = "tables:\n  raw.orders:\n    schema_policy: strict\n"
        (project.root / "pipelines/ingest.yaml").write_text(text + strict)

    pipeline("{name: id, type: bigint}")
    project.put("orders/1.csv", "id\n1\n")
    _ok(project)
    pipeline("{name: id, type: bigint}, {name: channel, type: varchar}")
    project.put("orders/2.csv", "id,channel\n2,web\n")
    report = project.run("ingest")
    assert report.status == "failed"
    error = str(report.steps[0].error)
    assert "column channel (string) would be added" in error and "contract" in error
    assert "query" not in error
    assert project.table("raw.orders").num_rows == 1
    pipeline("{name: id, type: bigint}")  # the contract ignores channel again
    assert _ok(project)["files_loaded"] == 1  # the same delivery, once the contract fits
    assert sorted(project.table("raw.orders")["id"].to_pylist()) == [1, 2]


@pytest.mark.parametrize("runs", ["one run", "two runs"])
def test_a_header_only_first_file_leaves_the_types_to_the_next_file(
    ingest_project: IngestProject, runs: str
) -> None:
    project = ingest_project
    _pipeline(project)
    project.put("orders/0.csv", "id,amount,day\n")
    if runs == "two runs":
        assert _ok(project)["files_loaded"] == 1
    project.put("orders/1.csv", "id,amount,day\n1,2.5,2024-01-01\n")
    _ok(project)
    schema = project.table("raw.orders").schema
    types = {name: str(schema.field(name).type) for name in ("id", "amount", "day")}
    assert types == {"id": "int64", "amount": "double", "day": "date32[day]"}
    records = {r.uri.rsplit("/", 1)[1]: r for r in project.ledger("ingest", "orders")}
    assert [(r.status, r.rows_read, r.rows_loaded) for r in records.values()] == [
        ("loaded", 0, 0),
        ("loaded", 1, 1),
    ]


def test_a_file_that_is_not_its_format_is_named_by_its_landing_path_with_what_to_do(
    ingest_project: IngestProject,
) -> None:
    project = ingest_project
    project.write(
        "pipelines/ingest.yaml",
        """
        name: ingest
        steps:
          - name: orders
            type: ingest
            table: raw.orders
            source: {type: files, glob: "orders/*", format: parquet}
        """,
    )
    good = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2]}), good)
    project.put("orders/a.csv", "id,amount\n1,2\n")
    project.put("orders/b.parquet", good.getvalue())
    metrics = _ok(project)
    assert (metrics["files_loaded"], metrics["files_failed"]) == (1, 1)
    records = {r.uri.rsplit("/", 1)[1]: r for r in project.ledger("ingest", "orders")}
    assert records["a.csv"].error == (
        "orders/a.csv is not a Parquet file (it does not end with a Parquet footer) — check "
        "the file is Parquet (or change format:); if it was cut short in transfer, deliver it "
        "again"
    )
    assert project.table("raw.orders")["id"].to_pylist() == [1, 2]
