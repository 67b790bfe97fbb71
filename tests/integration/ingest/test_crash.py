"""File ingestion killed with SIGKILL at random moments, restarted until done: exactly once."""

from __future__ import annotations

import random
import signal
import time

import pyarrow.compute as pc
import pytest

from integration.ingest.conftest import IngestProject

pytestmark = pytest.mark.slow

FILES, ROWS, BAD_EVERY, KILLS = 100, 200, 50, 8
PIPELINE = """
name: ingest
steps:
  - name: orders
    type: ingest
    table: raw.orders
    source:
      type: files
      glob: "orders/*.csv"
      format: csv
      on_processed: move
      batch_files: 7
      contract:
        columns:
          - {name: file_no, type: integer, required: true}
          - {name: row_no, type: integer, required: true}
          - {name: amount, type: double}
"""


def _file(number: int) -> str:
    lines = ["file_no,row_no,amount"]
    for row in range(ROWS):
        amount = "oops" if row % BAD_EVERY == 7 else f"{row * 1.5}"
        lines.append(f"{number},{row},{amount}")
    return "\n".join(lines) + "\n"


def _processed(project: IngestProject) -> int:
    return sum(f.startswith("_processed/orders/part-") for f in project.landed())


def _waiting(project: IngestProject) -> bool:
    """True while files are still in the landing folder (moved once loaded)."""
    return any(f.startswith("orders/") for f in project.landed())


def test_killed_ingestion_loads_every_row_exactly_once(ingest_project: IngestProject) -> None:
    project = ingest_project
    project.write("pipelines/ingest.yaml", PIPELINE)
    for number in range(FILES):
        project.put(f"orders/part-{number:03d}.csv", _file(number))
    rng = random.Random(20261122)  # reproducible chaos
    kills = 0
    for _attempt in range(30):
        if kills == KILLS or not _waiting(project):
            break
        process = project.cli("run", "ingest", "--json")
        # Kill once the run has made some progress (files move after each commit), a
        # random moment later: inside the next parse, commit, ledger update or move.
        target = _processed(project) + rng.randint(1, 15)
        while process.poll() is None and _processed(project) < target:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.15))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.communicate(timeout=120)
    assert kills >= 3, "the runs finished before they could be interrupted"
    final = project.cli("run", "ingest", "--json")
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0 and '"status": "succeeded"' in out, out + err

    good_per_file = ROWS - len([r for r in range(ROWS) if r % BAD_EVERY == 7])
    data = project.table("raw.orders")
    assert data.num_rows == FILES * good_per_file
    keys = pc.binary_join_element_wise(
        pc.cast(data["file_no"], "string"), pc.cast(data["row_no"], "string"), "/"
    )
    assert len(pc.unique(keys)) == data.num_rows  # nothing twice
    quarantine = project.table("raw.orders__quarantine")
    assert quarantine.num_rows == FILES * (ROWS - good_per_file)
    assert (
        len(
            pc.unique(
                pc.binary_join_element_wise(
                    quarantine["file"], pc.cast(quarantine["line"], "string"), ":"
                )
            )
        )
        == quarantine.num_rows
    )

    records = project.ledger("ingest", "orders")
    by_uri: dict[str, list[str]] = {}
    for r in records:
        by_uri.setdefault(r.uri, []).append(f"{r.status} {r.fingerprint} batch={r.batch} {r.error}")
    twice = {uri: found for uri, found in by_uri.items() if len(found) > 1}
    assert len(records) == FILES and {r.status for r in records} == {"loaded"}, twice
    for record in records:
        assert record.rows_read == record.rows_loaded + (record.rows_quarantined or 0) == ROWS
    assert len([f for f in project.landed() if f.startswith("_processed/orders/part-")]) == FILES
