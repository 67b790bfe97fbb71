"""Checks on raw inputs run before ingestion commits: failing rows join their file's quarantine."""

from __future__ import annotations

import json

import pytest

from integration.ingest.conftest import IngestProject
from sluiceway.lake.errors import TableNotFoundError

PIPELINE = """
name: ingest
tables:
  raw.orders:
    checks:
{checks}
steps:
  - name: orders
    type: ingest
    table: raw.orders
    source:
      type: files
      glob: "orders/*.csv"
      format: csv
"""


def _pipeline(project: IngestProject, *checks: str) -> None:
    listed = "\n".join(f"      - {c}" for c in checks)
    project.write("pipelines/ingest.yaml", PIPELINE.format(checks=listed))


def test_rows_failing_an_error_check_are_quarantined_with_their_file(
    ingest_project: IngestProject,
) -> None:
    project = ingest_project
    _pipeline(
        project,
        "{type: range, column: amount, min: 0}",
        "{type: accepted_values, column: status, values: [paid, open], severity: warn}",
    )
    project.put("orders/a.csv", "id,amount,status\n1,2.5,paid\n2,-3.0,paid\nx,1,open\n")
    project.put("orders/b.csv", "id,amount,status\n3,-1.0,void\n4,7.0,open\n")
    report = project.run("ingest")
    assert report.status == "succeeded", [s.error for s in report.steps]

    # id is inferred as text (the "x"), so only the amount check refuses rows.
    assert sorted(project.table("raw.orders")["id"].to_pylist()) == ["1", "4", "x"]
    rows = project.table("raw.orders__quarantine").to_pylist()
    by_file = sorted((r["file"], r["column"], r["reason"][:22], r["raw"]) for r in rows)
    assert [(f, c, r) for f, c, r, _ in by_file] == [
        ("orders/a.csv", "amount", "failed check range_amo"),
        ("orders/b.csv", "amount", "failed check range_amo"),
    ]
    assert json.loads(by_file[1][3]) == {"id": "3", "amount": -1.0, "status": "void"}
    records = {r.uri.rsplit("/", 1)[-1]: r for r in project.ledger("ingest", "orders")}
    assert (records["a.csv"].rows_read, records["a.csv"].rows_loaded) == (3, 2)
    assert (records["b.csv"].rows_read, records["b.csv"].rows_loaded) == (2, 1)
    assert all(r.rows_read == r.rows_loaded + r.rows_quarantined for r in records.values())


def test_a_block_check_holds_the_batch_until_it_passes(ingest_project: IngestProject) -> None:
    project = ingest_project
    _pipeline(project, "{type: row_count, max: 1, severity: block}")
    project.put("orders/a.csv", "id,amount,status\n1,2.5,paid\n2,3.0,paid\n")
    report = project.run("ingest")
    assert report.status == "failed"
    assert "nothing was published" in str(report.steps[0].error)
    with pytest.raises(TableNotFoundError):
        project.table("raw.orders")  # nothing was committed
    _pipeline(project, "{type: row_count, max: 10, severity: block}")
    assert project.run("ingest").status == "succeeded"  # the claimed batch is redone
    assert sorted(project.table("raw.orders")["id"].to_pylist()) == [1, 2]
