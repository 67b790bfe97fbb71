"""Every ``sql`` step of a project analysed as a run would, without running anything.

``sluiceway validate`` checks the pipeline files (:mod:`sluiceway.spec`), which never look
inside SQL. This pass then renders each ``sql`` step's SQL with the pipeline's ``params``
and a placeholder run, parses it, refuses what is not one SELECT and the denied functions,
and checks its table names against the tables the project writes and the catalog — with
the very code a run uses (:meth:`SqlStepExecutor.analyse`), so the two cannot disagree.
Each problem points at the SQL file, or at the pipeline file for an inline ``query:``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sluiceway.errors import UsageError
from sluiceway.spec.problems import Location, Problem, RowRef, collapse_rows
from sluiceway.spec.steps import SqlStep
from sluiceway.sql.errors import SqlError

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.orchestrate.context import StepContext
    from sluiceway.spec.pipeline import Pipeline
    from sluiceway.spec.project import Project

PLACEHOLDER_RUN = "validate"
PLACEHOLDER_PARTITION = "partition"
"""What ``{{ run.partition }}`` renders as here: a run may or may not be given one."""


def sql_problems(project: Project, store: MetaStore | None) -> list[Problem]:
    """The problems of every ``sql`` step's SQL, in the same form as the spec's problems.

    Args:
        project: a project that passed spec validation.
        store: the metadata store whose catalog lists tables the project does not write
            (None: only the project's own tables are known).
    """
    from sluiceway.orchestrate.steps.sql import SqlStepExecutor

    executor = SqlStepExecutor()
    found: list[tuple[Problem, RowRef | None]] = []
    for ctx in placeholder_contexts(project, store):
        pipeline = ctx.pipeline
        origin = pipeline.origin
        row = (
            RowRef(origin.file, origin.row + 1, origin.rows, origin.label)
            if origin.row is not None
            else None
        )
        for index, step in enumerate(pipeline.steps):
            if not isinstance(step, SqlStep):
                continue
            try:
                executor.analyse(step, ctx)
            except SqlError as exc:
                found.append((_problem(project, pipeline, index, step, exc), row))
            except UsageError as exc:
                where = project.location(pipeline, "steps", index)
                found.append((Problem.at(where, exc.message, hint=exc.hint), row))
    return collapse_rows(found)


def placeholder_contexts(project: Project, store: MetaStore | None) -> Iterator[StepContext]:
    """One step context per pipeline, as a run would build it, with a placeholder run.

    SQL renders with the pipeline's ``params`` and a run whose id is ``validate`` and whose
    partition is ``partition``. The lake, the engines and the tables a step may read are
    shared by every pipeline: nothing is read or opened, and working out the known tables
    once keeps a project of thousands of pipelines linear.

    Args:
        project: a project that passed spec validation.
        store: the metadata store whose catalog lists tables the project does not write
            (None: only the project's own tables are known).
    """
    from sluiceway.lake.service import Lake
    from sluiceway.orchestrate.context import Engines, RunContext, StepContext
    from sluiceway.orchestrate.steps.inputs import known_tables

    lake = Lake.for_project(project, store)  # not read: analysing touches no table
    engines = Engines(project.settings.engines)  # opened on first use: never here
    started_at = datetime.now(UTC)
    known: frozenset[str] | None = None
    for pipeline in project.pipelines.values():
        run = RunContext(
            id=PLACEHOLDER_RUN,
            pipeline=pipeline.name,
            env=project.env,
            started_at=started_at,
            partition=PLACEHOLDER_PARTITION,
        )
        ctx = StepContext(
            project=project, pipeline=pipeline, run=run, lake=lake, store=store, engines=engines
        )
        if known is None:
            known = known_tables(ctx)
        ctx.known = known
        yield ctx


def _problem(
    project: Project, pipeline: Pipeline, index: int, step: SqlStep, exc: SqlError
) -> Problem:
    """``exc`` as a problem at its place in the SQL file or in the pipeline's ``query:``."""
    if step.sql is not None:  # one problem per file, however many steps share it
        where = Location(step.sql, exc.line, exc.column if exc.line is not None else None)
        return Problem.at(where, exc.message, hint=exc.hint)
    where = _in_query(project, pipeline, index, exc)
    return Problem.at(where, exc.message, field=f"steps[{index}].query", hint=exc.hint)


def _in_query(project: Project, pipeline: Pipeline, index: int, exc: SqlError) -> Location:
    """Where ``exc`` (a line and column of an inline ``query:``) is in the pipeline file.

    A literal block (``query: |``) keeps the query's lines, and a one-line value its
    columns; for other styles (folded, multi-line quoted) the value's start is given.
    """
    start = project.location(pipeline, "steps", index, "query")
    if exc.line is None or start.line is None:
        return start
    lines = _file_lines(project.root / start.file)
    if not 1 <= start.line <= len(lines):
        return start
    here = lines[start.line - 1][(start.column or 1) - 1 :]
    column = exc.column or 1
    if here.startswith("|"):
        line = start.line + exc.line
        if line > len(lines):
            return start
        text = lines[line - 1]
        indent = len(text) - len(text.lstrip(" "))
        return Location(start.file, line, indent + column)
    if exc.line == 1 and not here.startswith(">"):
        quote = 1 if here[:1] in ("'", '"') else 0
        return Location(start.file, start.line, (start.column or 1) + quote + column - 1)
    return start


def _file_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
