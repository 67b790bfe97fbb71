"""``_system.*`` tables answer SQL exactly as the metadata store would, exported once each."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from sluiceway.events import emit
from sluiceway.events.types import SlaMissed, SlaRecovered
from sluiceway.meta.models import CheckResultRow, EventRow, RunRow, StepRunRow
from sluiceway.meta.runs import RunRepo
from sluiceway.observe.system_tables import SYSTEM_TABLES

from .conftest import SystemProject


def _store_runs(project: SystemProject) -> list[dict[str, Any]]:
    with project.store.session() as session:
        return [
            {"id": r.id, "pipeline": r.pipeline, "status": r.status, "error": r.error}
            for r in session.scalars(select(RunRow).order_by(RunRow.id))
        ]


def _store_events(project: SystemProject) -> list[tuple[int, str, str | None]]:
    with project.store.session() as session:
        return [
            (e.id, e.type, e.run_id)
            for e in session.scalars(select(EventRow).order_by(EventRow.id))
        ]


def _lake_events(project: SystemProject) -> list[tuple[int, str, str | None]]:
    rows = project.query("SELECT id, type, run_id FROM _system.events ORDER BY id")
    return [(r["id"], r["type"], r["run_id"]) for r in rows]


def _lake_runs(project: SystemProject) -> list[dict[str, Any]]:
    return project.query("SELECT id, pipeline, status, error FROM _system.runs ORDER BY id")


def test_runs_and_events_match_the_metadata_store(system_project: SystemProject) -> None:
    p = system_project
    good, bad = p.run("good"), p.run("bad")
    assert (good.status, bad.status) == ("succeeded", "failed")
    report = p.export()
    assert report.table("events").rows == len(_store_events(p))

    assert _lake_runs(p) == _store_runs(p)
    assert _lake_events(p) == _store_events(p)
    by_type = p.query("SELECT type, count(*) AS n FROM _system.events GROUP BY type")
    assert {r["type"]: r["n"] for r in by_type} == Counter(t for _, t, _ in _store_events(p))
    [failed] = p.query("SELECT * FROM _system.runs WHERE status = 'failed'")
    assert failed["id"] == bad.run_id and failed["pipeline"] == "bad"
    assert "no_such_column" in failed["error"]
    assert failed["finished_at"] is not None and failed["duration_s"] >= 0
    assert failed["trigger_kind"] == "manual"

    steps = p.query("SELECT run_id, pipeline, step, status FROM _system.step_runs ORDER BY id")
    assert [(s["pipeline"], s["step"], s["status"]) for s in steps] == [
        ("good", "orders", "succeeded"),
        ("bad", "broken", "failed"),
    ]
    checks = p.query(
        "SELECT check_name, status, failing_rows FROM _system.check_results ORDER BY check_name"
    )
    assert [(c["check_name"], c["status"], c["failing_rows"]) for c in checks] == [
        ("not_null_order_id", "passed", 0),
        ("range_amount", "warned", 1),
    ]
    metrics = p.query("SELECT count(*) AS n FROM _system.metrics WHERE run_id IS NOT NULL")
    assert metrics[0]["n"] > 0


def test_a_payload_is_json_text_and_times_are_utc(system_project: SystemProject) -> None:
    p = system_project
    p.run("good")
    [committed] = p.query(
        "SELECT payload ->> '$.operation' AS operation, CAST(payload ->> '$.rows' AS INT) AS n, "
        "time FROM _system.events WHERE type = 'table.committed'"
    )
    assert (committed["operation"], committed["n"]) == ("overwrite", 1)
    assert datetime.fromisoformat(committed["time"]).utcoffset() == timedelta(0)


def test_each_pass_exports_only_what_is_new(system_project: SystemProject) -> None:
    p = system_project
    p.run("good")
    p.export()
    before = len(_store_events(p))

    p.run("good")
    p.run("bad")
    report = p.export()
    assert report.table("events").rows == len(_store_events(p)) - before
    assert report.table("runs").rows == 2  # the two new runs, not the first one again
    assert report.table("step_runs").rows == 2

    again = p.export()
    assert again.rows == 0
    assert all(t.commits == 0 for t in again.tables), again.tables  # nothing new: no commit

    assert _lake_events(p) == _store_events(p)
    assert _lake_runs(p) == _store_runs(p)
    for table in ("_system.events", "_system.runs", "_system.step_runs"):
        [counts] = p.query(f"SELECT count(*) AS n, count(DISTINCT id) AS ids FROM {table}")
        assert counts["n"] == counts["ids"], table


def test_a_run_is_upserted_as_its_status_changes(system_project: SystemProject) -> None:
    p = system_project
    runs = RunRepo(p.store)
    run = runs.create("good", "prod")
    p.export()
    assert p.query("SELECT status, started_at FROM _system.runs") == [
        {"status": "queued", "started_at": None}
    ]
    runs.transition(run.id, "running")
    assert p.export().table("runs").rows == 1
    assert p.query("SELECT status FROM _system.runs")[0]["status"] == "running"
    runs.transition(run.id, "failed", error="boom")
    p.export()
    rows = p.query("SELECT id, status, error, finished_at FROM _system.runs")
    assert len(rows) == 1
    assert (rows[0]["id"], rows[0]["status"], rows[0]["error"]) == (run.id, "failed", "boom")
    assert rows[0]["finished_at"] is not None
    assert p.export().table("runs").commits == 0  # finished and exported: nothing to merge


def test_query_exports_the_system_tables_it_reads_first(system_project: SystemProject) -> None:
    p = system_project
    first = p.run("good")
    assert [r["id"] for r in p.query("SELECT id FROM _system.runs")] == [first.run_id]
    second = p.run("bad")
    rows = p.query("SELECT id, status FROM _system.runs ORDER BY queued_at")
    assert rows == [
        {"id": first.run_id, "status": "succeeded"},
        {"id": second.run_id, "status": "failed"},
    ]


def test_the_spec_knows_every_system_table() -> None:
    from sluiceway.spec.references import SYSTEM_TABLES as KNOWN

    assert tuple(SYSTEM_TABLES) == KNOWN


def test_every_system_table_exists_after_a_pass_even_empty(
    system_project: SystemProject,
) -> None:
    p = system_project
    p.export()
    for name in SYSTEM_TABLES:
        [row] = p.query(f"SELECT count(*) AS n FROM {name}")
        assert row["n"] >= 0
    registered = {t.qualified_name for t in p.store.catalog.tables("prod", "_system")}
    assert registered == set(SYSTEM_TABLES)
    [runs] = [t for t in p.store.catalog.tables("prod", "_system") if t.name == "runs"]
    assert runs.owner == "sluiceway" and runs.description
    documented = {c.name: c.description for c in runs.columns}
    assert documented["status"] == "queued, running, succeeded, failed or cancelled."


def test_rows_committed_out_of_id_order_are_still_exported_once(
    system_project: SystemProject,
) -> None:
    """On PostgreSQL an id becomes visible at COMMIT: 4 can appear after 5 was exported."""
    p = system_project
    now = datetime.now(UTC)

    def insert(*ids: int) -> None:
        with p.store.session(write=True) as session:
            session.add_all(
                CheckResultRow(
                    id=1000 + i,
                    table_name="raw.orders",
                    check_name=f"check_{i}",
                    check_type="not_null",
                    severity="error",
                    status="passed",
                    checked_at=now,
                )
                for i in ids
            )

    insert(1, 2, 3, 5)
    p.export()
    insert(4)
    assert p.export().table("check_results").rows == 1
    ids = [r["id"] for r in p.query("SELECT id FROM _system.check_results ORDER BY id")]
    assert ids == [1001, 1002, 1003, 1004, 1005]


def test_sla_states_keep_the_last_event_of_each_sla(system_project: SystemProject) -> None:
    p = system_project
    due = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)
    emit(p.store, SlaMissed(table="gold.daily", sla="freshness", expected_by=due, detail="late"))
    emit(p.store, SlaMissed(pipeline="nightly", sla="completion"))
    p.export()
    rows = p.query(
        "SELECT subject, subject_kind, sla, state, expected_by, detail FROM "
        "_system.sla_states ORDER BY subject"
    )
    assert rows == [
        {
            "subject": "gold.daily",
            "subject_kind": "table",
            "sla": "freshness",
            "state": "missed",
            "expected_by": due.isoformat(),
            "detail": "late",
        },
        {
            "subject": "nightly",
            "subject_kind": "pipeline",
            "sla": "completion",
            "state": "missed",
            "expected_by": None,
            "detail": None,
        },
    ]
    recovered = emit(p.store, SlaRecovered(table="gold.daily", sla="freshness"))
    p.export()
    states = p.query("SELECT subject, state, event_id FROM _system.sla_states ORDER BY subject")
    assert states == [
        {"subject": "gold.daily", "state": "met", "event_id": recovered.id},
        {"subject": "nightly", "state": "missed", "event_id": states[1]["event_id"]},
    ]


def test_a_failed_table_does_not_stop_the_others_and_the_next_pass_catches_up(
    system_project: SystemProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the Delta commit and before the catalog heard of it loses nothing."""
    from sluiceway.observe.system import target as target_module

    p = system_project
    p.run("good")
    real = target_module.Target._register

    def crash(self: Any, version: int) -> None:
        if self.table.name == "step_runs":
            raise RuntimeError("killed after the commit")
        real(self, version)

    monkeypatch.setattr(target_module.Target, "_register", crash)
    from sluiceway.observe.system_tables import export_system_tables

    report = export_system_tables(p.project(), p.store)
    assert [t.table for t in report.errors] == ["_system.step_runs"]
    assert report.table("check_results").rows == 2  # later tables were still exported
    monkeypatch.setattr(target_module.Target, "_register", real)

    p.run("bad")
    p.export()
    steps = p.query("SELECT id, status FROM _system.step_runs ORDER BY id")
    with p.store.session() as session:
        stored = [(s.id, s.status) for s in session.scalars(select(StepRunRow).order_by("id"))]
    assert [(s["id"], s["status"]) for s in steps] == stored
    assert _lake_events(p) == _store_events(p)


