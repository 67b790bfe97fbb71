"""The predicate builder: quoting that cannot be escaped, literals delta-rs compares right."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake
from hypothesis import given
from hypothesis import strategies as st

from sluiceway.lake.predicates import (
    FALSE,
    TRUE,
    and_,
    column,
    compare,
    in_list,
    is_null,
    literal,
    not_,
    or_,
    quote_identifier,
)


def test_identifiers_are_double_quoted_with_quotes_doubled() -> None:
    assert column("id") == '"id"'
    assert column('we"ird') == '"we""ird"'
    assert column("Id", table="t") == '"t"."Id"'
    assert quote_identifier is column
    with pytest.raises(ValueError):
        column("")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "NULL"),
        (True, "TRUE"),
        (False, "FALSE"),
        (42, "42"),
        (-7, "-7"),
        (1.5, "1.5"),
        (Decimal("1E+2"), "100"),
        (Decimal("12.30"), "12.30"),
        ("it's", "'it''s'"),
        (date(2024, 1, 2), "'2024-01-02'"),
        (datetime(2024, 1, 2, 3, 4, 5), "'2024-01-02T03:04:05'"),
        (
            datetime(2024, 1, 2, 3, 0, tzinfo=timezone(timedelta(hours=2))),
            "'2024-01-02T01:00:00+00:00'",
        ),
    ],
)
def test_literals(value: object, text: str) -> None:
    assert literal(value) == text  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN")])
def test_non_finite_numbers_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="equals nothing"):
        literal(value)  # type: ignore[arg-type]


def test_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError):
        literal([1, 2])  # type: ignore[arg-type]


def test_compare_in_list_and_combinators() -> None:
    assert compare("a", ">=", 3) == '"a" >= 3'
    assert compare("a", "=", None) == '"a" IS NULL'
    assert compare("a", "!=", None) == '"a" IS NOT NULL'
    with pytest.raises(ValueError):
        compare("a", "; DROP", 1)
    with pytest.raises(ValueError):
        compare("a", "<", None)
    assert in_list("a", []) == FALSE
    assert in_list("a", [1]) == '"a" = 1'
    assert in_list("a", [1, 2, 1, None]) == '("a" IN (1, 2)) OR ("a" IS NULL)'
    assert and_() == TRUE
    assert or_() == FALSE
    assert and_("x") == "x"
    assert and_("x", "y") == "(x) AND (y)"
    assert not_(is_null("a")) == 'NOT ("a" IS NULL)'


@given(st.text(alphabet=string.printable + "'\"`é→", min_size=1, max_size=30))
def test_strings_and_names_always_stay_one_token(text: str) -> None:
    # Whatever the text, it opens and closes exactly one quoted token.
    quoted = literal(text)
    assert quoted.startswith("'") and quoted.endswith("'")
    assert quoted[1:-1].replace("''", "").count("'") == 0
    name = column(text)
    assert name[1:-1].replace('""', "").count('"') == 0


def test_predicates_select_the_right_rows_in_delta(tmp_path: Path) -> None:
    """Each literal type compares with its column type in delta-rs (not a typed-literal error)."""
    data = pa.table(
        {
            "Id": pa.array([1, 2, 3], pa.int32()),
            "my col": ["a", "it's", None],
            "day": [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)],
            "ts": pa.array(
                [datetime(2024, 1, d, tzinfo=UTC) for d in (1, 2, 3)], pa.timestamp("us", "UTC")
            ),
            "amount": pa.array(
                [Decimal("1.10"), Decimal("2.20"), Decimal("3.30")], pa.decimal128(12, 2)
            ),
            "ok": [True, False, True],
        }
    )
    cases = {
        compare("Id", "=", 2): 1,
        compare("my col", "=", "it's"): 1,
        compare("my col", "=", None): 1,
        compare("day", ">", date(2024, 1, 1)): 2,
        compare("ts", "=", datetime(2024, 1, 2, 2, 0, tzinfo=timezone(timedelta(hours=2)))): 1,
        compare("amount", "=", Decimal("2.2")): 1,
        compare("ok", "=", True): 2,
        in_list("Id", [1, 3]): 2,
        and_(compare("Id", ">", 1), compare("ok", "=", True)): 1,
        or_(compare("Id", "=", 1), compare("Id", "=", 2)): 2,
    }
    for i, (predicate, expected) in enumerate(cases.items()):
        uri = str(tmp_path / f"t{i}")
        write_deltalake(uri, data)
        metrics = DeltaTable(uri).delete(predicate)
        assert metrics["num_deleted_rows"] == expected, predicate
