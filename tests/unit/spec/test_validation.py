"""One pass over a project reports every problem with its file, line, column and a fix."""

from __future__ import annotations

import json

import pytest

from sluiceway.spec import SpecError

HEADLINE = {
    "sql/silver/orders.sql": "select * from raw.orders\n",
    "pipelines/orders.yaml": """\
        name: orders
        steps:
          - name: orders
            type: sql
            sql: sql/silver/orders.sql
            table: silver.orders
            materialisation: append
          - name: customers
            type: sql
            sql: sql/silver/customer.sql
            table: silver.customers
    """,
    "pipelines/gold.yaml": """\
        name: gold
        steps:
          - name: revenue
            type: sql
            query: select 1
            table: gold.revenue
            materialization:
              type: merg
              keys: [day]
    """,
}

EXPECTED = [
    "pipelines/gold.yaml:8:13: steps[0].materialization.type: unknown value 'merg'; expected "
    "'overwrite', 'append', 'partition_overwrite', 'merge', 'scd2' or 'view' "
    "— did you mean 'merge'?",
    "pipelines/orders.yaml:7:5: steps[0].materialisation: unknown field 'materialisation' "
    "— did you mean 'materialization'?",
    "pipelines/orders.yaml:10:10: steps[1].sql: SQL file 'sql/silver/customer.sql' not found "
    "— did you mean 'sql/silver/orders.sql'?",
]


def test_headline_three_problems_in_one_pass(make_project, problems_of) -> None:
    problems = problems_of(make_project(HEADLINE))
    assert [str(p) for p in problems] == EXPECTED
    typo, merg, sql = problems[1], problems[0], problems[2]
    assert (typo.file, typo.line, typo.column, typo.value) == (
        "pipelines/orders.yaml",
        7,
        5,
        "materialisation",
    )
    assert (merg.field, merg.value, merg.hint) == (
        "steps[0].materialization.type",
        "merg",
        "did you mean 'merge'?",
    )
    assert sql.value == "sql/silver/customer.sql"


def test_a_step_with_a_bad_value_still_has_its_files_checked(make_project, problems_of) -> None:
    """A typo, a bad enum value and a missing file in one step: all three, in one pass."""
    files = {
        "sql/orders.sql": "select 1 as id\n",
        "python/steps.py": "def score(orders):\n    return orders\n",
        "pipelines/one.yaml": """\
            name: one
            descripton: all in one step
            steps:
              - name: orders
                type: sql
                sql: sql/ordrs.sql
                table: silver.orders
                materialization: {type: merg, keys: [id]}
              - name: scores
                type: python
                function: steps.py:scor
                table: silver.scores
                retries: many
        """,
    }
    assert [(p.line, p.field, p.value) for p in problems_of(make_project(files))] == [
        (2, "descripton", "descripton"),
        (6, "steps[0].sql", "sql/ordrs.sql"),
        (8, "steps[0].materialization.type", "merg"),
        (11, "steps[1].function", "steps.py:scor"),
        (13, "steps[1].retries", "many"),
    ]


def test_spec_error_summary_and_exit_code(make_project) -> None:
    from sluiceway.spec import load_project

    with pytest.raises(SpecError) as caught:
        load_project(make_project(HEADLINE), environ={})
    assert caught.value.summary == "3 problems in 2 files"
    assert caught.value.exit_code == 2
    assert str(caught.value).endswith("3 problems in 2 files")


