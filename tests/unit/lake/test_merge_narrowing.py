"""The merge predicate and its narrowing: exact text, quoting, and what is left out."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa

from sluiceway.lake.merge_narrowing import KeyRange, Narrowing, merge_predicate, narrowing


def test_key_range_of_one_integer_key() -> None:
    source = pa.table({"id": [5, 2, 9], "v": ["a", "b", "c"]})
    narrowed = narrowing(source, ["id"])
    assert narrowed == Narrowing(ranges=(KeyRange("id", 2, 9),))
    assert merge_predicate(["id"], narrowed) == (
        '("t"."id" = "s"."id") AND (("t"."id" >= 2) AND ("t"."id" <= 9))'
    )


def test_partition_values_of_a_keyed_partition_column() -> None:
    source = pa.table({"region": ["eu", "us", "eu"], "id": [1, 2, 3]})
    narrowed = narrowing(source, ["region", "id"], ["region"])
    assert narrowed.partitions == (("region", ("eu", "us")),)
    assert narrowed.predicate() == (
        """("t"."region" IN ('eu', 'us')) AND (("t"."region" >= 'eu') AND ("t"."region" <= 'us'))"""
        """ AND (("t"."id" >= 1) AND ("t"."id" <= 3))"""
    )


def test_partition_column_that_is_not_a_key_is_not_narrowed() -> None:
    # A key may move between partitions: narrowing to the new partition would miss the old row.
    source = pa.table({"country": ["de"], "id": [1]})
    assert narrowing(source, ["id"], ["country"]).partitions == ()


def test_too_many_partition_values_give_no_in_list() -> None:
    source = pa.table({"day": list(range(20)), "id": list(range(20))})
    assert narrowing(source, ["day", "id"], ["day"], max_partition_values=10).partitions == ()
    assert len(narrowing(source, ["day", "id"], ["day"], max_partition_values=20).partitions) == 1


def test_odd_column_names_and_quotes_in_string_keys_are_quoted() -> None:
    source = pa.table({'we"ird col': ["O'Brien", "d'Arc"], "Mixed.Case": [1, 2]})
    text = merge_predicate(['we"ird col', "Mixed.Case"], narrowing(source, ['we"ird col']))
    assert text == (
        '("t"."we""ird col" = "s"."we""ird col") AND ("t"."Mixed.Case" = "s"."Mixed.Case") AND '
        """(("t"."we""ird col" >= 'O''Brien') AND ("t"."we""ird col" <= 'd''Arc'))"""
    )


def test_dates_and_timestamps_are_string_literals() -> None:
    source = pa.table(
        {
            "d": pa.array([date(2024, 1, 2), date(2024, 3, 4)]),
            "ts": pa.array([datetime(2024, 1, 1, 12, tzinfo=UTC)] * 2, pa.timestamp("us", "UTC")),
        }
    )
    text = narrowing(source, ["d", "ts"]).predicate("tt")
    assert text == (
        """(("tt"."d" >= '2024-01-02') AND ("tt"."d" <= '2024-03-04')) AND """
        """(("tt"."ts" >= '2024-01-01T12:00:00+00:00') AND """
        """("tt"."ts" <= '2024-01-01T12:00:00+00:00'))"""
    )


def test_keys_without_a_literal_form_get_no_range() -> None:
    source = pa.table({"b": pa.array([b"\x00", b"\x01"]), "n": pa.array([None, None], pa.int64())})
    assert narrowing(source, ["b", "n"]) == Narrowing()
    assert Narrowing().predicate() is None
    assert merge_predicate(["b"], Narrowing()) == '"t"."b" = "s"."b"'


def test_staged_match_keys() -> None:
    text = merge_predicate(["id", "k"], source_keys=["_sw_mk_0", "_sw_mk_1"])
    assert text == '("t"."id" = "s"."_sw_mk_0") AND ("t"."k" = "s"."_sw_mk_1")'
