"""Which rules an event concerns, and what it means for them: an alert fires, or clears.

Every alert is *about* a subject, named from the event so that repeats and the event that
clears them name the same one:

| fires | subject | cleared by |
|---|---|---|
| ``run.failed`` | ``run:<pipeline>`` | ``run.succeeded`` of the pipeline |
| ``step.failed`` | ``step:<pipeline>.<step>`` | ``step.succeeded`` of the step |
| ``check.failed`` | ``check:<table>:<check>`` | ``check.passed`` of the check |
| ``sla.missed`` | ``sla:<sla>:<table or pipeline>`` | ``sla.recovered`` of the SLA |
| ``anomaly.detected`` | ``anomaly:<metric>:<subject>`` | nothing: it expires |
| ``file.failed`` | ``file:<uri>`` | nothing: it expires |

Filters are pure functions of the event and the project, so they are tested without a store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from sluiceway.events.base import Event
    from sluiceway.spec.alerts import AlertRule
    from sluiceway.spec.project import Project

RESOLVED_BY: dict[str, str] = {
    "run.succeeded": "run.failed",
    "step.succeeded": "step.failed",
    "check.passed": "check.failed",
    "sla.recovered": "sla.missed",
}
"""Each "good" event type and the failure type it clears."""

RESOLVABLE = frozenset(RESOLVED_BY.values())
SEVERITY_RANK = {"warn": 0, "error": 1, "block": 2}
MAX_SUBJECT = 1024
MAX_GROUP_KEY = 512


@dataclass(frozen=True)
class Signal:
    """What one event means for one rule: an alert about ``subject`` fires or clears."""

    rule: AlertRule
    kind: Literal["fire", "resolve"]
    subject: str
    group_key: str


@dataclass(frozen=True)
class ProjectTables:
    """Which tables each pipeline and step writes, from the project's definitions."""

    by_pipeline: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_step: dict[tuple[str, str], str] = field(default_factory=dict)
    writer: dict[str, str] = field(default_factory=dict)
    """Each table's writing pipeline."""

    @classmethod
    def of(cls, project: Project) -> ProjectTables:
        """The tables ``project``'s pipelines write."""
        by_pipeline: dict[str, list[str]] = {}
        by_step: dict[tuple[str, str], str] = {}
        writer: dict[str, str] = {}
        for table, (pipeline, step) in project.tables_written().items():
            by_pipeline.setdefault(pipeline.name, []).append(table)
            by_step[(pipeline.name, step.name)] = table
            writer[table] = pipeline.name
        return cls({p: tuple(t) for p, t in by_pipeline.items()}, by_step, writer)

    def written_by(self, pipeline: str | None, step: str | None = None) -> tuple[str, ...]:
        """The tables a step writes, or every table of a pipeline when no step is given."""
        if pipeline is None:
            return ()
        if step is not None:
            table = self.by_step.get((pipeline, step))
            return (table,) if table else ()
        return self.by_pipeline.get(pipeline, ())


def watched_types(rules: Iterable[AlertRule]) -> set[str]:
    """Every event type the rules fire on, and the types that clear those."""
    firing = {t for rule in rules for t in rule.on}
    return firing | {good for good, bad in RESOLVED_BY.items() if bad in firing}


def subject_of(event: Event) -> str | None:
    """What an alert raised or cleared by ``event`` is about; None if it cannot say."""
    data = event.payload()
    kind = event.type
    if kind in ("run.failed", "run.succeeded"):
        subject = f"run:{event.pipeline}" if event.pipeline else None
    elif kind in ("step.failed", "step.succeeded"):
        subject = f"step:{event.pipeline}.{event.step}" if event.pipeline and event.step else None
    elif kind in ("check.failed", "check.passed"):
        subject = f"check:{event.table}:{data.get('check')}"
    elif kind in ("sla.missed", "sla.recovered"):
        subject = f"sla:{data.get('sla')}:{event.table or event.pipeline or ''}"
    elif kind == "anomaly.detected":
        subject = f"anomaly:{data.get('metric')}:{data.get('subject') or event.table or ''}"
    elif kind == "file.failed":
        subject = f"file:{data.get('uri')}"
    else:
        subject = None
    return None if subject is None else _bounded(subject, MAX_SUBJECT)


def matches(rule: AlertRule, event: Event, tables: ProjectTables) -> bool:
    """True when ``rule`` alerts on ``event`` (type, severity, pipeline and table filters)."""
    if event.type not in rule.on:
        return False
    if event.type == "check.failed" and rule.severity is not None:
        severity = str(event.payload().get("severity", "error"))
        if SEVERITY_RANK.get(severity, 1) < SEVERITY_RANK[rule.severity]:
            return False
    if rule.pipelines and not _any_match(rule.pipelines, [event.pipeline]):
        return False
    if rule.tables:
        about = [event.table] if event.table else tables.written_by(event.pipeline, event.step)
        if not _any_match(rule.tables, about):
            return False
    return True


def signals(rules: Sequence[AlertRule], event: Event, tables: ProjectTables) -> list[Signal]:
    """What ``event`` means for each rule it concerns."""
    subject = subject_of(event)
    if subject is None:
        return []
    found: list[Signal] = []
    cleared = RESOLVED_BY.get(event.type)
    for rule in rules:
        if cleared is not None and cleared in rule.on:
            found.append(Signal(rule, "resolve", subject, ""))
        elif matches(rule, event, tables):
            found.append(Signal(rule, "fire", subject, group_key(rule, event)))
    return found


def group_key(rule: AlertRule, event: Event) -> str:
    """The group an alert's messages go in: the values of the rule's ``group_by`` fields."""
    values = {"pipeline": event.pipeline, "table": event.table, "type": event.type}
    key = "|".join(f"{name}={values[name] or ''}" for name in rule.group_by)
    return _bounded(key, MAX_GROUP_KEY)


def _any_match(patterns: Sequence[str], values: Iterable[str | None]) -> bool:
    return any(v is not None and fnmatchcase(v, p) for v in values for p in patterns)


def _bounded(text: str, limit: int) -> str:
    """``text``, or a prefix of it ending in its SHA-256 when it is longer than ``limit``."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"{text[: limit - len(digest) - 1]}#{digest}"
