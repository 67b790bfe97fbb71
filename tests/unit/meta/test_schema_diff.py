"""Schema diffs: pure functions from two column lists to added/removed/changed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sluiceway.meta.schema_diff import Column, SchemaChange, diff_schema, duplicate_names


def test_added_removed_and_changed_columns() -> None:
    before = [Column("id", "bigint", False), Column("name", "string"), Column("old", "int")]
    after = [Column("id", "bigint", True), Column("name", "string"), Column("new", "date")]
    change = diff_schema(before, after)
    assert [c.name for c in change.added] == ["new"]
    assert [c.name for c in change.removed] == ["old"]
    assert [(c.name, c.before.nullable, c.after.nullable) for c in change.changed] == [
        ("id", False, True)
    ]


def test_documentation_and_order_are_not_schema_changes() -> None:
    before = [Column("a", "int"), Column("b", "int", description="old")]
    after = [Column("b", "int", description="new", tags=("pii",)), Column("a", "int")]
    assert diff_schema(before, after).is_empty


def test_change_round_trips_through_json() -> None:
    change = diff_schema([Column("a", "int")], [Column("a", "bigint"), Column("b", "string")])
    as_json = change.to_json()
    assert as_json["changed"] == [
        {
            "name": "a",
            "from": {"type": "int", "nullable": True},
            "to": {"type": "bigint", "nullable": True},
        }
    ]
    assert SchemaChange.from_json(as_json).to_json() == as_json


def test_duplicate_names() -> None:
    assert duplicate_names([Column("a", "int"), Column("b", "int"), Column("a", "x")]) == ["a"]


names = st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=8)
types_ = st.sampled_from(["int", "bigint", "string", "date"])


@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), types_, st.booleans()), max_size=8))
def test_diff_with_itself_is_empty(spec: list[tuple[str, str, bool]]) -> None:
    columns = list({name: Column(name, t, n) for name, t, n in spec}.values())
    assert diff_schema(columns, columns).is_empty


@given(names, names)
def test_added_and_removed_are_the_set_differences(old: list[str], new: list[str]) -> None:
    change = diff_schema([Column(n, "int") for n in old], [Column(n, "int") for n in new])
    assert {c.name for c in change.added} == set(new) - set(old)
    assert {c.name for c in change.removed} == set(old) - set(new)
    assert change.changed == ()
