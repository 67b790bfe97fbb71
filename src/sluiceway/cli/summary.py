"""What a daemon (or a demo) did: its runs, the tables they wrote, the checks they ran."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore


def print_summary(store: MetaStore, *, since: float) -> None:
    """Print the runs started since ``since`` (epoch seconds), their steps and checks."""
    from sluiceway.cli.render import console, print_rows
    from sluiceway.meta.checks import CheckRepo
    from sluiceway.meta.runs import RunRepo

    repo = RunRepo(store)
    start = datetime.fromtimestamp(since, UTC)
    found = [r for r in repo.recent(limit=500) if r.queued_at >= start][::-1]
    if not found:
        console.print("no run")
        return
    rows: list[dict[str, Any]] = []
    tables: dict[str, dict[str, Any]] = {}
    for run in found:
        steps = repo.steps(run.id)
        rows.append(
            {
                "run": run.id[:8],
                "pipeline": run.pipeline,
                "trigger": run.trigger.get("kind", ""),
                "status": run.status,
                "steps": len({s.step for s in steps}),
                "rows": sum(s.rows_out or 0 for s in steps if s.status == "succeeded"),
            }
        )
        for s in steps:
            if s.status == "succeeded" and s.table:
                entry = tables.setdefault(s.table, {"table": s.table, "commits": 0, "rows": 0})
                entry["commits"] += 1
                entry["rows"] += s.rows_out or 0
                if s.table_version is not None:  # a step that found nothing commits nothing
                    entry["version"] = max(entry.get("version", -1), s.table_version)
    print_rows(rows, list(rows[0]), title="runs")
    if tables:
        print_rows(list(tables.values()), ["table", "commits", "rows", "version"], title="tables")
    checks = [r for run in found for r in CheckRepo(store).for_run(run.id)]
    if checks:
        counted: Counter[tuple[str, str]] = Counter((c.table, str(c.status)) for c in checks)
        by_table = sorted({c.table for c in checks})
        statuses = ["passed", "warned", "failed", "skipped"]
        print_rows(
            [{"table": t, **{s: counted.get((t, s), 0) for s in statuses}} for t in by_table],
            ["table", *statuses],
            title="check results",
        )
    states = Counter(r.status for r in found)
    console.print(", ".join(f"{n} {s}" for s, n in sorted(states.items())))
