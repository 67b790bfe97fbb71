"""The daemon's exporter keeps ``_system`` current on its own thread and stops promptly."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from sluiceway.observe.system.facts import export_facts
from sluiceway.observe.system.sources import EVENT_SOURCE
from sluiceway.observe.system.target import Target
from sluiceway.observe.system_tables import SystemTablesExporter, _system_lake

from .conftest import SystemProject


def _wait_for(condition: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_the_exporter_exports_every_interval_and_stops(system_project: SystemProject) -> None:
    p = system_project
    exporter = SystemTablesExporter(p.project(), p.store, interval=0.2)
    assert exporter.name == "system-tables"
    exporter.start()
    try:
        report = p.run("good")
        _wait_for(
            lambda: (
                exporter.last_report is not None
                and exporter.last_report.table("runs").rows == 0
                and exporter.passes >= 2
                and report.run_id in _exported_run_ids(p)
            )
        )
        assert exporter.last_error is None
    finally:
        started = time.monotonic()
        exporter.stop(timeout=5.0)
    assert time.monotonic() - started < 5.0 and not exporter.running
    exporter.stop()  # idempotent


def _exported_run_ids(p: SystemProject) -> set[str]:
    from sluiceway.lake.names import TableName

    table = _system_lake(p.project()).table(TableName("_system", "runs"))
    if not table.exists():
        return set()
    return set(table.read(columns=["id"]).column("id").to_pylist())


def test_an_interval_of_zero_turns_the_exporter_off(system_project: SystemProject) -> None:
    p = system_project
    p.root.joinpath("sluiceway.yaml").write_text(
        p.root.joinpath("sluiceway.yaml").read_text() + "daemon:\n  system_tables_interval: 0s\n"
    )
    project = p.project()
    assert project.settings.daemon.system_tables_interval == timedelta(0)
    exporter = SystemTablesExporter(project, p.store)
    exporter.start()
    assert not exporter.running
    exporter.stop()


def test_the_interval_is_a_daemon_setting(system_project: SystemProject) -> None:
    p = system_project
    assert p.project().settings.daemon.system_tables_interval == timedelta(seconds=60)
    p.root.joinpath("sluiceway.yaml").write_text(
        p.root.joinpath("sluiceway.yaml").read_text() + "daemon:\n  system_tables_interval: 5m\n"
    )
    assert SystemTablesExporter(p.project(), p.store).interval == 300.0


def test_two_exporters_racing_export_each_event_once(
    system_project: SystemProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon and a query exporting at once: one of them commits each batch."""
    from sluiceway.events import emit
    from sluiceway.events.types import WebhookReceived

    p = system_project
    for n in range(60):
        emit(p.store, WebhookReceived(source=f"hook-{n}"))
    lake = _system_lake(p.project())
    target = Target(lake, p.store, EVENT_SOURCE.table, "race")
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def export() -> None:
        barrier.wait()
        try:
            while True:  # until this exporter finds nothing left
                report = export_facts(target, EVENT_SOURCE, p.store, page=7)
                reports.append(report)
                if report.rows == 0 and not report.raced:
                    return
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=export) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    ids = [r["id"] for r in p.query("SELECT id FROM _system.events ORDER BY id")]
    assert ids == [e.id for e in p.store.events.read(after_id=0, limit=10_000)]
    assert sum(r.rows for r in reports) >= len(ids)  # the query's own pass may add the rest


def test_two_exporters_racing_merge_each_run_once(system_project: SystemProject) -> None:
    from sluiceway.meta.runs import RunRepo
    from sluiceway.observe.system.sources import RUN_SOURCE
    from sluiceway.observe.system.states import export_states

    p = system_project
    runs = RunRepo(p.store)
    created = [runs.create("good", "prod") for _ in range(40)]
    for run in created[::2]:
        runs.transition(run.id, "running")
        runs.transition(run.id, "succeeded")
    target = Target(_system_lake(p.project()), p.store, RUN_SOURCE.table, "race")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def export() -> None:
        barrier.wait()
        try:
            for _ in range(3):
                export_states(target, RUN_SOURCE, p.store, page=6)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=export) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    table = _system_lake(p.project()).table("_system.runs").read(columns=["id", "status"])
    assert sorted(table.column("id").to_pylist()) == sorted(r.id for r in created)
    statuses = dict(zip(*table.to_pydict().values(), strict=True))
    assert statuses == {r.id: runs.require(r.id).status for r in created}
