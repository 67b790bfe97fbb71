"""Runs: creation, allowed status transitions, leases, step runs and batches."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sluiceway.meta.errors import InvalidTransitionError, NotFoundError


def test_create_and_get(store) -> None:
    run = store.runs.create(
        "orders", "dev", trigger={"kind": "files", "event_id": 7}, params={"day": "2024-01-01"}
    )
    assert run.status == "queued" and run.attempt == 1 and len(run.id) == 36
    assert run.queued_at.tzinfo is not None
    assert store.runs.get(run.id) == run
    assert store.runs.get("missing") is None


def test_happy_path_sets_timestamps(store) -> None:
    run = store.runs.create("orders")
    running = store.runs.transition(run.id, "running")
    assert running.started_at is not None and running.finished_at is None
    done = store.runs.transition(run.id, "succeeded")
    assert done.status == "succeeded" and done.finished_at is not None


def test_terminal_runs_cannot_move(store) -> None:
    run = store.runs.create("orders")
    store.runs.transition(run.id, "running")
    store.runs.transition(run.id, "failed", error="boom")
    assert store.runs.require(run.id).error == "boom"
    with pytest.raises(InvalidTransitionError, match="is failed; it cannot become succeeded"):
        store.runs.transition(run.id, "succeeded")


def test_queued_cannot_succeed_directly(store) -> None:
    run = store.runs.create("orders")
    with pytest.raises(InvalidTransitionError):
        store.runs.transition(run.id, "succeeded")
    assert store.runs.transition(run.id, "cancelled").status == "cancelled"


def test_transition_of_unknown_run_is_not_found(store) -> None:
    with pytest.raises(NotFoundError):
        store.runs.transition("nope", "running")


def test_recent_filters_and_orders_newest_first(store) -> None:
    a = store.runs.create("a")
    b = store.runs.create("b")
    c = store.runs.create("a")
    store.runs.transition(c.id, "running")
    assert [r.id for r in store.runs.recent()] == [c.id, b.id, a.id]
    assert [r.id for r in store.runs.recent(pipeline="a", status=["queued"])] == [a.id]
    assert store.runs.recent(env="dev") == []


def test_claim_is_exclusive_until_the_lease_expires(store) -> None:
    run = store.runs.create("orders")
    first = store.runs.claim(run.id, "worker-1", timedelta(minutes=5))
    assert first is not None and first.lease_owner == "worker-1" and first.status == "running"
    assert store.runs.claim(run.id, "worker-2", timedelta(minutes=5)) is None
    assert store.runs.renew_lease(run.id, "worker-1", timedelta(seconds=-1))  # expire it
    taken = store.runs.claim(run.id, "worker-2", timedelta(minutes=5))
    assert taken is not None and taken.lease_owner == "worker-2" and taken.attempt == 2
    assert store.runs.renew_lease(run.id, "worker-1", timedelta(minutes=5)) is False
    finished = store.runs.transition(run.id, "succeeded")
    assert finished.lease_owner is None and finished.lease_expires_at is None


def test_step_runs_record_batches_and_outcomes(store) -> None:
    run = store.runs.create("orders")
    step = store.runs.start_step(run.id, "load", batch=1)
    done = store.runs.finish_step(
        step.id,
        "succeeded",
        table="silver.orders",
        table_version=4,
        rows_in=10,
        rows_out=9,
        rows_quarantined=1,
        metrics={"seconds": 1.5},
    )
    assert (done.status, done.batch, done.table, done.table_version) == (
        "succeeded",
        1,
        "silver.orders",
        4,
    )
    assert (done.rows_in, done.rows_out, done.rows_quarantined) == (10, 9, 1)
    assert done.metrics == {"seconds": 1.5}
    assert store.runs.steps(run.id) == [done]
    with pytest.raises(InvalidTransitionError):
        store.runs.finish_step(step.id, "failed")


def test_last_batch_is_per_pipeline_and_step(store) -> None:
    assert store.runs.last_batch("orders", "load") is None
    first = store.runs.create("orders")
    store.runs.start_step(first.id, "load", batch=1)
    second = store.runs.create("orders")
    store.runs.start_step(second.id, "load", batch=2)
    other = store.runs.create("customers")
    store.runs.start_step(other.id, "load", batch=9)
    assert store.runs.last_batch("orders", "load") == 2


def test_deleting_a_run_cascades_to_its_steps(store) -> None:
    from sluiceway.meta.models import RunRow, StepRunRow

    run = store.runs.create("orders")
    store.runs.start_step(run.id, "load")
    with store.session(write=True) as session:
        session.delete(session.get(RunRow, run.id))
    with store.session() as session:
        assert session.query(StepRunRow).count() == 0


def test_a_run_writing_a_table_another_running_run_writes_waits_for_it(store) -> None:
    lease = timedelta(seconds=30)
    first = store.runs.create("silver", "prod", writes=["silver.orders", "silver.items"])
    second = store.runs.create("fix", "prod", writes=["silver.orders"])
    other = store.runs.create("gold", "prod", writes=["gold.revenue"])
    assert store.runs.claim(first.id, "w1", lease) is not None
    assert store.runs.claim(second.id, "w2", lease) is None  # silver.orders is being written
    assert store.runs.blocker(second).id == first.id
    assert store.runs.claim(other.id, "w2", lease) is not None  # nothing in common
    store.runs.transition(first.id, "succeeded")
    assert store.runs.blocker(second) is None
    assert store.runs.claim(second.id, "w2", lease) is not None


def test_runs_of_different_partitions_write_one_table_side_by_side(store) -> None:
    lease = timedelta(seconds=30)
    jan = store.runs.create("daily", "prod", partition="2026-01-01", writes=["gold.days"])
    feb = store.runs.create("daily", "prod", partition="2026-02-01", writes=["gold.days"])
    whole = store.runs.create("daily", "prod", writes=["gold.days"])
    assert store.runs.claim(jan.id, "w1", lease) is not None
    assert store.runs.claim(feb.id, "w2", lease) is not None
    assert store.runs.claim(whole.id, "w3", lease) is None  # no partition: the whole table


def test_a_pipelines_limit_of_running_runs_holds_at_claim(store) -> None:
    lease = timedelta(seconds=30)
    a, b = (store.runs.create("p", "prod") for _ in range(2))
    assert store.runs.claim(a.id, "w1", lease, limit=1) is not None
    assert store.runs.claim(b.id, "w2", lease, limit=1) is None
    assert store.runs.claim(b.id, "w2", lease, limit=2) is not None
