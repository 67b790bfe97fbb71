"""``sluiceway serve`` and ``sluiceway backfill``: the daemon, and runs over partitions."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    """Add the ``serve`` and ``backfill`` commands to ``app``."""
    app.command("serve")(serve)
    app.command("backfill")(backfill)


def serve(
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", "-w", min=1, help="Runs executed at once.", show_default="daemon.workers"
        ),
    ] = None,
    step_workers: Annotated[
        int | None,
        typer.Option(
            "--step-workers",
            min=0,
            help="Worker processes the steps run in (0: in the runs' threads).",
            show_default="daemon.step_workers",
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", help="Port of the webhook listener (when a pipeline has one)."),
    ] = None,
    until_idle: Annotated[
        bool,
        typer.Option(
            "--until-idle", help="Exit once nothing is queued, running or arriving (demos, CI)."
        ),
    ] = False,
    idle_seconds: Annotated[
        float,
        typer.Option("--idle-seconds", min=0.1, help="How long idle means, with --until-idle."),
    ] = 3.0,
    summary: Annotated[
        bool, typer.Option("--summary/--no-summary", help="Print what ran when the daemon stops.")
    ] = True,
    metrics: Annotated[
        bool,
        typer.Option("--metrics/--no-metrics", help="Serve /metrics, /healthz and /readyz."),
    ] = True,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            min=0,
            max=65535,
            help="Port of /metrics (0: a free one).",
            show_default="daemon.metrics_port",
        ),
    ] = None,
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format",
            help="auto (JSON when stderr is not a terminal), json (one object per line, with "
            "run and step ids) or text.",
        ),
    ] = "auto",
) -> None:
    """Run the scheduler, the trigger watchers and the workers until SIGTERM (or idle)."""
    import logging
    import sys
    import time

    from sluiceway.cli.context import state
    from sluiceway.cli.render import console
    from sluiceway.logs import configure
    from sluiceway.orchestrate.daemon import Daemon, DaemonSettings

    if log_format not in ("auto", "json", "text"):
        raise typer.BadParameter("--log-format is auto, json or text")
    if log_format == "auto":
        log_format = "text" if sys.stderr.isatty() else "json"
    configure(log_format, logging.INFO)
    started = time.time()
    spec = state.project().settings.daemon
    daemon = Daemon(
        state.project(),
        state.store(),
        DaemonSettings(
            workers=spec.workers if workers is None else workers,
            step_workers=spec.step_workers if step_workers is None else step_workers,
            webhook_port=port,
            until_idle=until_idle,
            idle_seconds=idle_seconds,
            log_format=log_format,
            monitoring=True,
            metrics_port=(spec.metrics_port if metrics_port is None else metrics_port)
            if metrics
            else None,
        ),
    )
    console.print(f"serving {state.project().settings.name} (Ctrl-C or SIGTERM to stop)")
    stats = daemon.run()
    console.print(f"stopped after {time.time() - started:.1f} s: {stats.runs} run(s) executed")
    if summary:
        from sluiceway.cli.summary import print_summary

        print_summary(state.store(), since=started)


def backfill(
    pipeline: Annotated[str, typer.Argument(help="Pipeline to run once per partition.")],
    start: Annotated[str, typer.Option("--from", help="First partition (a date, 2026-01-01).")],
    end: Annotated[str, typer.Option("--to", help="Last partition, included.")],
    every: Annotated[
        str, typer.Option("--every", help="day (2026-01-05) or month (2026-01) partitions.")
    ] = "day",
    parallel: Annotated[int, typer.Option("--parallel", min=1, help="Partitions run at once.")] = 1,
    engine: Annotated[
        str | None, typer.Option("--engine", help="Run every step on this engine.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run a pipeline once per partition from --from to --to; run it again to resume."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from sluiceway.cli.context import state
    from sluiceway.cli.lineage_send import send_lineage
    from sluiceway.cli.render import console, print_json, print_rows
    from sluiceway.orchestrate.backfill import backfill as run_backfill
    from sluiceway.orchestrate.backfill import partitions

    if every not in ("day", "month"):
        raise typer.BadParameter("--every is day or month")
    names = partitions(_date(start, "--from"), _date(end, "--to"), every)  # type: ignore[arg-type]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        disable=as_json,
    ) as bar:
        task = bar.add_task(f"backfill {pipeline}", total=len(names))

        def advance(result: Any) -> None:
            bar.advance(task)

        results = run_backfill(
            state.project(),
            state.store(),
            pipeline,
            names,
            parallel=parallel,
            engine=engine,
            progress=advance,
        )
    rows = [
        {"partition": r.partition, "run": r.run_id[:8], "status": r.status, "error": r.error}
        for r in results
    ]
    if as_json:
        print_json([{**row, "run": r.run_id} for row, r in zip(rows, results, strict=True)])
    else:
        print_rows(rows, ["partition", "run", "status", "error"], title=f"backfill of {pipeline}")
    send_lineage()
    if any(r.status not in ("succeeded", "skipped") for r in results):
        raise typer.Exit(1)


def _date(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{flag} {text!r} is not a date like 2026-01-31") from None
