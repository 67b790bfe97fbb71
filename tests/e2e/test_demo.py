"""``sluiceway demo`` (what ``make demo`` runs): the example project driven by its events."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluiceway.cli.context import state
from sluiceway.cli.main import run
from sluiceway.meta.runs import RunRepo
from sluiceway.meta.store import open_project_store
from sluiceway.spec.project import load_project

pytestmark = pytest.mark.slow


def test_landed_files_flow_to_gold_through_events_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state, "_project", None)
    folder = tmp_path / "shop"
    code = run(["demo", str(folder), "--days", "2", "--pause", "0.2", "--step-workers", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "landed 2026-11-02" in out and "check results" in out

    project = load_project(folder, environ={})
    with open_project_store(project) as store:
        runs = RunRepo(store).recent()
    assert {r.status for r in runs} == {"succeeded"}
    kinds = {(r.pipeline, r.trigger["kind"]) for r in runs}
    assert ("silver", "tables") in kinds and ("gold", "tables") in kinds
    assert {p for p, kind in kinds if kind == "files"} == {
        "ingest_orders",
        "ingest_customers",
        "ingest_products",
    }
    assert "manual" not in {kind for _, kind in kinds}  # nothing was run by hand
    assert run(["--project", str(folder), "query", "select count(*) from gold.daily_revenue"]) == 0


def test_the_demo_refuses_a_folder_that_is_not_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert run(["demo", str(tmp_path)]) != 0
    assert "is not empty" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "mine"