def test_a_pass_interrupted_between_pages_resumes_exactly_once(
    system_project: SystemProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sluiceway.events.types import WebhookReceived
    from sluiceway.observe.system import facts
    from sluiceway.observe.system.target import Target

    p = system_project
    for n in range(25):
        emit(p.store, WebhookReceived(source=f"hook-{n}"))
    monkeypatch.setattr(facts, "PAGE", 10)
    real_commit = Target.commit
    commits = 0

    def crash_on_third(self: Target, data: Any, batch: int, **options: Any) -> Any:
        nonlocal commits
        if self.table.name == "events" and data.num_rows:
            commits += 1
            if commits == 3:
                raise RuntimeError("killed before the third page committed")
        return real_commit(self, data, batch, **options)

    monkeypatch.setattr(Target, "commit", crash_on_third)
    from sluiceway.observe.system_tables import export_system_tables

    report = export_system_tables(p.project(), p.store, tables=["_system.events"])
    assert report.table("events").error is not None
    monkeypatch.setattr(Target, "commit", real_commit)
    assert p.export(tables=["_system.events"]).table("events").rows == len(_store_events(p)) - 20
    assert _lake_events(p) == _store_events(p)


def test_a_pipeline_cannot_write_a_system_table(system_project: SystemProject) -> None:
    from sluiceway.spec.problems import SpecError

    p = system_project
    (p.root / "pipelines" / "sneaky.yaml").write_text(
        "name: sneaky\nsteps:\n"
        "  - {name: fake, type: sql, query: SELECT 1 AS id, table: _system.runs}\n"
    )
    with pytest.raises(SpecError, match="unknown layer '_system'"):
        p.project()
    (p.root / "pipelines" / "sneaky.yaml").unlink()
    (p.root / "sluiceway.yaml").write_text(
        (p.root / "sluiceway.yaml").read_text() + "layers: [raw, silver, _system]\n"
    )
    with pytest.raises(SpecError, match="reserved"):
        p.project()


def test_a_pipeline_can_read_the_system_tables(system_project: SystemProject) -> None:
    p = system_project
    (p.root / "pipelines" / "report.yaml").write_text(
        "name: report\nsteps:\n"
        "  - name: failures\n    type: sql\n"
        "    query: SELECT pipeline, count(*) AS failed_runs FROM _system.runs"
        " WHERE status = 'failed' GROUP BY pipeline\n"
        "    table: silver.run_failures\n"
    )
    code, out, err = p.cli("validate")  # known before anything was exported
    assert code == 0, out + err
    before = p.run("report")
    assert before.status == "failed"
    assert "system-tables --export" in str(before.steps[0].error)
    p.run("good")
    p.run("bad")
    p.export()
    assert p.run("report").status == "succeeded"
    rows = p.query("SELECT pipeline, failed_runs FROM silver.run_failures ORDER BY pipeline")
    assert rows == [
        {"pipeline": "bad", "failed_runs": 1},
        {"pipeline": "report", "failed_runs": 1},  # its own first run, before the export
    ]


def test_a_query_still_runs_when_its_refresh_fails(
    system_project: SystemProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sluiceway.observe.system.target import Target

    p = system_project
    first = p.run("good")
    p.export()
    p.run("bad")

    def read_only(*_args: object, **_kwargs: object) -> None:
        raise PermissionError("the lake is read-only to you")

    monkeypatch.setattr(Target, "commit", read_only)
    code, out, err = p.cli("query", "SELECT id FROM _system.runs", "--format", "json")
    assert code == 0
    assert [r["id"] for r in json.loads(out)] == [first.run_id]  # as the last export left it
    assert "_system.runs may be out of date" in err and "read-only" in err
