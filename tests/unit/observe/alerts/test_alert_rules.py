"""Which events a rule alerts on, what each alert is about, and what clears it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluiceway.events.types import (
    AnomalyDetected,
    CheckFailed,
    CheckPassed,
    FileFailed,
    RunFailed,
    RunSucceeded,
    SlaMissed,
    SlaRecovered,
    StepFailed,
    StepSucceeded,
)
from sluiceway.observe.alerts.rules import (
    ProjectTables,
    matches,
    signals,
    subject_of,
    watched_types,
)
from sluiceway.spec.alerts import AlertRule
from support.alerts import alert_project


def rule(**fields: object) -> AlertRule:
    return AlertRule.model_validate({"name": "r", "channels": ["c"], **fields})


@pytest.fixture
def tables(tmp_path: Path) -> ProjectTables:
    project = alert_project(tmp_path, "channels: {}\n")
    return ProjectTables.of(project)


def check_failed(severity: str, table: str = "silver.orders") -> CheckFailed:
    return CheckFailed(
        pipeline="silver", table=table, check="nn", check_type="not_null", severity=severity
    )


def test_a_failure_and_the_event_that_clears_it_name_the_same_subject() -> None:
    pairs = [
        (RunFailed(pipeline="silver", error="x"), RunSucceeded(pipeline="silver")),
        (StepFailed(pipeline="silver", step="orders", error="x"),
         StepSucceeded(pipeline="silver", step="orders")),
        (check_failed("error"),
         CheckPassed(table="silver.orders", check="nn", check_type="not_null", severity="error")),
        (SlaMissed(table="silver.orders", sla="fresh_2h"),
         SlaRecovered(table="silver.orders", sla="fresh_2h")),
    ]  # fmt: skip
    for bad, good in pairs:
        assert subject_of(bad) == subject_of(good) is not None
    assert subject_of(RunFailed(pipeline="a", error="x")) != subject_of(RunSucceeded(pipeline="b"))


def test_subjects_of_failures_nothing_clears() -> None:
    anomaly = AnomalyDetected(table="raw.orders", metric="table.rows_added", value=5.0)
    assert subject_of(anomaly) == "anomaly:table.rows_added:raw.orders"
    failed = FileFailed(pipeline="ingest_orders", uri="file:///landing/a.csv", error="bad")
    assert subject_of(failed) == "file:file:///landing/a.csv"
    long = FileFailed(pipeline="p", uri="s3://b/" + "x" * 5000, error="bad")
    assert len(subject_of(long) or "") == 1024


def test_severity_selects_checks_at_or_above_it(tables: ProjectTables) -> None:
    errors_and_worse = rule(on=["check.failed"], severity="error")
    assert not matches(errors_and_worse, check_failed("warn"), tables)
    assert matches(errors_and_worse, check_failed("error"), tables)
    assert matches(errors_and_worse, check_failed("block"), tables)
    assert matches(rule(on=["check.failed"]), check_failed("warn"), tables)


def test_pipeline_and_table_filters_take_globs(tables: ProjectTables) -> None:
    ingest = rule(on=["run.failed"], pipelines=["ingest_*"])
    assert matches(ingest, RunFailed(pipeline="ingest_orders", error="x"), tables)
    assert not matches(ingest, RunFailed(pipeline="silver", error="x"), tables)
    gold = rule(on=["check.failed"], tables=["gold.*"])
    assert matches(gold, check_failed("error", table="gold.daily_revenue"), tables)
    assert not matches(gold, check_failed("error", table="silver.orders"), tables)


def test_a_table_filter_matches_the_runs_of_the_pipelines_writing_it(
    tables: ProjectTables,
) -> None:
    about_gold = rule(on=["run.failed", "step.failed"], tables=["gold.daily_revenue"])
    assert matches(about_gold, RunFailed(pipeline="gold", error="x"), tables)
    assert not matches(about_gold, RunFailed(pipeline="silver", error="x"), tables)
    assert matches(about_gold, StepFailed(pipeline="gold", step="daily", error="x"), tables)


def test_events_a_rule_is_not_on_do_not_match(tables: ProjectTables) -> None:
    assert not matches(rule(on=["run.failed"]), check_failed("block"), tables)


def test_a_rule_watches_its_failures_and_what_clears_them() -> None:
    rules = [rule(on=["run.failed", "anomaly.detected"]), rule(on=["sla.missed"])]
    assert watched_types(rules) == {
        "run.failed",
        "run.succeeded",
        "anomaly.detected",
        "sla.missed",
        "sla.recovered",
    }


def test_signals_fire_or_resolve_per_rule(tables: ProjectTables) -> None:
    by_pipeline = rule(on=["run.failed"], group_by=["pipeline"])
    checks = AlertRule.model_validate({"name": "c", "channels": ["c"], "on": ["check.failed"]})
    fired = signals([by_pipeline, checks], RunFailed(pipeline="silver", error="x"), tables)
    assert [(s.rule.name, s.kind, s.subject, s.group_key) for s in fired] == [
        ("r", "fire", "run:silver", "pipeline=silver")
    ]
    cleared = signals([by_pipeline, checks], RunSucceeded(pipeline="silver"), tables)
    assert [(s.rule.name, s.kind) for s in cleared] == [("r", "resolve")]
