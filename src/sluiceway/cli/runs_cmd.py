"""``sluiceway runs``, ``run-info``, ``resume`` and ``cancel``: the runs, and acting on one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

RUN_COLUMNS = ("run", "pipeline", "status", "trigger", "attempt", "queued", "seconds", "error")
STEP_COLUMNS = ("step", "attempt", "status", "batch", "table", "version", "rows", "seconds",
                "error")  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add the run commands to ``app``."""
    app.command("runs")(runs)
    app.command("run-info")(run_info)
    app.command("resume")(resume)
    app.command("cancel")(cancel)


def runs(
    pipeline: Annotated[str | None, typer.Option("--pipeline", help="Only this pipeline.")] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only runs in this state (queued, running, failed…)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many.")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List runs, newest first: state, trigger, attempt, duration, error."""
    from sluiceway.cli.context import state
    from sluiceway.cli.render import console, print_json, print_rows
    from sluiceway.meta.runs import RunRepo

    found = RunRepo(state.store()).recent(
        pipeline=pipeline, status=[status] if status else None, limit=limit
    )
    rows = [_run_row(r) for r in found]
    if as_json:
        print_json([_run_json(r) for r in found])
        return
    if not rows:
        console.print("no runs yet")
        return
    print_rows(rows, RUN_COLUMNS, title="runs, newest first")


def run_info(
    run_id: Annotated[str, typer.Argument(help="A run id (or its first characters).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one run: its state, trigger, timings, and every step attempt."""
    from sluiceway.cli.context import state
    from sluiceway.cli.render import console, print_json, print_rows
    from sluiceway.meta.runs import RunRepo

    repo = RunRepo(state.store())
    run = _find(repo, run_id)
    attempts = repo.steps(run.id)
    if as_json:
        print_json({**_run_json(run), "steps": [_step_json(s) for s in attempts]})
        return
    console.print(f"run {run.id} of {run.pipeline}: {run.status}", highlight=False)
    console.print(f"  trigger   {run.trigger}", highlight=False)
    if run.params:
        console.print(f"  params    {run.params}", highlight=False)
    if run.partition:
        console.print(f"  partition {run.partition}", highlight=False)
    console.print(f"  queued    {_time(run.queued_at)}; started {_time(run.started_at)}; "
                  f"finished {_time(run.finished_at)}; attempt {run.attempt}",
                  highlight=False)  # fmt: skip
    if run.error:
        console.print(f"  error     {run.error}", highlight=False, markup=False)
    if attempts:
        print_rows([_step_row(s) for s in attempts], STEP_COLUMNS, title="step attempts")


def resume(
    run_id: Annotated[str, typer.Argument(help="A failed or cancelled run.")],
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=0,
            help="Worker processes for the steps (0: in this process).",
            show_default="as many as steps can run side by side",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run again what a failed or cancelled run left undone; committed steps are not redone."""
    from sluiceway.cli.context import state
    from sluiceway.cli.lineage_send import send_lineage
    from sluiceway.cli.render import console, print_json, print_rows
    from sluiceway.cli.run_cmd import COLUMNS, _row
    from sluiceway.meta.runs import RunRepo
    from sluiceway.orchestrate.runner import resume_run

    run = _find(RunRepo(state.store()), run_id)
    report = resume_run(state.project(), state.store(), run.id, workers=workers)
    rows = [_row(s) for s in report.steps]
    if as_json:
        print_json({"run_id": report.run_id, "resumes": run.id, "status": report.status,
                    "steps": rows})  # fmt: skip
    else:
        print_rows(rows, COLUMNS, title=f"run {report.run_id[:8]} resumes {run.id[:8]}")
        console.print(f"{report.status} in {report.duration_s:.1f} s")
    send_lineage()
    if report.failed:
        raise typer.Exit(1)


def cancel(run_id: Annotated[str, typer.Argument(help="A queued or running run.")]) -> None:
    """Cancel a run: a queued one at once, a running one as soon as its worker notices."""
    from sluiceway.cli.context import state
    from sluiceway.cli.render import console
    from sluiceway.meta.runs import RunRepo

    repo = RunRepo(state.store())
    run = _find(repo, run_id)
    done = repo.request_cancel(run.id)
    if done.status == "cancelled":
        console.print(f"run {run.id} cancelled")
    else:
        console.print(f"run {run.id} is running: its worker stops it within a second or two")


def _find(repo: Any, run_id: str) -> Any:
    """A run by id or unique id prefix."""
    from sluiceway.errors import UsageError

    run = repo.get(run_id)
    if run is not None:
        return run
    matching = [r for r in repo.recent(limit=1000) if r.id.startswith(run_id)]
    if len(matching) == 1:
        return matching[0]
    if not matching:
        raise UsageError(f"no run {run_id!r}", hint="`sluiceway runs` lists them")
    raise UsageError(f"{run_id!r} names {len(matching)} runs", hint="give more characters")


def _seconds(run: Any) -> float | None:
    if run.started_at is None or run.finished_at is None:
        return None
    return round((run.finished_at - run.started_at).total_seconds(), 2)


def _time(value: datetime | None) -> str:
    return "-" if value is None else value.isoformat(timespec="seconds")


def _run_row(run: Any) -> dict[str, Any]:
    return {
        "run": run.id[:8],
        "pipeline": run.pipeline,
        "status": run.status,
        "trigger": run.trigger.get("kind", ""),
        "attempt": run.attempt,
        "queued": _time(run.queued_at),
        "seconds": _seconds(run),
        "error": (run.error or "")[:80],
    }


def _run_json(run: Any) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "pipeline": run.pipeline,
        "env": run.env,
        "status": run.status,
        "trigger": run.trigger,
        "params": run.params,
        "partition": run.partition,
        "steps": run.steps,
        "attempt": run.attempt,
        "queued_at": _time(run.queued_at),
        "started_at": _time(run.started_at),
        "finished_at": _time(run.finished_at),
        "seconds": _seconds(run),
        "error": run.error,
    }


def _step_row(step: Any) -> dict[str, Any]:
    seconds = None
    if step.started_at and step.finished_at:
        seconds = round((step.finished_at - step.started_at).total_seconds(), 2)
    return {
        "step": step.step,
        "attempt": step.attempt,
        "status": step.status,
        "batch": step.batch,
        "table": step.table,
        "version": step.table_version,
        "rows": step.rows_out,
        "seconds": seconds,
        "error": (step.error or "")[:100],
    }


def _step_json(step: Any) -> dict[str, Any]:
    return {**_step_row(step), "error": step.error, "metrics": step.metrics}
