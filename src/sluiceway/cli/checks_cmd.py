"""``sluiceway checks``: the latest result of every check, or one table's history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from sluiceway.meta.checks import CheckResult

COLUMNS = ["checked_at", "table", "check", "type", "severity", "status", "observed",
           "failing_rows", "message"]  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add the ``checks`` command to ``app``."""
    app.command("checks")(checks)


def checks(
    table: Annotated[
        str | None, typer.Argument(help="Table as layer.name (default: every table).")
    ] = None,
    history: Annotated[
        bool, typer.Option("--history", help="Every result, newest first, not just the latest.")
    ] = False,
    check: Annotated[str | None, typer.Option("--check", help="Only this check.")] = None,
    failing: Annotated[
        bool, typer.Option("--failing", help="Only results that failed or warned.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many.")] = 200,
    sample: Annotated[
        bool, typer.Option("--sample", help="Show the failing rows kept with each result.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show check results: by default the latest of each check (what is failing now)."""
    from sluiceway.cli.context import state
    from sluiceway.cli.render import console, print_json, print_rows
    from sluiceway.meta.checks import CheckRepo

    repo = CheckRepo(state.store())
    statuses: list[Any] | None = ["failed", "warned", "error"] if failing else None
    found = repo.query(table=table, check_name=check, statuses=statuses, limit=limit)
    if not history:
        found = _latest(found)
    rows = [_row(r) for r in found]
    if as_json:
        print_json([{**row, "sample": r.sample} for row, r in zip(rows, found, strict=True)])
        return
    if not rows:
        console.print("no check results" + (f" for {table}" if table else ""))
        return
    print_rows(rows, COLUMNS, title="check history" if history else "latest check results")
    if sample:
        for r in found:
            if r.sample:
                console.print(f"{r.table} {r.check_name}: {len(r.sample)} failing row(s)")
                print_rows(r.sample, list(r.sample[0]))


def _latest(results: list[CheckResult]) -> list[CheckResult]:
    """The newest result of each (table, check), newest first (``results`` is newest first)."""
    seen: set[tuple[str, str]] = set()
    latest = []
    for result in results:
        key = (result.table, result.check_name)
        if key not in seen:
            seen.add(key)
            latest.append(result)
    return latest


def _row(result: CheckResult) -> dict[str, Any]:
    return {
        "checked_at": result.checked_at.strftime("%Y-%m-%d %H:%M:%S"),
        "table": result.table,
        "check": result.check_name,
        "type": result.check_type,
        "severity": result.severity,
        "status": result.status,
        "observed": result.observed,
        "failing_rows": result.failing_rows,
        "message": result.message,
    }
