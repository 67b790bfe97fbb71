"""render_sql: Jinja with params and run context, strict about undefined names."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from sluiceway.sql.errors import SqlError
from sluiceway.sql.render import render_sql, sql_literal

PARAMS = {"country": "DE", "countries": ["DE", "it's"], "min_amount": 5}
RUN = {"partition": "2024-05-01", "started_at": dt.datetime(2024, 5, 1, 6, tzinfo=dt.UTC)}


def test_params_and_run_are_rendered_and_lines_stay_aligned() -> None:
    text = (
        "select *\n"
        "from raw.orders\n"
        "{% if params.min_amount %}\n"
        "where amount >= {{ params.min_amount }}\n"
        "  and country = '{{ params.country }}'\n"
        "  and order_date = '{{ run.partition }}'\n"
        "{% endif %}\n"
    )
    rendered = render_sql(text, params=PARAMS, run=RUN)
    assert rendered.splitlines()[3:6] == [
        "where amount >= 5",
        "  and country = 'DE'",
        "  and order_date = '2024-05-01'",
    ]
    assert len(rendered.splitlines()) == len(text.splitlines())
    assert rendered.endswith("\n")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ params.country | sql }}", "'DE'"),
        ("{{ params.countries | sql }}", "('DE', 'it''s')"),
        ("{{ params.min_amount | sql }}", "5"),
        ("{{ run.started_at | sql }}", "CAST('2024-05-01 06:00:00+00:00' AS TIMESTAMPTZ)"),
        ("{{ params.country | quote }}", "'DE'"),
    ],
)
def test_the_sql_filter_writes_literals(template: str, expected: str) -> None:
    assert render_sql(template, params=PARAMS, run=RUN) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "NULL"),
        (True, "TRUE"),
        (-3, "-3"),
        (2.5, "2.5"),
        (decimal.Decimal("1.10"), "1.10"),
        ("x'; drop table raw.orders; --", "'x''; drop table raw.orders; --'"),
        (dt.date(2024, 5, 1), "CAST('2024-05-01' AS DATE)"),
        (["a", None, 1], "('a', NULL, 1)"),
        ([], "(NULL)"),
    ],
)
def test_sql_literal(value: object, expected: str) -> None:
    assert sql_literal(value) == expected


def test_an_undefined_param_names_the_line_and_the_closest_param() -> None:
    text = "select *\nfrom raw.orders\nwhere country = {{ params.contry | sql }}\n"
    with pytest.raises(SqlError) as caught:
        render_sql(text, params=PARAMS, path="sql/orders.sql")
    assert str(caught.value).splitlines() == [
        "sql/orders.sql:3:20: undefined variable params.contry — did you mean 'params.country'?",
        "    where country = {{ params.contry | sql }}",
        "                       ^^^^^^^^^^^^^",
    ]


def test_an_undefined_run_value_lists_what_is_defined() -> None:
    with pytest.raises(SqlError, match=r"undefined variable run\.zzz — defined: run\.partition"):
        render_sql("select {{ run.zzz }}", run=RUN)


def test_a_bare_name_says_where_variables_live() -> None:
    with pytest.raises(SqlError, match=r"template variables are params\.\* and run\.\*"):
        render_sql("select {{ country }}", params=PARAMS)


def test_a_param_named_like_a_dict_method_is_the_param() -> None:
    assert render_sql("{{ params.items }}", params={"items": 3}) == "3"


def test_a_jinja_syntax_error_names_the_line() -> None:
    with pytest.raises(SqlError) as caught:
        render_sql("select 1\n{% if params.x %}\nselect 2", params={"x": 1}, path="a.sql")
    assert caught.value.path == "a.sql"
    assert caught.value.message.startswith("template syntax error")


def test_the_sandbox_refuses_python_internals() -> None:
    with pytest.raises(SqlError, match="unsafe"):
        render_sql("{{ ''.__class__.__mro__ }}")


def test_a_value_without_a_literal_is_an_error() -> None:
    with pytest.raises(SqlError, match="has no SQL literal"):
        render_sql("{{ params.x | sql }}", params={"x": float("nan")})


def test_a_run_value_the_run_lacks_is_an_error_not_the_text_none() -> None:
    run = {"id": "r1", "partition": None}
    with pytest.raises(SqlError) as caught:
        render_sql("SELECT *\nFROM raw.t WHERE day = '{{ run.partition }}'", run=run, path="a.sql")
    error = caught.value
    assert (error.line, error.column, error.length) == (2, 28, 13)
    assert error.message == "run.partition is not set: this run has no partition"
    assert "--partition" in (error.hint or "")
    # SQL written for runs with and without a partition tests whether it is defined.
    text = "SELECT 1{% if run.partition is defined %} WHERE d = {{ run.partition | sql }}"
    text += "{% endif %}"
    assert render_sql(text, run=run) == "SELECT 1"
    assert render_sql(text, run={"partition": "2026-05-01"}) == "SELECT 1 WHERE d = '2026-05-01'"
    with pytest.raises(SqlError, match=r"did you mean 'run\.partition'"):
        render_sql("SELECT {{ run.partiton }}", run=run)
