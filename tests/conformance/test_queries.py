"""Every SQL feature of the suite, on Spark (local and Connect), compared with DuckDB's rows."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pytest

from conformance.cases import Case, params
from conformance.cases_functions import CASES as FUNCTION_CASES
from conformance.cases_relational import CASES as RELATIONAL_CASES
from conformance.compare import assert_same_result, is_ordered
from sluiceway.engines.base import Engine, Input

CASES = [*RELATIONAL_CASES, *FUNCTION_CASES]

# Connect runs the same engine code over gRPC: a few cases that cross every data path
# (partitioned input with a NULL partition, nested types, an empty table, a column added
# later, an ordered result, a refusal) are enough.
CONNECT_CASES = {
    "join-left",
    "struct-literal-access",
    "unnest",
    "empty-table",
    "column-added-later",
    "null-ordering",
    "list-aggregate-ordered",
}


def check(case: Case, engine: Engine, inputs: dict[str, Input], expected: pa.Table) -> None:
    """Run ``case`` on ``engine`` and compare with DuckDB's ``expected`` rows."""
    assert case.empty or expected.num_rows > 0, "the reference answer has no rows"
    assert_same_result(expected, engine.query(case.sql, inputs), ordered=is_ordered(case.sql))


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert set(ids) >= CONNECT_CASES


@pytest.mark.spark
@pytest.mark.parametrize("case", params(CASES, "spark"))
def test_spark(
    case: Case,
    spark_engine: Engine,
    conformance_inputs: dict[str, Input],
    reference: Callable[[str], pa.Table],
) -> None:
    check(case, spark_engine, conformance_inputs, reference(case.sql))


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("case", params([c for c in CASES if c.id in CONNECT_CASES], "spark"))
def test_spark_connect(
    case: Case,
    connect_engine: Engine,
    conformance_inputs: dict[str, Input],
    reference: Callable[[str], pa.Table],
) -> None:
    check(case, connect_engine, conformance_inputs, reference(case.sql))
