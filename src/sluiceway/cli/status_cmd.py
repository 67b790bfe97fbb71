"""``sluiceway status``: the platform at a glance — runs, failing checks, SLAs, anomalies."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import RenderableType

    from sluiceway.meta.store import MetaStore


def register(app: typer.Typer) -> None:
    """Add the ``status`` command to ``app``."""
    app.command("status")(status)


def status(
    watch: Annotated[bool, typer.Option("--watch", "-w", help="Refresh until Ctrl-C.")] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=0.5, help="Seconds between refreshes.")
    ] = 2.0,
    hours: Annotated[
        float, typer.Option("--hours", min=0.1, help="How far back to look for problems.")
    ] = 24.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON once.")] = False,
) -> None:
    """Recent runs, running and queued work, failing checks, SLA states and anomalies."""
    from rich.live import Live

    from sluiceway.cli.context import state
    from sluiceway.cli.render import console, print_json

    store = state.store()
    since = timedelta(hours=hours)
    if as_json:
        print_json(snapshot(store, since))
        return
    if not watch:
        console.print(render(snapshot(store, since)))
        return
    with Live(render(snapshot(store, since)), console=console, screen=False) as live:
        try:
            while True:
                time.sleep(interval)
                live.update(render(snapshot(store, since)))
        except KeyboardInterrupt:
            return


def snapshot(store: MetaStore, since: timedelta) -> dict[str, Any]:
    """What the dashboard shows, as data: runs, checks, SLAs and anomalies."""
    from sluiceway.events.log import EventLog
    from sluiceway.meta.checks import CheckRepo
    from sluiceway.meta.runs import RunRepo

    start = datetime.now(UTC) - since
    runs = RunRepo(store)
    recent = runs.recent(limit=15)
    active = runs.recent(status=["queued", "running"], limit=50)
    failed_runs = [r for r in runs.recent(status=["failed"], limit=50) if r.queued_at >= start]
    checks = CheckRepo(store).query(statuses=["failed", "warned"], since=start, limit=20)
    log = EventLog(store)
    slas = _sla_states(log.newest(["sla.missed", "sla.recovered"], limit=500))
    anomalies = [e for e in log.newest(["anomaly.detected"], limit=20) if e.time >= start]
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "counts": {
            "running": sum(r.status == "running" for r in active),
            "queued": sum(r.status == "queued" for r in active),
            "failed": len(failed_runs),
            "failing_checks": len(checks),
            "slas_missed": sum(s["state"] == "missed" for s in slas),
            "anomalies": len(anomalies),
        },
        "runs": [
            {
                "run": r.id[:8],
                "pipeline": r.pipeline,
                "status": r.status,
                "trigger": r.trigger.get("kind", ""),
                "queued": r.queued_at.isoformat(timespec="seconds"),
                "seconds": _seconds(r),
                "error": (r.error or "")[:60],
            }
            for r in recent
        ],
        "checks": [
            {
                "table": c.table,
                "check": c.check_name,
                "severity": c.severity,
                "status": str(c.status),
                "failing_rows": c.failing_rows,
                "at": c.checked_at.isoformat(timespec="seconds"),
            }
            for c in checks
        ],
        "slas": slas,
        "anomalies": [
            {
                "metric": getattr(e, "metric", ""),
                "subject": getattr(e, "subject", ""),
                "value": getattr(e, "value", None),
                "expected": getattr(e, "expected", None),
                "at": e.time.isoformat(timespec="seconds"),
            }
            for e in anomalies
        ],
    }


def render(data: dict[str, Any]) -> RenderableType:
    """The dashboard for a person: a headline, then one table per section."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    counts = data["counts"]
    headline = Text.assemble(
        (f"{data['at']}  ", "dim"),
        (f"{counts['running']} running, {counts['queued']} queued  ", "bold"),
        _count(counts["failed"], "failed run"),
        _count(counts["failing_checks"], "failing check"),
        _count(counts["slas_missed"], "missed SLA"),
        _count(counts["anomalies"], "anomaly", "anomalies"),
    )
    parts: list[RenderableType] = [headline]
    sections = (
        ("recent runs", data["runs"], ("run", "pipeline", "status", "trigger", "queued",
                                       "seconds", "error")),
        ("failing checks", data["checks"], ("table", "check", "severity", "status",
                                            "failing_rows", "at")),
        ("SLAs", data["slas"], ("table", "sla", "state", "since", "detail")),
        ("anomalies", data["anomalies"], ("metric", "subject", "value", "expected", "at")),
    )  # fmt: skip
    for title, rows, columns in sections:
        if not rows:
            continue
        table = Table(title=title, title_justify="left", header_style="bold")
        for column in columns:
            table.add_column(column)
        for row in rows:
            cells = [Text("" if row.get(c) is None else str(row.get(c))) for c in columns]
            style = _row_style(row)
            table.add_row(*cells, style=style)
        parts.append(table)
    return Group(*parts)


def _count(n: int, noun: str, plural: str | None = None) -> tuple[str, str]:
    word = noun if n == 1 else (plural or noun + "s")
    return (f"{n} {word}  ", "bold red" if n else "green")


def _row_style(row: dict[str, Any]) -> str:
    value = str(row.get("status") or row.get("state") or "")
    return {"failed": "red", "missed": "red", "warned": "yellow", "running": "cyan"}.get(value, "")


def _seconds(run: Any) -> float | None:
    if run.started_at is None or run.finished_at is None:
        return None
    return round((run.finished_at - run.started_at).total_seconds(), 1)


def _sla_states(events: Iterable[Any]) -> list[dict[str, Any]]:
    """Each table's SLA state: its newest ``sla.missed`` or ``sla.recovered`` decides."""
    latest: dict[tuple[str, str], Any] = {}
    for event in events:  # newest first
        key = (event.table or "", getattr(event, "sla", ""))
        latest.setdefault(key, event)
    return [
        {
            "table": table,
            "sla": sla,
            "state": "missed" if event.type == "sla.missed" else "met",
            "since": event.time.isoformat(timespec="seconds"),
            "detail": getattr(event, "detail", None) or "",
        }
        for (table, sla), event in sorted(latest.items())
    ]