def test_headline_through_the_cli(make_project, capsys, monkeypatch) -> None:
    main = pytest.importorskip("sluiceway.cli.main", reason="sluiceway.cli.main does not import")
    from sluiceway.cli.context import state

    monkeypatch.setattr(state, "_project", None)  # another test's run() may have cached one
    for name in [n for n in __import__("os").environ if n.startswith("SLUICEWAY_")]:
        monkeypatch.delenv(name)
    root = make_project(HEADLINE)
    assert main.run(["--project", str(root), "validate"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    for line in EXPECTED:
        assert " ".join(line.split()) in err
    assert "3 problems in 2 files" in err


def test_validate_json_lists_problems_and_exits_2(make_project, cli) -> None:
    result = cli("--project", str(make_project(HEADLINE)), "validate", "--json")
    assert result.exit_code == 2
    payload = json.loads(result.output)
    assert payload["ok"] is False
    assert [(p["file"], p["line"], p["column"]) for p in payload["problems"]] == [
        ("pipelines/gold.yaml", 8, 13),
        ("pipelines/orders.yaml", 7, 5),
        ("pipelines/orders.yaml", 10, 10),
    ]
    assert set(payload["problems"][0]) == {
        "file",
        "line",
        "column",
        "field",
        "value",
        "message",
        "hint",
    }


def test_validate_success_summary(make_project, cli) -> None:
    files = dict(HEADLINE)
    files["pipelines/orders.yaml"] = (
        files["pipelines/orders.yaml"]
        .replace("materialisation", "materialization")
        .replace("customer.sql", "orders.sql")
        .replace("silver.customers", "silver.customers2")
    )
    files["pipelines/gold.yaml"] = files["pipelines/gold.yaml"].replace("merg", "merge")
    # validate also checks the SQL's tables: read one the project writes.
    files["sql/silver/orders.sql"] = "select * from gold.revenue\n"
    root = make_project(files)
    result = cli("--project", str(root), "validate")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert (
        "project shop (env prod): 2 pipelines (0 from templates), 3 steps, 3 tables written" in text
    )
    payload = json.loads(cli("--project", str(root), "--env", "dev", "validate", "--json").output)
    assert payload["ok"] is True and payload["env"] == "dev" and payload["steps"] == 3


CROSS = {
    "sql/a.sql": "select 1",
    "python/transforms.py": "def score_customers(tables):\n    return tables\n",
    "pipelines/one.yaml": """\
        name: one
        on:
          - {type: tables, tables: [raw.order]}
          - {type: schedule, cron: "0 6 * * *", timezone: Europe/Pari}
        tables:
          silver.other: {description: not ours}
        steps:
          - {name: load, type: sql, sql: sql/a.sql, table: bronze.orders}
          - {name: a, type: sql, sql: sql/a.sql, table: raw.orders, depends_on: [lod]}
          - name: score
            type: python
            function: transforms.py:score_customer
            inputs: [raw.orders]
            table: gold.scores
          - name: b
            type: python
            function: missing.py:f
            table: gold.b
          - name: audit
            type: check
            table: raw.orders
            checks: [{type: relationships, column: id, to: silver.nothing, field: id}]
    """,
    "pipelines/two.yaml": """\
        name: two
        steps:
          - {name: again, type: sql, query: select 2, table: raw.orders}
    """,
}


def test_cross_reference_problems(make_project, problems_of) -> None:
    problems = problems_of(make_project(CROSS))
    got = [(p.file, p.line, p.field, p.message, p.hint) for p in problems]
    one, two = "pipelines/one.yaml", "pipelines/two.yaml"
    assert got == [
        (
            one,
            3,
            "on[0].tables[0]",
            "table 'raw.order' is not written by any step",
            "did you mean 'raw.orders'?",
        ),
        (
            one,
            4,
            "on[1].timezone",
            "unknown time zone 'Europe/Pari'",
            "did you mean 'Europe/Paris'?",
        ),
        (
            one,
            6,
            "tables.silver.other",
            "'silver.other' is not written by a step of this pipeline",
            "this pipeline writes bronze.orders, gold.b, gold.scores, raw.orders",
        ),
        (
            one,
            8,
            "steps[0].table",
            "unknown layer 'bronze'",
            "layers are raw, silver, gold (sluiceway.yaml)",
        ),
        (
            one,
            9,
            "steps[1].table",
            "table 'raw.orders' is written by 2 steps: one.a, two.again",
            "a table has one writer; give the others other tables",
        ),
        (
            one,
            9,
            "steps[1].depends_on[0]",
            "no step 'lod' in this pipeline",
            "did you mean 'load'?",
        ),
        (
            one,
            12,
            "steps[2].function",
            "python/transforms.py defines no function 'score_customer'",
            "did you mean 'score_customers'?",
        ),
        (
            one,
            17,
            "steps[3].function",
            "python/missing.py not found",
            "the file goes in the project's python/ folder",
        ),
        (
            one,
            22,
            "steps[4].checks[0].to",
            "table 'silver.nothing' is not written by any step",
            "no step in the project writes it",
        ),
        (
            two,
            3,
            "steps[0].table",
            "table 'raw.orders' is written by 2 steps: one.a, two.again",
            "a table has one writer; give the others other tables",
        ),
    ]


def test_missing_settings_file(tmp_path, problems_of) -> None:
    (problem,) = problems_of(tmp_path)
    assert problem.file == "sluiceway.yaml" and "no sluiceway.yaml" in problem.message


def test_location_of_a_field(make_project, load) -> None:
    root = make_project(
        {
            "sql/a.sql": "select 1",
            "pipelines/p.yaml": """\
        name: p
        steps:
          - name: s
            type: sql
            sql: sql/a.sql
            table: raw.a
    """,
        }
    )
    project = load(root)
    assert str(project.location("p", "steps", 0, "sql")) == "pipelines/p.yaml:5:10"
    assert project.files == ["pipelines/p.yaml"]
    ((pipeline, step),) = list(project.steps())
    assert project.tables_written() == {"raw.a": (pipeline, step)}
    assert str(project.settings_location("name")) == "sluiceway.yaml:1:7"


def test_contract_files_are_validated(make_project, problems_of) -> None:
    root = make_project(
        {
            "contracts/orders.yaml": "columns:\n  - {name: id, typ: bigint}\n",
            "pipelines/p.yaml": """\
            name: p
            steps:
              - name: load
                type: ingest
                table: raw.orders
                source: {type: files, glob: "*.csv", format: csv, contract: contracts/orders.yaml}
              - name: load2
                type: ingest
                table: raw.orders2
                source: {type: files, glob: "*.csv", format: csv, contract: contracts/order.yaml}
        """,
        }
    )
    problems = [str(p) for p in problems_of(root)]
    assert problems == [
        "contracts/orders.yaml:2:5: columns[0].type: missing required field 'type'",
        "contracts/orders.yaml:2:16: columns[0].typ: unknown field 'typ' — did you mean 'type'?",
        "pipelines/p.yaml:10:65: steps[1].source.contract: "
        "contract file 'contracts/order.yaml' not found — did you mean 'contracts/orders.yaml'?",
    ]


def test_check_names_and_table_checks(make_project, problems_of) -> None:
    root = make_project(
        {
            "pipelines/p.yaml": """\
            name: p
            tables:
              raw.a:
                checks: [{type: relationships, column: b_id, to: raw.bb, field: id}]
            steps:
              - name: a
                type: sql
                query: select 1
                table: raw.a
                checks:
                  - {type: not_null, columns: [id]}
                  - {type: not_null, columns: [id], severity: warn}
              - {name: b, type: sql, query: select 2, table: raw.b}
            """
        }
    )
    got = [(p.line, p.field, p.message, p.hint) for p in problems_of(root)]
    assert got == [
        (
            4,
            "tables.raw.a.checks[0].to",
            "table 'raw.bb' is not written by any step",
            "did you mean 'raw.b'?",
        ),
        (
            12,
            "steps[0].checks[1]",
            "two checks are named 'not_null_id'",
            "give one of them a distinct name",
        ),
    ]


def test_a_bad_materialization_name_written_alone_is_named_with_a_fix(
    make_project, problems_of
) -> None:
    files = {
        "pipelines/one.yaml": """\
            name: one
            steps:
              - name: orders
                type: sql
                query: select 1 as id
                table: silver.orders
                materialization: apend
        """
    }
    [problem] = problems_of(make_project(files))
    assert str(problem) == (
        "pipelines/one.yaml:7:22: steps[0].materialization: unknown value 'apend'; expected "
        "'overwrite', 'append', 'partition_overwrite', 'merge', 'scd2' or 'view' "
        "— did you mean 'append'?"
    )
