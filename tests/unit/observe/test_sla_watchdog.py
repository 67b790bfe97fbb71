"""The SLA watchdog on a real event log (SQLite and PostgreSQL), driven by a hand-moved clock.

Each test runs the watchdog on its own thread, moves the clock, and waits until the
watchdog waits on the clock again: everything it had to append is in the log by then.
Commits are ``table.committed`` events stamped with the clock's time, which is all the
watchdog reads.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sluiceway.events import emit
from sluiceway.events.types import SlaMissed, SlaRecovered, TableCommitted
from sluiceway.meta.runs import RunRepo
from sluiceway.meta.store import MetaStore, open_store
from sluiceway.observe.sla import SlaWatchdog, sla_report, sla_watchdog
from sluiceway.orchestrate.triggers.clock import ManualClock
from sluiceway.spec.project import Project, load_project
from support.triggers import events_of, wait_for_events


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def make_project(root: Path, tables: str, settings: str = "name: shop\n") -> Project:
    """A project whose pipeline ``silver`` writes silver.orders and silver.items and
    declares ``tables`` (YAML text under ``tables:``)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "sluiceway.yaml").write_text(settings, encoding="utf-8")
    (root / "pipelines").mkdir(exist_ok=True)
    text = "name: silver\n"
    if tables.strip():
        text += "tables:\n" + textwrap.indent(textwrap.dedent(tables).strip(), "  ") + "\n"
    text += textwrap.dedent(
        """
        steps:
          - {name: orders, type: sql, query: "SELECT 1 AS x", table: silver.orders}
          - {name: items, type: sql, query: "SELECT 1 AS x", table: silver.items}
        """
    )
    (root / "pipelines" / "silver.yaml").write_text(text, encoding="utf-8")
    return load_project(root, environ={})


FRESH_2H = """
silver.orders:
  sla: {fresh_within: 2h}
"""


def commit(store: MetaStore, table: str, at: datetime, run_id: str | None = None) -> None:
    emit(store, TableCommitted(table=table, version=1, operation="append", time=at, run_id=run_id))


def missed(store: MetaStore) -> list[SlaMissed]:
    found = events_of(store, "sla.missed")
    assert all(isinstance(e, SlaMissed) for e in found)
    return found  # type: ignore[return-value]


def recovered(store: MetaStore) -> list[SlaRecovered]:
    found = events_of(store, "sla.recovered")
    assert all(isinstance(e, SlaRecovered) for e in found)
    return found  # type: ignore[return-value]


@contextmanager
def watching(
    project: Project | object, store: MetaStore, clock: ManualClock, count: int = 1
) -> Iterator[list[SlaWatchdog]]:
    """``count`` started watchdogs that have finished their first round; stopped on exit."""
    dogs = [SlaWatchdog(project, store, clock=clock, interval=30) for _ in range(count)]  # type: ignore[arg-type]
    for dog in dogs:
        dog.start()
    try:
        clock.wait_for_sleepers(count)
        yield dogs
    finally:
        for dog in dogs:
            dog.stop()
    assert not any(dog.running for dog in dogs)
    assert all(dog.last_error is None for dog in dogs)


def advance(clock: ManualClock, delta: timedelta, sleepers: int = 1) -> None:
    clock.advance(delta)
    clock.wait_for_sleepers(sleepers)


def test_a_stale_table_misses_once_survives_a_restart_and_recovers_once(
    store: MetaStore, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "p", FRESH_2H)
    clock = ManualClock(utc(2026, 1, 5, 12))
    commit(store, "silver.orders", utc(2026, 1, 5, 11))
    with watching(project, store, clock):
        assert missed(store) == []
        advance(clock, timedelta(minutes=59, seconds=59))
        assert missed(store) == []
        advance(clock, timedelta(seconds=1))  # 13:00: the commit is two hours old
        [breach] = missed(store)
        for _ in range(5):  # a breach is one event, however long it lasts
            advance(clock, timedelta(minutes=30))
    assert breach.table == "silver.orders" and breach.pipeline == "silver"
    assert breach.time == utc(2026, 1, 5, 13)  # seen at the instant it fell due
    assert (breach.sla, breach.env, breach.expected_by) == (
        "fresh_within 2h",
        "prod",
        utc(2026, 1, 5, 13),
    )
    assert breach.last_commit == utc(2026, 1, 5, 11)
    assert breach.detail == (
        "silver.orders was last committed 2h 0m ago, at 2026-01-05 11:00 UTC; "
        "it must be fresh within 2h"
    )

    clock.advance(timedelta(hours=1))
    with watching(project, store, clock):  # restarted: the open breach is in the log
        advance(clock, timedelta(minutes=30))
        assert len(missed(store)) == 1 and recovered(store) == []
        commit(store, "silver.orders", clock.now())
        advance(clock, timedelta(seconds=30))
        [recovery] = recovered(store)
        advance(clock, timedelta(minutes=30))
    assert recovery.missed_id == breach.id and recovery.sla == breach.sla
    assert recovery.last_commit == utc(2026, 1, 5, 17)
    assert len(missed(store)) == 1 and len(recovered(store)) == 1

    # Two hours after that commit, a new breach: a second sla.missed, not a repeat.
    with watching(project, store, clock):
        advance(clock, timedelta(hours=2))
    assert len(missed(store)) == 2 and len(recovered(store)) == 1


