"""``sluiceway validate``: load the project, report every problem or a short summary."""

from __future__ import annotations

from typing import Annotated, Any

import typer


def _summary(project: Any) -> dict[str, Any]:
    pipelines = list(project.pipelines.values())
    steps = [step for _, step in project.steps()]
    return {
        "ok": True,
        "project": project.settings.name,
        "env": project.env,
        "pipelines": len(pipelines),
        "from_templates": sum(1 for p in pipelines if p.origin.is_template),
        "steps": len(steps),
        "tables_written": len(project.tables_written()),
        "triggers": sum(len(p.on) for p in pipelines),
        "problems": [],
    }


def validate(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON object for scripts.")
    ] = False,
) -> None:
    """Check the project: settings, pipelines, templates, every cross-reference and the SQL."""
    from sluiceway.cli.context import state
    from sluiceway.cli.render import console, print_json
    from sluiceway.spec.problems import SpecError

    try:
        project = state.project()
        _check_sql(project)
    except SpecError as exc:
        if not as_json:
            raise
        print_json(
            {"ok": False, "summary": exc.summary, "problems": [p.as_dict() for p in exc.problems]}
        )
        raise typer.Exit(exc.exit_code) from None
    summary = _summary(project)
    if as_json:
        print_json(summary)
        return
    console.print(
        f"[bold green]ok[/] project [bold]{summary['project']}[/] (env {summary['env']}): "
        f"{_count(summary['pipelines'], 'pipeline')} "
        f"({summary['from_templates']} from templates), "
        f"{_count(summary['steps'], 'step')}, "
        f"{_count(summary['tables_written'], 'table')} written, "
        f"{_count(summary['triggers'], 'trigger')}",
        soft_wrap=True,
    )


def _check_sql(project: Any) -> None:
    """Analyse every sql step's SQL as a run would; raise ``SpecError`` listing the problems.

    Then build the project's graph: pipelines feeding each other in a cycle are an error
    (:class:`~sluiceway.errors.UsageError` naming the cycle), as they are for a run.
    """
    from sluiceway.cli.context import catalog_store
    from sluiceway.orchestrate.analysis import sql_problems
    from sluiceway.orchestrate.graph_build import build_graph
    from sluiceway.spec.problems import SpecError

    store = catalog_store(project)
    try:
        problems = sql_problems(project, store)
        if problems:
            raise SpecError(problems)
        build_graph(project, store)
    finally:
        if store is not None:
            store.close()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def register(app: typer.Typer) -> None:
    """Add ``validate`` to the CLI."""
    app.command("validate")(validate)
