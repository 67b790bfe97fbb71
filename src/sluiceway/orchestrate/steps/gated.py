"""Steps with checks publish through the gate: staged files, audited, then committed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from sluiceway.engines.base import Engine, Output, Staged
    from sluiceway.lake.commit import CommitResult, WriteContext
    from sluiceway.orchestrate.context import StepContext
    from sluiceway.spec.checks import Check


def checks_of(step: Any, ctx: StepContext) -> list[Check]:
    """The step's own checks, then those declared on its table (``tables: … checks:``).

    A table-level check is named like any other; a step's check of the same name wins.
    """
    checks: list[Check] = list(step.checks)
    names = {c.name for c in checks}
    for pipeline in ctx.project.pipelines.values():
        meta = pipeline.tables.get(step.table)
        if meta is None:
            continue
        for check in meta.checks:
            if check.name not in names:
                checks.append(check)
                names.add(check.name)
    return checks


def audit_staged(
    step: Any,
    ctx: StepContext,
    batch: WriteContext,
    staged: Staged,
    *,
    engine: Engine,
    output: Output,
    checks: list[Check],
) -> Staged:
    """Run ``checks`` on the step's staged files with its engine (:mod:`sluiceway.quality.gate`)."""
    from sluiceway.quality.gate import Where, audit

    where = Where(ctx.lake, ctx.store, ctx.run.id, ctx.pipeline.name, step.name)
    return audit(
        engine, staged, checks, table=step.table, where=where, batch=batch, output=output
    ).staged


def commit_gated(
    step: Any,
    ctx: StepContext,
    batch: WriteContext,
    rows: pa.RecordBatchReader,
    checks: list[Check],
) -> CommitResult:
    """Stage ``rows`` as Parquet with DuckDB, audit them, commit what passes.

    For steps whose result arrives as Arrow (``python`` steps): the gate reads files, so the
    rows are written once to staging, exactly as a ``sql`` step's result is.
    """
    duckdb_engine: Any = ctx.engines.get("duckdb")
    with ctx.lake.staging(step.table, batch) as output:
        # On a cursor of its own: ``rows`` may stream from a relation on the run's connection.
        staged = duckdb_engine.stage_arrow(rows, output)
        staged = audit_staged(
            step, ctx, batch, staged, engine=duckdb_engine, output=output, checks=checks
        )
        return ctx.lake.commit_staged(step.table, staged, step.materialization, batch)
