"""Helpers for alert tests: a project with alert settings, lineage, and events to alert on."""

from __future__ import annotations

import itertools
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

from sluiceway.events import EventLog
from sluiceway.events.base import Event
from sluiceway.meta.lineage import Edge, LineageRepo
from sluiceway.spec.project import Project, load_project

PIPELINES = {
    "ingest_orders": ("load", "raw.orders"),
    "silver": ("orders", "silver.orders"),
    "gold": ("daily", "gold.daily_revenue"),
    "report": ("weekly", "gold.weekly_report"),
}


def alert_project(
    root: Path, alerts: str, *, environ: dict[str, str] | None = None, env: str | None = None
) -> Project:
    """A project of four one-step pipelines (raw → silver → gold → report) and ``alerts``."""
    root.mkdir(parents=True, exist_ok=True)
    settings = "name: shop\nalerts:\n" + textwrap.indent(textwrap.dedent(alerts).strip(), "  ")
    (root / "sluiceway.yaml").write_text(settings + "\n", encoding="utf-8")
    folder = root / "pipelines"
    folder.mkdir(exist_ok=True)
    for pipeline, (step, table) in PIPELINES.items():
        text = (
            f"name: {pipeline}\nsteps:\n"
            f'  - {{name: {step}, type: sql, query: "SELECT 1 AS x", table: {table}}}\n'
        )
        (folder / f"{pipeline}.yaml").write_text(text, encoding="utf-8")
    return load_project(root, env=env, environ=environ or {})


def record_lineage(store: Any, env: str = "prod") -> None:
    """raw.orders → silver.orders → gold.daily_revenue → gold.weekly_report, as runs record it."""
    lineage = LineageRepo(store)
    chain = ["raw.orders", "silver.orders", "gold.daily_revenue", "gold.weekly_report"]
    for source, target in itertools.pairwise(chain):
        lineage.record(env, target, [Edge(target, None, source, None)])


def append(store: Any, *events: Event) -> list[Event]:
    """Append ``events`` to the log; returns them with their ids."""
    return EventLog(store).append_many(list(events))


def at(clock: Any, event: Event) -> Event:
    """``event`` dated at the clock's time."""
    moment: datetime = clock.now()
    return event.model_copy(update={"time": moment})
