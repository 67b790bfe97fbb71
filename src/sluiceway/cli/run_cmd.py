"""``sluiceway run``: run a pipeline now, in this process, and show how each step ended."""

from __future__ import annotations

from typing import Annotated, Any

import typer

COLUMNS = ("step", "status", "table", "version", "rows", "engine", "seconds", "error")


def register(app: typer.Typer) -> None:
    """Add the ``run`` command to ``app``."""
    app.command("run")(run)


def run(
    pipeline: Annotated[str, typer.Argument(help="Pipeline to run.")],
    steps: Annotated[
        list[str] | None,
        typer.Option("--step", "-s", help="Run only this step (repeatable)."),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option("--engine", help="Run every step on this engine (duckdb or spark)."),
    ] = None,
    params: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A run parameter as key=value (repeatable)."),
    ] = None,
    partition: Annotated[
        str | None, typer.Option("--partition", help="The partition this run processes.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run a pipeline's steps in dependency order; exit 1 if a step failed."""
    from sluiceway.cli.context import state
    from sluiceway.cli.render import console, print_rows
    from sluiceway.orchestrate.runner import run_pipeline

    if engine is not None and engine not in ("duckdb", "spark"):
        raise typer.BadParameter(f"unknown engine {engine!r}; use duckdb or spark")
    report = run_pipeline(
        state.project(),
        pipeline,
        state.store(),
        steps=steps,
        engine=engine,
        params=_params(params or []),
        partition=partition,
    )
    rows = [_row(s) for s in report.steps]
    if as_json:
        from sluiceway.cli.render import print_json

        print_json({"run_id": report.run_id, "status": report.status, "steps": rows})
    else:
        print_rows(rows, COLUMNS, title=f"run {report.run_id[:8]} of {report.pipeline}")
        console.print(f"{report.status} in {report.duration_s:.1f} s")
    if report.failed:
        raise typer.Exit(1)


def _params(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` pairs, each value read as in a pipeline file's ``params:``.

    The same YAML rules as pipeline files: 3 is a number, true a boolean, [a, b] a list,
    and a date or a timestamp stays text (``2026-02-01``), so a value given here behaves
    like the same value written in the pipeline and is stored as written in the run record.
    """
    from sluiceway.spec.yamlpos import load_yaml

    found: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"--param {pair!r} is not key=value")
        if not value:
            found[key] = ""
            continue
        parsed, _, issues = load_yaml(value)
        if issues:
            raise typer.BadParameter(f"--param {pair!r}: {issues[0].message}")
        found[key] = parsed
    return found


def _row(report: Any) -> dict[str, Any]:
    outcome = report.outcome
    commit = outcome.commit if outcome else None
    status = report.status
    if commit is not None and commit.skipped:
        status = "already committed"
    return {
        "step": report.step,
        "status": status,
        "table": outcome.table if outcome else None,
        "version": commit.version if commit else None,
        "rows": outcome.rows_out if outcome and commit and not commit.skipped else None,
        "engine": outcome.engine if outcome else None,
        "seconds": round(report.duration_s, 2),
        "error": report.error,
    }
