"""Every malformed-input case of the corpus, through a real pipeline run.

The cases live in ``tests/data/ingest/malformed/cases.yaml``: per landed file, what the
ledger must record (loaded / failed / duplicate), how many rows reach the table, and which
rows reach quarantine with which line, column and reason. Each case runs on a fresh project
and checks the three places a user would look (ledger, table, quarantine table) against
each other: ``rows_read = rows_loaded + rows_quarantined`` per file, and the tables hold
exactly the rows the ledger says.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from integration.ingest.conftest import IngestProject
from sluiceway.lake.service import Lake
from sluiceway.meta.ledger import FileRecord, LedgerRepo
from sluiceway.meta.store import open_project_store
from sluiceway.orchestrate.runner import RunReport, run_pipeline
from sluiceway.spec.project import load_project

DATA = Path(__file__).parents[2] / "data" / "ingest"
CORPUS = DATA / "malformed"
MANIFEST = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = MANIFEST["cases"]
TABLE = "raw.orders"
LONG_VALUE = 10_000_000


@dataclass
class Outcome:
    """What one run left behind: the report, the ledger, the table and its quarantine."""

    report: RunReport
    ledger: dict[str, FileRecord]
    rows: list[dict[str, Any]]
    columns: list[str]
    quarantine: list[dict[str, Any]]


def _long_line() -> bytes:
    """A file whose third line is one 10 MB value (written at test time, not committed)."""
    return b"id,amount,note\n1,10.50,ok\n2,7.25," + b"x" * LONG_VALUE + b"\n3,1.00,ok\n"


GENERATORS = {"long_line": _long_line}


def _land(case: dict[str, Any], project: IngestProject) -> list[str]:
    """Drop (or generate) the case's files into the landing zone; their landed names."""
    names = []
    for entry in case["files"]:
        spec = {"name": entry, "from": entry} if isinstance(entry, str) else entry
        if "generate" in spec:
            data = GENERATORS[spec["generate"]]()
        else:
            data = (CORPUS / spec["from"]).read_bytes()
        project.put(f"orders/{spec['name']}", data)
        names.append(spec["name"])
    return names


def _contract(case: dict[str, Any]) -> dict[str, Any]:
    contract = case["contract"]
    return MANIFEST["contracts"][contract] if isinstance(contract, str) else contract


def _run(root: Path, case: dict[str, Any], environ: dict[str, str]) -> Outcome:
    source = {
        "type": "files",
        "glob": "orders/*",
        "format": case.get("format", "csv"),
        "contract": _contract(case),
    }
    pipeline = {
        "name": "ingest",
        "steps": [{"name": "orders", "type": "ingest", "table": TABLE, "source": source}],
    }
    (root / "pipelines" / "ingest.yaml").write_text(yaml.safe_dump(pipeline), encoding="utf-8")
    project = load_project(root, environ=environ)
    store = open_project_store(project)
    try:
        report = run_pipeline(project, "ingest", store)
        statuses = ["seen", "loaded", "failed", "duplicate", "skipped"]
        records = LedgerRepo(store).with_status("ingest", "orders", statuses)  # type: ignore[arg-type]
        ledger = {r.uri.rsplit("/", 1)[-1]: r for r in records}
        lake = Lake.for_project(project, store)
        table = lake.table(TABLE)
        data = table.read(hide_lineage=False) if table.exists() else None
        quarantine = lake.table(f"{TABLE}__quarantine")
        bad = quarantine.read(hide_lineage=False).to_pylist() if quarantine.exists() else []
    finally:
        store.close()
    return Outcome(
        report=report,
        ledger=ledger,
        rows=data.to_pylist() if data is not None else [],
        columns=data.schema.names if data is not None else [],
        quarantine=sorted(bad, key=lambda q: (q["file"], q["line"] or 0)),
    )


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any], ingest_project: IngestProject) -> None:
    """Each case with the landing zone on a local folder, then on S3."""
    names = _land(case, ingest_project)
    outcome = _run(ingest_project.root, case, ingest_project.environ)

    assert outcome.report.status == "succeeded", outcome.report
    assert sorted(outcome.ledger) == sorted(names)
    for name, want in case["expect"].items():
        _check_file(name, want, outcome)
    _check_reconciles(outcome)
    for expected in case.get("rows", []):
        assert any(_matches(row, expected) for row in outcome.rows), (expected, outcome.rows)
    columns = case.get("columns", {})
    assert set(columns.get("present", [])) <= set(outcome.columns)
    assert not set(columns.get("absent", [])) & set(outcome.columns)


def _check_file(name: str, want: dict[str, Any], outcome: Outcome) -> None:
    record = outcome.ledger[name]
    assert record.status == want["status"], (name, record.error)
    source = f"orders/{name}"
    rows = [r for r in outcome.rows if r["_sw_source"].startswith(f"{source}:")]
    bad = [q for q in outcome.quarantine if q["file"] == source]
    if want["status"] != "loaded":
        assert want["message"] in (record.error or ""), record.error
        assert name in (record.error or "") or want["status"] == "duplicate", record.error
        assert rows == [] and bad == [], "a file not loaded left rows behind"
        return
    quarantined = want.get("quarantined", [])
    assert record.rows_loaded == want["loaded"] == len(rows)
    assert record.rows_quarantined == len(quarantined) == len(bad), bad
    assert record.rows_read == record.rows_loaded + record.rows_quarantined
    for got, expected in zip(bad, quarantined, strict=True):
        assert got["line"] == expected["line"], got
        assert got["column"] == expected["column"], got
        reasons = expected["reason"]
        for reason in [reasons] if isinstance(reasons, str) else reasons:
            assert reason in got["reason"], got["reason"]
        if "raw" in expected:
            assert expected["raw"] in (got["raw"] or ""), got["raw"]


def _check_reconciles(outcome: Outcome) -> None:
    """Ledger, run metrics, table and quarantine table agree on every count."""
    loaded = [r for r in outcome.ledger.values() if r.status == "loaded"]
    for record in loaded:
        assert record.rows_read == (record.rows_loaded or 0) + (record.rows_quarantined or 0)
    assert len(outcome.rows) == sum(r.rows_loaded or 0 for r in loaded)
    assert len(outcome.quarantine) == sum(r.rows_quarantined or 0 for r in loaded)
    (step,) = outcome.report.steps
    assert step.outcome is not None
    metrics = step.outcome.metrics
    assert metrics["rows_read"] == metrics["rows_loaded"] + metrics["rows_quarantined"]
    assert metrics["rows_read"] == sum(r.rows_read or 0 for r in loaded)
    assert metrics["rows_loaded"] == len(outcome.rows)
    assert metrics["rows_quarantined"] == len(outcome.quarantine)


def _matches(row: dict[str, Any], expected: dict[str, Any]) -> bool:
    return all(k in row and _same(row[k], v) for k, v in expected.items())


def _same(got: Any, want: Any) -> bool:
    if got is None or want is None:
        return got is want
    return got == want or str(got) == str(want)


def test_cases_cover_the_acceptance_list() -> None:
    """At least 30 cases, each with an expectation for every file it lands."""
    assert len(CASES) >= 30
    for case in CASES:
        landed = [f if isinstance(f, str) else f["name"] for f in case["files"]]
        assert sorted(case["expect"]) == sorted(landed), case["id"]


def test_generated_files_are_reproducible() -> None:
    """``make_corpus.py`` writes exactly the committed byte-exact files."""
    spec = importlib.util.spec_from_file_location("make_corpus", DATA / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, data in module.corpus().items():
        assert (CORPUS / name).read_bytes() == data, name
