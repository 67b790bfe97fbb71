"""``sluiceway run``: run a pipeline (or all) now and show how each step ended."""

from __future__ import annotations

from typing import Annotated, Any

import typer

COLUMNS = ("step", "status", "table", "version", "rows", "engine", "seconds", "error")


def register(app: typer.Typer) -> None:
    """Add the ``run`` command to ``app``."""
    app.command("run")(run)


def run(
    pipeline: Annotated[
        str | None, typer.Argument(help="Pipeline to run (or --all).", show_default=False)
    ] = None,
    steps: Annotated[
        list[str] | None,
        typer.Option("--step", "-s", help="Run only this step (repeatable)."),
    ] = None,
    from_step: Annotated[
        str | None,
        typer.Option("--from", help="Run this step and every step downstream of it."),
    ] = None,
    run_all: Annotated[
        bool, typer.Option("--all", help="Run every pipeline, upstream ones first.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=0,
            help="Run independent steps side by side in this many worker processes "
            "(0: one by one in this process).",
            show_default="as many as steps can run side by side, up to defaults.max_parallel",
        ),
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
    from sluiceway.cli.lineage_send import send_lineage
    from sluiceway.cli.render import console, print_rows
    from sluiceway.orchestrate.runner import run_pipeline

    if engine is not None and engine not in ("duckdb", "spark"):
        raise typer.BadParameter(f"unknown engine {engine!r}; use duckdb or spark")
    if (pipeline is None) == (not run_all):
        raise typer.BadParameter("name a pipeline, or pass --all")
    if from_step is not None and (steps or run_all):
        raise typer.BadParameter("--from takes the place of --step, for one pipeline")
    project = state.project()
    names = _all_pipelines(project) if run_all else [str(pipeline)]
    reports = []
    for name in names:
        selected = steps
        if from_step is not None:
            selected = _from(project, name, from_step)
        report = run_pipeline(
            project,
            name,
            state.store(),
            steps=selected,
            engine=engine,
            params=_params(params or []),
            partition=partition,
            workers=workers,
        )
        reports.append(report)
        rows = [_row(s) for s in report.steps]
        if as_json:
            continue
        print_rows(rows, COLUMNS, title=f"run {report.run_id[:8]} of {report.pipeline}")
        console.print(f"{report.status} in {report.duration_s:.1f} s")
    if as_json:
        from sluiceway.cli.render import print_json

        shown = [
            {"run_id": r.run_id, "pipeline": r.pipeline, "status": r.status,
             "steps": [_row(s) for s in r.steps]}
            for r in reports
        ]  # fmt: skip
        print_json(shown if run_all else shown[0])
    send_lineage()
    if any(r.failed for r in reports):
        raise typer.Exit(1)


def _all_pipelines(project: Any) -> list[str]:
    """Every pipeline, a pipeline after those writing the tables it reads."""
    from graphlib import TopologicalSorter

    written = {t: p.name for t, (p, _) in project.tables_written().items()}
    order: dict[str, set[str]] = {name: set() for name in project.pipelines}
    for name, pipeline in project.pipelines.items():
        for trigger in pipeline.on:
            for table in getattr(trigger, "tables", []) or []:
                if table in written and written[table] != name:
                    order[name].add(written[table])
    return list(TopologicalSorter(order).static_order())


def _from(project: Any, pipeline: str, start: str) -> list[str]:
    """``start`` and every step of ``pipeline`` downstream of it."""
    from sluiceway.errors import UsageError
    from sluiceway.orchestrate.order import downstream

    found = project.pipelines.get(pipeline)
    if found is None:
        raise UsageError(f"no pipeline {pipeline!r}", hint="`sluiceway pipelines` lists them")
    names = [s.name for s in found.steps]
    if start not in names:
        raise UsageError(
            f"pipeline {pipeline} has no step {start!r}", hint="steps: " + ", ".join(names)
        )
    writers = {s.writes: s.name for s in found.steps if s.writes}
    reads = _reads(project, pipeline)
    graph = {
        s.name: {writers[t] for t in reads[s.name] if t in writers} | set(s.depends_on)
        for s in found.steps
    }
    return sorted({start} | downstream(graph, start))


def _reads(project: Any, pipeline: str) -> dict[str, list[str]]:
    """The tables each step of ``pipeline`` reads, inferred as a run would (nothing runs)."""
    from sluiceway.cli.context import state
    from sluiceway.orchestrate.analysis import placeholder_contexts
    from sluiceway.orchestrate.step_run import RUNNABLE
    from sluiceway.orchestrate.steps import executor

    for ctx in placeholder_contexts(project, state.store()):
        if ctx.pipeline.name == pipeline:
            return {
                s.name: executor(s.type).dependencies(s, ctx) if s.type in RUNNABLE else []
                for s in ctx.pipeline.steps
            }
    return {}


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