def test_a_table_never_committed_misses_at_once(store: MetaStore, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", FRESH_2H)
    clock = ManualClock(utc(2026, 1, 5, 12))
    with watching(project, store, clock):
        advance(clock, timedelta(hours=3))
    [breach] = missed(store)
    assert breach.time == utc(2026, 1, 5, 12) and breach.expected_by is None
    assert breach.last_commit is None
    assert breach.detail == "silver.orders has never been committed; it must be fresh within 2h"


def test_two_racing_watchdogs_append_each_transition_once(
    metadata_url: str, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "p", FRESH_2H)
    clock = ManualClock(utc(2026, 1, 5, 12))
    first, second = open_store(metadata_url), open_store(metadata_url)
    try:
        commit(first, "silver.orders", utc(2026, 1, 5, 11))
        dogs = [SlaWatchdog(project, s, clock=clock, interval=30) for s in (first, second)]
        for dog in dogs:
            dog.start()
        clock.wait_for_sleepers(2)
        for writer in (first, second, first):
            advance(clock, timedelta(hours=2), sleepers=2)  # the last commit is 2 h old
            advance(clock, timedelta(seconds=30), sleepers=2)
            commit(writer, "silver.orders", clock.now())
            advance(clock, timedelta(seconds=30), sleepers=2)
        for dog in dogs:
            dog.stop()
        assert all(dog.last_error is None for dog in dogs)
        # Three breaches and three recoveries, alternating, whichever daemon won each.
        events = events_of(first, "sla.missed") + events_of(first, "sla.recovered")
        kinds = [e.type for e in sorted(events, key=lambda e: e.id or 0)]
        assert kinds == ["sla.missed", "sla.recovered"] * 3
    finally:
        first.close()
        second.close()


def test_ready_by_is_judged_at_the_deadline_on_its_days(store: MetaStore, tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "p",
        """
        silver.orders:
          sla: {ready_by: "06:00 Europe/Paris", days: [mon, tue, wed, thu, fri]}
        """,
    )
    # Friday 9 January 2026, 05:00 in Paris; the table was committed on Thursday.
    clock = ManualClock(utc(2026, 1, 9, 4))
    commit(store, "silver.orders", utc(2026, 1, 8, 3))
    with watching(project, store, clock):
        advance(clock, timedelta(minutes=59, seconds=59))
        assert missed(store) == []
        advance(clock, timedelta(seconds=1))  # 06:00 Paris
        [breach] = missed(store)
        assert breach.expected_by == utc(2026, 1, 9, 5)
        assert breach.sla == "ready_by 06:00 Europe/Paris mon-fri"
        commit(store, "silver.orders", clock.now() + timedelta(minutes=10))
        advance(clock, timedelta(minutes=15))
        assert len(recovered(store)) == 1
        # The weekend has no deadline: nothing happens until Monday 06:00 Paris.
        advance(clock, timedelta(days=2, hours=23, minutes=44, seconds=59))
        assert len(missed(store)) == 1
        advance(clock, timedelta(seconds=1))
        assert len(missed(store)) == 2
    assert missed(store)[1].expected_by == utc(2026, 1, 12, 5)


def test_commits_of_another_environment_do_not_count(store: MetaStore, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", FRESH_2H)
    clock = ManualClock(utc(2026, 1, 5, 12))
    runs = RunRepo(store)
    commit(store, "silver.orders", utc(2026, 1, 5, 11, 59), run_id=runs.create("silver", "dev").id)
    with watching(project, store, clock):  # the first round reads the log's aggregates
        [breach] = missed(store)
        assert breach.last_commit is None
        # later rounds read the new events only: a dev commit still does not count…
        commit(store, "silver.orders", clock.now(), run_id=runs.create("silver", "dev").id)
        advance(clock, timedelta(seconds=30))
        assert recovered(store) == []
        # …a prod one does.
        commit(store, "silver.orders", clock.now(), run_id=runs.create("silver", "prod").id)
        advance(clock, timedelta(seconds=30))
        assert len(recovered(store)) == 1


def test_an_open_breach_closes_when_its_sla_is_no_longer_declared(
    store: MetaStore, tmp_path: Path
) -> None:
    root = tmp_path / "p"
    current = [make_project(root, FRESH_2H)]
    clock = ManualClock(utc(2026, 1, 5, 12))
    with watching(lambda: current[0], store, clock):
        [breach] = missed(store)
        current[0] = make_project(root, "")  # the SLA was removed from the pipeline file
        advance(clock, timedelta(seconds=30))
        [closed] = recovered(store)
        advance(clock, timedelta(minutes=5))
    assert closed.missed_id == breach.id and closed.sla == "fresh_within 2h"
    assert closed.detail == "silver.orders no longer declares an SLA: its open breach is closed"
    assert len(recovered(store)) == 1


def test_the_factory_reads_the_interval_and_the_report_reads_the_log(
    store: MetaStore, tmp_path: Path
) -> None:
    project = make_project(
        tmp_path / "p",
        FRESH_2H + "silver.items:\n  sla: {ready_by: '07:00'}\n",
        "name: shop\ndaemon:\n  sla_interval: 2m\n",
    )
    dog = sla_watchdog(project, store, clock=ManualClock(utc(2026, 1, 5)))
    assert dog.interval == 120 and dog.name == "sla"
    commit(store, "silver.orders", utc(2026, 1, 5, 11))
    dog.check()
    report = {s.target.table: s for s in sla_report(project, store, utc(2026, 1, 5, 12))}
    assert report["silver.orders"].status.met and not report["silver.orders"].breach_open
    assert report["silver.items"].breach_open and not report["silver.items"].status.met


def test_on_the_wall_clock_a_breach_is_seen_when_due_and_a_commit_recovers_it(
    store: MetaStore, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "p", "silver.orders:\n  sla: {fresh_within: 1s}\n")
    commit(store, "silver.orders", datetime.now(UTC))
    dog = SlaWatchdog(project, store, interval=0.1)
    dog.start()
    try:
        [breach] = wait_for_events(store, "sla.missed", 1, timeout=5)
        assert isinstance(breach, SlaMissed) and breach.expected_by is not None
        assert breach.time - breach.expected_by < timedelta(seconds=0.5)  # waited for it
        commit(store, "silver.orders", datetime.now(UTC))
        wait_for_events(store, "sla.recovered", 1, timeout=5)
    finally:
        dog.stop()
    assert dog.last_error is None


def test_a_failing_round_is_retried(store: MetaStore, tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", FRESH_2H)
    failures = [OSError("the metadata store restarts")]

    def current() -> Project:
        if failures:
            raise failures.pop()
        return project

    clock = ManualClock(utc(2026, 1, 5, 12))
    dog = SlaWatchdog(current, store, clock=clock, interval=30, retry_delay=5)
    dog.start()
    try:
        clock.wait_for_sleepers(1)
        assert dog.last_error == "OSError: the metadata store restarts"
        assert missed(store) == []
        advance(clock, timedelta(seconds=5))
        assert dog.last_error is None and len(missed(store)) == 1
    finally:
        dog.stop()


def test_an_sla_on_a_view_is_not_watched(store: MetaStore, tmp_path: Path) -> None:
    root = tmp_path / "p"
    make_project(root, FRESH_2H)
    (root / "pipelines" / "gold.yaml").write_text(
        textwrap.dedent(
            """
            name: gold
            tables:
              gold.latest:
                sla: {fresh_within: 1h}
            steps:
              - {name: latest, type: sql, query: SELECT x FROM silver.orders, table: gold.latest,
                 materialization: view}
            """
        ),
        encoding="utf-8",
    )
    project = load_project(root, environ={})
    states = sla_report(project, store, utc(2026, 1, 5))
    assert [s.target.table for s in states] == ["silver.orders"]
