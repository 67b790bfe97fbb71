"""The storage side of the event log: rows, ids, filters and forward-only cursors."""

from __future__ import annotations

from sluiceway.meta.events import NewEvent


def test_append_returns_increasing_ids_in_order(store) -> None:
    base = store.events.latest_id()
    records = store.events.append([NewEvent("a.b", payload={"n": n}) for n in range(5)])
    assert [r.id for r in records] == list(range(base + 1, base + 6))
    assert [r.payload["n"] for r in store.events.read(after_id=base)] == [0, 1, 2, 3, 4]


def test_common_fields_are_columns(store) -> None:
    [record] = store.events.append(
        [NewEvent("table.committed", run_id="r", pipeline="p", step="s", table="silver.t")]
    )
    got = store.events.get(record.id)
    assert got is not None
    assert (got.run_id, got.pipeline, got.step, got.table) == ("r", "p", "s", "silver.t")
    assert got.time.tzinfo is not None
    assert store.events.get(10**9) is None


def test_read_filters_by_type_and_limit(store) -> None:
    base = store.events.latest_id()
    store.events.append([NewEvent(t) for t in ["x", "y", "x", "z", "x"]])
    xs = store.events.read(after_id=base, types=["x"], limit=2)
    assert [r.id - base for r in xs] == [1, 3]
    assert [r.type for r in store.events.tail(2)] == ["z", "x"]
    assert [r.type for r in store.events.tail(2, types=["y", "z"])] == ["y", "z"]


def test_cursors_only_move_forward_unless_reset(store) -> None:
    assert store.events.cursor("c") == 0
    store.events.advance_cursor("c", 5)
    store.events.advance_cursor("c", 3)
    assert store.events.cursor("c") == 5
    store.events.advance_cursor("c", 9)
    assert store.events.cursor("c") == 9
    store.events.reset_cursor("c", 2)
    assert store.events.cursor("c") == 2
    assert [(c.consumer, c.position) for c in store.events.cursors()] == [("c", 2)]
