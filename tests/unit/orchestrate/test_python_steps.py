"""``python`` steps: a project function receives its inputs and returns pandas, Polars,
Arrow or a batch iterator; the result commits like a SQL step's, and the user's errors
point at the user's code."""

from __future__ import annotations

import pytest

from sluiceway.orchestrate.steps.user_code import UserCodeError
from unit.lake.lake_support import rows

PIPELINE = """
name: scores
steps:
  - name: score
    type: python
    function: {function}
    inputs: [raw.orders]
    table: gold.scores
"""

MODULE = """
import pandas as pd
import polars as pl
import pyarrow as pa

from helpers import weight


def with_pandas(orders, context):
    frame = orders.aggregate("customer_id, sum(amount) AS total", "customer_id").df()
    frame["score"] = frame["total"] * weight(context.params.get("factor", 1))
    return frame[["customer_id", "score"]]


def with_polars(orders: pa.RecordBatchReader):
    frame = pl.from_arrow(orders.read_all())
    return frame.group_by("customer_id").agg(pl.col("amount").sum().alias("score"))


def with_batches(raw_orders: pa.RecordBatchReader):
    for batch in raw_orders:
        yield pa.RecordBatch.from_pydict(
            {"customer_id": batch.column("customer_id"), "score": batch.column("amount")}
        )


def broken(orders):
    scale = 0
    return orders.df() / scale if scale else 1 / scale
"""


@pytest.fixture
def scores(seeded):
    seeded.write("python/transforms.py", MODULE)
    seeded.write("python/helpers.py", "def weight(factor):\n    return 2 * factor\n")
    return seeded


def _run(workspace, function: str):
    workspace.write("pipelines/scores.yaml", PIPELINE.format(function=function))
    return workspace.run("scores")


EXPECTED_TOTALS = [
    {"customer_id": 10, "score": 12.5},
    {"customer_id": 20, "score": 20.0},
    {"customer_id": 30, "score": 1.25},
]


def test_pandas_result_commits_with_lineage_columns(scores) -> None:
    report = _run(scores, "transforms.py:with_pandas")
    assert report.status == "succeeded", report.steps
    table = scores.lake().table("gold.scores").read()
    assert rows(table) == [
        {"customer_id": 10, "score": 25.0},
        {"customer_id": 20, "score": 40.0},
        {"customer_id": 30, "score": 2.5},
    ]
    assert set(table.column("_sw_run_id").to_pylist()) == {report.run_id}
    assert set(table.column("_sw_source").to_pylist()) == {"raw.orders@0"}


def test_polars_result_from_an_arrow_reader_input(scores) -> None:
    report = _run(scores, "transforms.py:with_polars")
    assert report.status == "succeeded", report.steps
    assert rows(scores.lake().table("gold.scores").read()) == EXPECTED_TOTALS


def test_batch_iterator_is_streamed_into_one_commit(scores) -> None:
    report = _run(scores, "transforms.py:with_batches")
    assert report.status == "succeeded", report.steps
    table = scores.lake().table("gold.scores")
    assert table.count() == 4 and table.version() == 0


def test_a_raising_function_shows_the_users_file_and_line(scores) -> None:
    report = _run(scores, "transforms.py:broken")
    assert report.status == "failed"
    error = report.steps[0].error or ""
    assert "ZeroDivisionError" in error
    assert 'File "python/transforms.py", line 28, in broken' in error
    assert "return orders.df() / scale if scale else 1 / scale" in error
    assert "sluiceway/" not in error  # none of the platform's frames


def test_a_parameter_matching_no_input_is_a_clear_error(scores) -> None:
    scores.write("python/other.py", "def f(customers):\n    return None\n")
    report = _run(scores, "other.py:f")
    assert report.status == "failed"
    assert "parameter 'customers' matches no input" in (report.steps[0].error or "")


def test_user_code_error_type_is_terminal() -> None:
    from sluiceway.errors import TerminalError

    assert issubclass(UserCodeError, TerminalError)


CHECKED = (
    PIPELINE
    + """    checks:
      - {type: not_null, columns: [customer_id, score]}
      - {type: unique, columns: [customer_id], severity: block}
      - {type: range, column: score, min: 3}
"""
)


@pytest.mark.parametrize("function", ["transforms.py:with_pandas", "transforms.py:with_polars"])
def test_each_result_form_passes_its_checks_through_the_gate(scores, function: str) -> None:
    from sluiceway.meta.checks import CheckRepo

    scores.write("pipelines/scores.yaml", CHECKED.replace("{function}", function))
    report = scores.run("scores")
    assert report.status == "succeeded", report.steps
    results = {r.check_name: r.status for r in CheckRepo(scores.store).for_run(report.run_id)}
    assert results["not_null_customer_id_score"] == "passed"
    assert results["unique_customer_id"] == "passed"
    assert results["range_score"] == "failed"  # customer 30 scores below 3
    table = scores.lake().table("gold.scores").read()
    assert 30 not in table.column("customer_id").to_pylist()  # moved to quarantine
    assert set(table.column("_sw_run_id").to_pylist()) == {report.run_id}
    quarantined = scores.lake().table("gold.scores__quarantine").read().to_pylist()
    assert [(r["customer_id"], r["_sw_failed_checks"]) for r in quarantined] == [
        (30, "range_score")
    ]


def test_a_batch_iterator_failing_a_block_check_publishes_nothing(scores) -> None:
    scores.write(
        "pipelines/scores.yaml", CHECKED.replace("{function}", "transforms.py:with_batches")
    )
    report = scores.run("scores")
    assert report.status == "failed"  # customer 10 appears twice: unique blocks
    assert "unique_customer_id" in (report.steps[0].error or "")
    assert not scores.lake().table("gold.scores").exists()


