"""docs/system-tables.md lists every column as the exporter writes it, and its examples run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sluiceway.events import emit
from sluiceway.events.types import SlaMissed
from sluiceway.observe.system_tables import SYSTEM_TABLES

from .conftest import SystemProject

DOC = Path(__file__).resolve().parents[4] / "docs" / "system-tables.md"


def _section(text: str, table: str) -> str:
    start = text.index(f"### `{table}`")
    end = text.find("\n### ", start + 1)
    return text[start : end if end > 0 else None]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


@pytest.mark.parametrize("table", list(SYSTEM_TABLES))
def test_every_column_is_documented_in_order(table: str) -> None:
    section = _section(DOC.read_text(encoding="utf-8"), table)
    documented = re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE)
    assert documented == list(SYSTEM_TABLES[table].column_names)
    keys = ", ".join(SYSTEM_TABLES[table].keys)
    assert f"on `{keys}`" in " ".join(section.split())


def test_the_example_queries_run(system_project: SystemProject) -> None:
    p = system_project
    p.run("good")
    p.run("bad")
    emit(p.store, SlaMissed(table="raw.orders", sla="freshness", detail="no commit for 2h"))
    queries = _blocks("sql")
    assert len(queries) >= 5
    results = [p.query(sql) for sql in queries]
    assert all(results), [sql for sql, rows in zip(queries, results, strict=True) if not rows]


def test_the_example_report_pipeline_runs(system_project: SystemProject) -> None:
    p = system_project
    p.run("bad")
    [pipeline] = [b for b in _blocks("yaml") if "platform_report" in b]
    (p.root / "pipelines" / "platform_report.yaml").write_text(pipeline, encoding="utf-8")
    p.export()
    assert p.run("platform_report").status == "succeeded"
    [row] = p.query("SELECT pipeline, failed_runs FROM gold.daily_failures")
    assert row == {"pipeline": "bad", "failed_runs": 1}
