"""``sluiceway validate`` analyses every sql step's SQL as a run would, in the same pass."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sluiceway.cli.context import state
from sluiceway.cli.main import run

FILES = {
    "sluiceway.yaml": "name: shop\n",
    "pipelines/raw.yaml": """\
        name: raw
        steps:
          - {name: orders, type: sql, query: SELECT 1 AS order_id, table: raw.orders}
    """,
    "pipelines/silver.yaml": """\
        name: silver
        params: {country: fr}
        steps:
          - {name: typo, type: sql, sql: sql/typo.sql, table: silver.typo}
          - {name: syntax, type: sql, sql: sql/syntax.sql, table: silver.syntax}
          - {name: delete, type: sql, sql: sql/delete.sql, table: silver.delete}
          - {name: jinja, type: sql, sql: sql/jinja.sql, table: silver.jinja}
          - name: inline
            type: sql
            query: |
              SELECT order_id
              FROM raw.ordres
            table: silver.inline
          - {name: one_line, type: sql, query: SELECT * FROM raw.nope, table: silver.one_line}
    """,
    "pipelines/good.yaml": """\
        name: good
        params: {country: fr}
        steps:
          - name: view
            type: sql
            query: SELECT * FROM raw.orders WHERE '{{ run.partition }}' <> ''
            table: silver.recent
            materialization: view
          - {name: reads_view, type: sql, sql: sql/good.sql, table: gold.good}
    """,
    "sql/typo.sql": "SELECT *\nFROM raw.order\n",
    "sql/syntax.sql": "SELECT order_id\nFROM raw.orders\nWHERE order_id = = 3\n",
    "sql/delete.sql": "DELETE FROM raw.orders WHERE order_id < 0\n",
    "sql/jinja.sql": "SELECT * FROM raw.orders\nWHERE country = {{ params.contry | sql }}\n",
    "sql/good.sql": (
        "SELECT r.order_id, l.id\nFROM silver.recent AS r JOIN legacy.ids AS l"
        " ON l.id = r.order_id\nWHERE '{{ params.country }}' = 'fr'\n"
    ),
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    for relative, text in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    for name in [n for n in os.environ if n.startswith("SLUICEWAY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(state, "_project", None)
    monkeypatch.setattr(state, "_store", None)
    # legacy.ids is known only to the catalog: no pipeline of the project writes it.
    from sluiceway.meta.catalog import TableDefinition
    from sluiceway.meta.store import open_project_store
    from sluiceway.spec.project import load_project

    with open_project_store(load_project(root, environ={})) as store:
        location = str(root / "lake" / "prod" / "legacy" / "ids")
        store.catalog.register(TableDefinition("prod", "legacy", "ids", location))
    return root


def _validate(project: Path, capsys: Any, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(["--project", str(project), "validate", *args])
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


EXPECTED = [
    ("pipelines/silver.yaml", 12, 12, "unknown table raw.ordres — did you mean 'raw.orders'?"),
    ("pipelines/silver.yaml", 14, 54, "unknown table raw.nope"),
    ("sql/delete.sql", 1, 1, "DELETE is not a query: a sql step must be a single SELECT"),
    ("sql/jinja.sql", 2, 20, "undefined variable params.contry — did you mean 'params.country'?"),
    ("sql/syntax.sql", 3, 18, "syntax error at '='"),
    ("sql/typo.sql", 2, 6, "unknown table raw.order — did you mean 'raw.orders'?"),
]


def test_every_sql_problem_is_reported_with_its_place_in_one_pass(project, capsys) -> None:
    code, _, err = _validate(project, capsys)
    assert code == 2
    for file, line, column, message in EXPECTED:
        assert f"{file}:{line}:{column}: " in err, (file, err)
        assert message in err, (message, err)
    assert "6 problems in 5 files" in err
    # The view written by the project, and the table only the catalog knows, are fine.
    assert "silver.recent" not in err and "legacy.ids" not in err


def test_validate_json_lists_the_sql_problems(project, capsys) -> None:
    code, out, _ = _validate(project, capsys, "--json")
    assert code == 2
    payload = json.loads(out)
    assert payload["ok"] is False
    found = [(p["file"], p["line"], p["column"]) for p in payload["problems"]]
    assert found == [(f, line, column) for f, line, column, _ in EXPECTED]
    for problem, (*_, message) in zip(payload["problems"], EXPECTED, strict=True):
        assert message in problem["message"]


def test_a_project_whose_sql_is_sound_validates(project, capsys) -> None:
    (project / "pipelines" / "silver.yaml").unlink()
    code, out, err = _validate(project, capsys)
    assert code == 0, err
    assert "ok project shop" in " ".join(out.split())


def test_validate_creates_no_metadata_store(tmp_path: Path, capsys, monkeypatch) -> None:
    root = tmp_path / "fresh"
    (root / "pipelines").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text("name: shop\n", encoding="utf-8")
    (root / "pipelines" / "a.yaml").write_text(
        "name: a\nsteps:\n  - {name: s, type: sql, query: SELECT * FROM raw.x, table: raw.y}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(state, "_project", None)
    monkeypatch.setattr(state, "_store", None)
    code, _, err = _validate(root, capsys)
    assert code == 2
    assert "pipelines/a.yaml:3:47: steps[0].query: unknown table raw.x" in err
    assert not (root / ".sluiceway").exists()


def test_a_problem_of_some_template_rows_names_the_rows(tmp_path: Path, capsys, monkeypatch):
    root = tmp_path / "rows"
    (root / "pipelines").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text("name: shop\n", encoding="utf-8")
    (root / "pipelines" / "t.yaml").write_text(
        textwrap.dedent(
            """\
            name: copy_{{ source }}
            matrix:
              - {source: orders}
              - {source: refunds}
            steps:
              - name: copy
                type: sql
                query: SELECT * FROM raw.{{ params.source }}
                table: silver.{{ source }}
            """
        ),
        encoding="utf-8",
    )
    (root / "pipelines" / "raw.yaml").write_text(
        "name: raw\nsteps:\n  - {name: o, type: sql, query: SELECT 1 AS id, table: raw.orders}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(state, "_project", None)
    monkeypatch.setattr(state, "_store", None)
    code, _, err = _validate(root, capsys)
    assert code == 2
    assert (
        "pipelines/t.yaml:8:26: steps[0].query: row 2 (source=refunds): unknown table raw.refunds"
        in err
    )
    assert "1 problem in 1 file" in err


def test_pipelines_feeding_each_other_in_a_cycle_do_not_validate(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    root = tmp_path / "cycle"
    files = {
        "sluiceway.yaml": "name: shop\n",
        "pipelines/a.yaml": "name: a\nsteps:\n"
        "  - {name: orders, type: sql, query: SELECT 1 AS id, table: silver.orders}\n"
        "  - {name: enrich, type: sql, query: SELECT * FROM gold.a, table: silver.enriched}\n",
        "pipelines/b.yaml": "name: b\nsteps:\n"
        "  - {name: agg, type: sql, query: SELECT * FROM silver.orders, table: gold.a}\n",
    }
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    for name in [n for n in os.environ if n.startswith("SLUICEWAY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(state, "_project", None)
    monkeypatch.setattr(state, "_store", None)
    code, _, err = _validate(root, capsys)
    assert code != 0
    assert "pipelines a and b feed each other in a cycle: silver.orders → gold.a" in err