def test_a_batch_iterator_passes_its_checks_and_commits_with_lineage(scores) -> None:
    from sluiceway.meta.checks import CheckRepo

    passing = (
        PIPELINE
        + """    checks:
      - {type: not_null, columns: [customer_id, score]}
      - {type: row_count, min: 4, max: 4, severity: block}
"""
    )
    scores.write(
        "pipelines/scores.yaml", passing.replace("{function}", "transforms.py:with_batches")
    )
    report = scores.run("scores")
    assert report.status == "succeeded", report.steps
    statuses = {r.check_name: r.status for r in CheckRepo(scores.store).for_run(report.run_id)}
    assert statuses == {"not_null_customer_id_score": "passed", "row_count": "passed"}
    table = scores.lake().table("gold.scores").read()
    assert table.num_rows == 4
    assert set(table.column("_sw_run_id").to_pylist()) == {report.run_id}
    assert set(table.column("_sw_source").to_pylist()) == {"raw.orders@0"}


EVERY_FORM = """
name: scores
steps:
"""
FORM_STEP = """  - name: {name}
    type: python
    function: transforms.py:{function}
    inputs: [raw.orders]
    table: gold.{name}
    checks:
      - {{type: not_null, columns: [customer_id, score]}}
      - {{type: row_count, min: 1, severity: block}}
      - {{type: range, column: score, min: 0}}
"""


def test_python_steps_of_every_result_form_with_checks_run_in_one_run(scores) -> None:
    """Each gate stages its rows on the run's DuckDB connection after the earlier steps'
    queries: none may leave a result open that blocks the next."""
    scores.write(
        "python/relations.py",
        "def as_relation(orders):\n"
        "    return orders.aggregate('customer_id, sum(amount) AS score', 'customer_id')\n",
    )
    steps = [("pandas", "with_pandas"), ("polars", "with_polars"), ("batches", "with_batches")]
    text = EVERY_FORM + "".join(FORM_STEP.format(name=n, function=f) for n, f in steps)
    text += FORM_STEP.format(name="relation", function="x").replace(
        "transforms.py:x", "relations.py:as_relation"
    )
    scores.write("pipelines/scores.yaml", text)
    report = scores.run("scores")
    assert report.status == "succeeded", [(s.step, s.error) for s in report.steps]
    lake = scores.lake()
    assert rows(lake.table("gold.pandas").read()) == [
        {"customer_id": 10, "score": 25.0},
        {"customer_id": 20, "score": 40.0},
        {"customer_id": 30, "score": 2.5},
    ]
    assert rows(lake.table("gold.polars").read()) == EXPECTED_TOTALS
    assert lake.table("gold.batches").count() == 4
    assert rows(lake.table("gold.relation").read()) == EXPECTED_TOTALS


def test_a_relation_with_checks_commits_alone(scores) -> None:
    scores.write(
        "python/relations.py",
        "def as_relation(orders):\n"
        "    return orders.aggregate('customer_id, sum(amount) AS score', 'customer_id')\n",
    )
    text = EVERY_FORM + FORM_STEP.format(name="relation", function="x").replace(
        "transforms.py:x", "relations.py:as_relation"
    )
    scores.write("pipelines/scores.yaml", text)
    report = scores.run("scores")
    assert report.status == "succeeded", [(s.step, s.error) for s in report.steps]
    assert rows(scores.lake().table("gold.relation").read()) == EXPECTED_TOTALS


GENERATORS = """
import pyarrow as pa


def late(orders: pa.RecordBatchReader):
    yield pa.table({"customer_id": [1], "score": [1.0]})
    raise ValueError("late boom")


def early(orders: pa.RecordBatchReader):
    if orders is not None:
        raise ValueError("early boom")
    yield pa.table({"customer_id": [1], "score": [1.0]})
"""


@pytest.mark.parametrize("checked", [False, True], ids=["plain", "checked"])
@pytest.mark.parametrize(
    ("function", "line", "code"),
    [
        ("late", 6, 'raise ValueError("late boom")'),
        ("early", 11, 'raise ValueError("early boom")'),
    ],
)
def test_a_raising_generator_shows_the_users_file_and_line(
    scores, function: str, line: int, code: str, checked: bool
) -> None:
    scores.write("python/generators.py", GENERATORS)
    text = PIPELINE.format(function=f"generators.py:{function}")
    if checked:
        text += "    checks:\n      - {type: not_null, columns: [customer_id]}\n"
    scores.write("pipelines/scores.yaml", text)
    report = scores.run("scores")
    assert report.status == "failed"
    error = report.steps[0].error or ""
    assert error.startswith(f"{function} raised ValueError: {function} boom\n"), error
    assert "Traceback (the step's code):" in error
    assert f'File "python/generators.py", line {line}, in {function}' in error
    assert code in error
    assert error.rstrip().endswith(f"ValueError: {function} boom")
    assert "sluiceway/" not in error and "Delta" not in error and "DuckDB" not in error
    assert not scores.lake().table("gold.scores").exists()


def test_a_returned_record_batch_reader_commits_as_a_stream(scores) -> None:
    scores.write(
        "python/readers.py",
        "import pyarrow as pa\n\n\ndef passthrough(orders: pa.RecordBatchReader):\n"
        "    return orders\n",
    )
    report = _run(scores, "readers.py:passthrough")
    assert report.status == "succeeded", report.steps
    assert scores.lake().table("gold.scores").count() == 4
