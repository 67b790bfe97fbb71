"""The example project as a user runs it: every pipeline, then again after a new day lands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sluiceway.cli.context import state
from sluiceway.cli.main import run
from sluiceway.scaffold.sample_data import generate

pytestmark = pytest.mark.slow

PIPELINES = ["ingest_orders", "ingest_customers", "ingest_products", "silver", "gold"]


def _query(project: Path, sql: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert run(["--project", str(project), "query", sql, "--format", "json"]) == 0
    return list(json.loads(capsys.readouterr().out))


def test_every_pipeline_runs_again_after_a_new_day_lands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state, "_project", None)
    project = tmp_path / "shop"
    assert run(["init", str(project), "--days", "2"]) == 0
    for pipeline in PIPELINES:
        assert run(["--project", str(project), "run", pipeline]) == 0, pipeline
    first = _query(project, "select count(*) as n from silver.customers", capsys)[0]["n"]

    # Day three arrives: the generator is deterministic, so its first two days are the
    # files already loaded; only the new day's files are dropped into the landing zone.
    later = tmp_path / "later"
    generate(later, days=3)
    for new in later.rglob("*2026-11-03*"):
        shutil.copy(new, project / "landing" / new.relative_to(later))
    for pipeline in PIPELINES:
        assert run(["--project", str(project), "run", pipeline]) == 0, pipeline

    history = _query(
        project,
        "select count(*) as versions, count(*) filter (where is_current) as current, "
        "count(distinct customer_id) as customers from silver.customers",
        capsys,
    )[0]
    assert history["current"] == history["customers"]  # one current version per customer
    assert history["versions"] > first  # day three's changes opened new versions
    closed = _query(
        project,
        "select count(*) as n from silver.customers "
        "where not is_current and (valid_to is null or _sw_updated_at is null)",
        capsys,
    )[0]
    assert closed["n"] == 0  # every closed version has its end and its update time
