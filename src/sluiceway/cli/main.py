"""The ``sluiceway`` entry point: global options, command registration, error handling."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sluiceway.cli import (
    alerts_cmd,
    checks_cmd,
    demo_cmd,
    events_cmd,
    graph_cmd,
    history_cmd,
    ingest_status_cmd,
    init_cmd,
    lineage_cmd,
    logs_cmd,
    maintenance_cmd,
    metrics_cmd,
    pipelines_cmd,
    profile_cmd,
    query_cmd,
    run_cmd,
    runs_cmd,
    schema_cmd,
    serve_cmd,
    sla_cmd,
    status_cmd,
    system_cmd,
    tables_cmd,
    validate_cmd,
)
from sluiceway.cli.context import state

app = typer.Typer(
    name="sluiceway",
    help="Data as a platform: pipelines as YAML and SQL, stored as Delta Lake tables.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)


@app.callback()
def main(
    project: Annotated[
        Path,
        typer.Option(
            "--project",
            "-p",
            envvar="SLUICEWAY_PROJECT",
            help="Project folder (holds sluiceway.yaml).",
            show_default="current folder",
        ),
    ] = Path(),
    env: Annotated[
        str | None,
        typer.Option("--env", envvar="SLUICEWAY_ENV", help="Environment (default: prod)."),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback of an error.")
    ] = False,
) -> None:
    """Data as a platform: pipelines as YAML and SQL, stored as Delta Lake tables."""
    state.project_dir = project.resolve()
    state.env = env
    state.debug = debug


for module in (
    init_cmd,
    validate_cmd,
    schema_cmd,
    pipelines_cmd,
    run_cmd,
    runs_cmd,
    logs_cmd,
    status_cmd,
    serve_cmd,
    demo_cmd,
    ingest_status_cmd,
    query_cmd,
    events_cmd,
    tables_cmd,
    checks_cmd,
    profile_cmd,
    history_cmd,
    lineage_cmd,
    graph_cmd,
    maintenance_cmd,
    metrics_cmd,
    sla_cmd,
    alerts_cmd,
    system_cmd,
):
    module.register(app)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI; known errors print one red line and set the exit code.

    Returns the exit code instead of exiting when called with ``argv`` (tests use this).
    """
    from sluiceway.errors import SluicewayError

    args = sys.argv[1:] if argv is None else argv
    code = 0
    try:
        # Standalone mode: Typer handles usage errors and --help itself and always exits.
        app(args=args, prog_name="sluiceway")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except SluicewayError as exc:
        if state.debug:
            import traceback

            traceback.print_exc()
        _print_error(exc)
        code = exc.exit_code
    except KeyboardInterrupt:
        from sluiceway.cli.render import error_line

        error_line("interrupted")
        code = 130
    finally:
        state.close()
    if argv is None:
        sys.exit(code)
    return code


def _print_error(exc: BaseException) -> None:
    from sluiceway.cli.render import error_line

    problems = getattr(exc, "problems", None)
    if problems:
        for problem in problems:
            error_line(str(problem))
        summary = getattr(exc, "summary", None)
        if summary:
            error_line(summary)
        return
    error_line(str(exc))


if __name__ == "__main__":
    run()
