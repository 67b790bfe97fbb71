"""Templates: matrix and CSV rows, rendering rules, row-aware problems, determinism."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sluiceway.spec.steps import IngestStep, SqlStep
from sluiceway.spec.template import expand

INGEST = """\
name: ingest_{{ source }}
description: Load {{ source }} files for {{ params.country }}
params: {country: FR}
ROWS
on:
  - {type: files, glob: "{{ source }}/*.{{ format }}"}
steps:
  - name: load
    type: ingest
    table: raw.{{ source }}
    materialization: append
    source:
      type: files
      glob: "{{ source }}/*.{{ format }}"
      format: {type: "{{ format }}"}
  - name: clean
    type: sql
    query: select * from raw.{{ source }} where country = '{{ params.country }}'
    table: silver.{{ source }}
"""


def _ingest(rows: str) -> str:
    return INGEST.replace("ROWS", rows.rstrip("\n"))


MATRIX = """\
matrix:
  - {source: orders, format: csv}
  - {source: refunds, format: ndjson, country: BE}
"""


def test_matrix_expands_one_pipeline_per_row(make_project, load) -> None:
    project = load(make_project({"pipelines/ingest.yaml": _ingest(MATRIX)}))
    assert list(project.pipelines) == ["ingest_orders", "ingest_refunds"]
    orders, refunds = project.pipelines.values()
    assert orders.description == "Load orders files for FR"
    assert refunds.description == "Load refunds files for BE"  # the row wins over params:
    assert refunds.params == {"country": "BE", "source": "refunds", "format": "ndjson"}
    load_step = refunds.steps[0]
    assert isinstance(load_step, IngestStep) and load_step.table == "raw.refunds"
    assert load_step.source.format.type == "ndjson"  # type: ignore[union-attr]
    assert refunds.origin.file == "pipelines/ingest.yaml"
    assert (refunds.origin.row, dict(refunds.origin.values)) == (
        1,
        {"source": "refunds", "format": "ndjson", "country": "BE"},
    )
    assert refunds.origin.label == "row 2 (source=refunds, format=ndjson, country=BE)"
    assert str(refunds.origin.row_location) == "pipelines/ingest.yaml:6:5"
    # the template's line, for later subsystems
    assert str(project.location(refunds, "steps", 0, "table")) == "pipelines/ingest.yaml:12:12"


def test_query_is_not_rendered(make_project, load) -> None:
    project = load(make_project({"pipelines/ingest.yaml": _ingest(MATRIX)}))
    clean = project.pipelines["ingest_orders"].steps[1]
    assert isinstance(clean, SqlStep)
    assert clean.query == "select * from raw.{{ source }} where country = '{{ params.country }}'"


def test_csv_parameters_forty_rows(make_project, load) -> None:
    sources = [f"source_{i:02d}" for i in range(40)]
    csv_text = "source,format\n" + "".join(
        f"{s},{'csv' if i % 2 else 'parquet'}\n" for i, s in enumerate(sources)
    )
    files = {
        "params/sources.csv": csv_text,
        "pipelines/ingest.yaml": _ingest("parameters: params/sources.csv"),
    }
    root = make_project(files)
    project = load(root)
    assert list(project.pipelines) == [f"ingest_{s}" for s in sources]
    written = project.tables_written()
    assert sorted(written) == sorted(
        [f"raw.{s}" for s in sources] + [f"silver.{s}" for s in sources]
    )
    for index, source in enumerate(sources):
        pipeline = project.pipelines[f"ingest_{source}"]
        assert pipeline.origin.row == index
        assert written[f"silver.{source}"][0] is pipeline
        assert pipeline.steps[0].source.format.type == ("csv" if index % 2 else "parquet")  # type: ignore[union-attr]
        assert str(pipeline.origin.row_location) == f"params/sources.csv:{index + 2}:1"
    again = load(root)
    assert list(again.pipelines) == list(project.pipelines)
    assert all(again.pipelines[n] == p for n, p in project.pipelines.items())


def test_undefined_variable_names_the_variable_and_the_row(make_project, problems_of) -> None:
    rows = "matrix:\n  - {source: orders, format: csv}\n  - {source: refunds}\n"
    problem, *others = problems_of(make_project({"pipelines/ingest.yaml": _ingest(rows)}))
    assert [p.field for p in others] == ["steps[0].source.glob", "steps[0].source.format.type"]
    assert (problem.line, problem.field) == (8, "on[0].glob")
    assert problem.message == "row 2 (source=refunds): undefined variable 'format'"
    assert problem.hint == "variables: country, source"


def test_typo_in_every_row_is_reported_once(make_project, problems_of) -> None:
    text = _ingest(MATRIX).replace("{{ source }}/*", "{{ sourc }}/*", 1)
    (problem,) = problems_of(make_project({"pipelines/ingest.yaml": text}))
    assert problem.message == "undefined variable 'sourc'"
    assert problem.hint == "did you mean 'source'?"


def test_problem_in_one_rendered_row(make_project, problems_of) -> None:
    rows = "matrix:\n  - {source: orders, format: csv}\n  - {source: refunds, format: xml}\n"
    (problem,) = problems_of(make_project({"pipelines/ingest.yaml": _ingest(rows)}))
    assert (problem.file, problem.line, problem.field) == (
        "pipelines/ingest.yaml",
        17,
        "steps[0].source.format.type",
    )
    assert problem.message.startswith("row 2 (source=refunds, format=xml): unknown value 'xml'")


def test_duplicate_rendered_names_point_at_the_name_line(make_project, problems_of) -> None:
    text = _ingest(MATRIX).replace("name: ingest_{{ source }}", "name: ingest")
    problems = problems_of(make_project({"pipelines/ingest.yaml": text}))
    names = [p for p in problems if p.field == "name"]
    assert len(names) == 1
    assert (names[0].line, names[0].column) == (1, 7)
    assert "pipeline name 'ingest' is used by 2 pipelines" in names[0].message
    assert "name needs a variable" in (names[0].hint or "")


def test_plain_file_with_braces_is_a_problem(make_project, problems_of) -> None:
    text = (
        "name: p_{{ x }}\nsteps:\n  - {name: s, type: sql, query: 'select {{ x }}', table: raw.s}\n"
    )
    (problem,) = problems_of(make_project({"pipelines/p.yaml": text}))
    assert (problem.line, problem.column) == (1, 7)
    assert problem.message == "uses {{ }} but has no matrix: or parameters:"


def test_ragged_csv_and_bad_rows(make_project, problems_of) -> None:
    files = {
        "params/sources.csv": "source,format\norders,csv\nrefunds,csv,extra\n",
        "pipelines/ingest.yaml": _ingest("parameters: params/sources.csv"),
        "pipelines/other.yaml": _ingest("matrix: [{source: a, format: csv, 1bad: x}]")
        .replace("ingest_", "other_")
        .replace("raw.", "raw.o_")
        .replace("silver.", "silver.o_"),
        "pipelines/missing.yaml": _ingest("parameters: params/source.csv").replace(
            "ingest_", "missing_"
        ),
        "pipelines/both.yaml": "name: x\nmatrix: [{a: 1}]\nparameters: p.csv\nsteps: []\n",
    }
    got = [(p.file, p.line, p.message) for p in problems_of(make_project(files))]
    assert got == [
        ("params/sources.csv", 3, "line has 3 values but the header has 2"),
        ("pipelines/both.yaml", 3, "a template has matrix: or parameters:, not both"),
        ("pipelines/missing.yaml", 4, "parameter file 'params/source.csv' not found"),
        (
            "pipelines/other.yaml",
            4,
            "template variable '1bad' is not a variable name Jinja can use",
        ),
    ]


def test_empty_matrix(make_project, problems_of) -> None:
    (problem,) = problems_of(make_project({"pipelines/ingest.yaml": _ingest("matrix: []")}))
    assert problem.field == "matrix" and "non-empty list" in problem.message


_names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_rows = st.lists(
    st.fixed_dictionaries({"source": _names, "n": st.integers(0, 99)}), min_size=0, max_size=12
)
_DATA = {
    "name": "t_{{ source }}",
    "params": {"n": 0},
    "matrix": "ignored",
    "steps": [{"name": "s", "query": "{{ source }}", "table": "raw.{{ source }}_{{ params.n }}"}],
    "tags": ["{{ n }}", 3, None, True],
}


@settings(max_examples=60, deadline=None)
@given(_rows)
def test_expansion_is_deterministic_and_keeps_row_count(rows) -> None:
    first, second = expand(_DATA, rows), expand(_DATA, rows)
    assert first == second
    assert len(first) == len(rows)
    for (rendered, issues), row in zip(first, rows, strict=True):
        assert issues == []
        assert "matrix" not in rendered
        assert rendered["name"] == f"t_{row['source']}"
        assert rendered["steps"][0]["query"] == "{{ source }}"
        assert rendered["steps"][0]["table"] == f"raw.{row['source']}_{row['n']}"
        assert rendered["tags"] == [str(row["n"]), 3, None, True]
        assert rendered["params"] == {"n": row["n"], "source": row["source"]}
