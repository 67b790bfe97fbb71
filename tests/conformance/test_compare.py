"""The comparison itself: a suite whose comparison cannot fail would prove nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from conformance.compare import assert_same_result, is_ordered


def table(**columns: pa.Array) -> pa.Table:
    return pa.table(columns)


def test_rows_compare_as_multisets_unless_ordered() -> None:
    a = table(x=pa.array([1, 2, 2]))
    b = table(x=pa.array([2, 1, 2]))
    assert_same_result(a, b, ordered=False)
    with pytest.raises(AssertionError, match="row 0 differs"):
        assert_same_result(a, b, ordered=True)
    with pytest.raises(AssertionError, match="3 rows expected, 2 returned"):
        assert_same_result(a, table(x=pa.array([1, 2])), ordered=False)


def test_numbers_by_family_and_value() -> None:
    money = pa.array([Decimal("1.50")], pa.decimal128(38, 2))
    assert_same_result(
        table(x=money), table(x=pa.array([Decimal("1.5")], pa.decimal128(20, 2))), ordered=False
    )
    assert_same_result(
        table(n=pa.array([3], pa.int64())), table(n=pa.array([3], pa.int32())), ordered=False
    )
    assert_same_result(table(f=pa.array([0.1 + 0.2])), table(f=pa.array([0.3])), ordered=False)
    with pytest.raises(AssertionError, match="column types differ"):
        assert_same_result(table(x=money), table(x=pa.array([1.5])), ordered=False)
    with pytest.raises(AssertionError, match="row 0 differs"):
        assert_same_result(table(f=pa.array([1.0])), table(f=pa.array([1.001])), ordered=False)


def test_instants_are_not_wall_clock_times() -> None:
    instant = pa.array([datetime(2024, 1, 1, tzinfo=UTC)], pa.timestamp("us", tz="UTC"))
    wall = pa.array([datetime(2024, 1, 1)], pa.timestamp("us"))
    with pytest.raises(AssertionError, match="column types differ"):
        assert_same_result(table(t=instant), table(t=wall), ordered=False)


def test_nested_values_and_names() -> None:
    nested = pa.array([{"a": 1, "b": [1, None]}])
    assert_same_result(table(s=nested), table(s=nested), ordered=False)
    with pytest.raises(AssertionError, match="row 0 differs"):
        assert_same_result(
            table(s=nested), table(s=pa.array([{"a": 1, "b": [1, 2]}])), ordered=False
        )
    with pytest.raises(AssertionError, match="column names differ"):
        assert_same_result(table(s=nested), table(t=nested), ordered=False)


def test_only_a_top_level_order_by_orders() -> None:
    assert is_ordered("SELECT x FROM t ORDER BY x")
    assert is_ordered("SELECT x FROM t UNION ALL SELECT y FROM u ORDER BY 1")
    assert not is_ordered("SELECT * FROM (SELECT x FROM t ORDER BY x) s")
    assert not is_ordered("SELECT row_number() OVER (ORDER BY x) AS n FROM t")
