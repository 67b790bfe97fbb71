"""NDJSON, JSON and Parquet files through the runner: ledger, table and quarantine agree."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sluiceway.lake.service import Lake
from sluiceway.meta.ledger import LedgerRepo
from sluiceway.meta.store import MetaStore, open_project_store
from sluiceway.orchestrate.runner import run_pipeline
from sluiceway.spec.project import load_project

GOOD = [{"id": 1, "kind": "click"}, {"id": 2, "kind": "view"}]
BAD = {"id": "three", "kind": "click"}


def _ndjson(path: Path) -> None:
    lines = [json.dumps(GOOD[0]), "", json.dumps(BAD), json.dumps(GOOD[1])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _json(path: Path) -> None:
    path.write_text(json.dumps([GOOD[0], BAD, GOOD[1]]), encoding="utf-8")


def _parquet(path: Path) -> None:
    pq.write_table(pa.table({"id": ["1", "three", "2"], "kind": ["click", "click", "view"]}), path)


# format, file name, writer, where the bad row is (line, item index or row number)
CASES: dict[str, tuple[str, Callable[[Path], None], int]] = {
    "ndjson": ("a.ndjson", _ndjson, 3),
    "json": ("a.json", _json, 2),
    "parquet": ("a.parquet", _parquet, 2),
}


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, MetaStore]]:
    root = tmp_path / "project"
    (root / "pipelines").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text("name: shop\n", encoding="utf-8")
    store = open_project_store(load_project(root, environ={}))
    try:
        yield root, store
    finally:
        store.close()


@pytest.mark.parametrize("fmt", sorted(CASES))
def test_a_file_loads_with_counts_lineage_and_quarantine(
    project: tuple[Path, MetaStore], fmt: str
) -> None:
    root, store = project
    name, write, bad_at = CASES[fmt]
    (root / "pipelines" / "events.yaml").write_text(
        textwrap.dedent(
            f"""
            name: events
            steps:
              - name: load
                type: ingest
                table: raw.events
                source:
                  type: files
                  glob: "events/*.{name.split(".")[1]}"
                  format: {fmt}
                  contract:
                    columns:
                      - {{name: id, type: bigint, required: true}}
                      - {{name: kind, type: varchar}}
            """
        ),
        encoding="utf-8",
    )
    landing = root / "landing" / "events"
    landing.mkdir(parents=True)
    write(landing / name)

    run_pipeline(load_project(root, environ={}), "events", store)

    [record] = LedgerRepo(store).with_status("events", "load", ["loaded"])
    assert (record.rows_read, record.rows_loaded, record.rows_quarantined) == (3, 2, 1)
    lake = Lake.for_project(load_project(root, environ={}), store)
    rows = lake.table("raw.events").read(hide_lineage=False).to_pylist()
    assert sorted((r["id"], r["kind"]) for r in rows) == [(1, "click"), (2, "view")]
    lines = {"ndjson": ":1-4", "json": ":1-1", "parquet": ""}[fmt]  # the file's record lines
    assert {r["_sw_source"] for r in rows} == {f"events/{name}{lines}"}
    [bad] = lake.table("raw.events__quarantine").read().to_pylist()
    assert (bad["file"], bad["line"], bad["column"]) == (f"events/{name}", bad_at, "id")
    assert '"three"' in bad["reason"]
    assert json.loads(bad["raw"])["id"] == "three"
