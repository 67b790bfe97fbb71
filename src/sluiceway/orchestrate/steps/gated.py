"""Steps with checks publish through the gate: staged files, audited, then committed."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from sluiceway.engines.base import Staged
    from sluiceway.lake.commit import CommitResult, WriteContext
    from sluiceway.orchestrate.context import StepContext


def audit_staged(step: Any, ctx: StepContext, batch: WriteContext, staged: Staged) -> Staged:
    """Run the step's checks on its staged files (:mod:`sluiceway.quality.gate`)."""
    from sluiceway.quality.gate import audit

    duckdb_engine: Any = ctx.engines.get("duckdb")
    return audit(
        duckdb_engine.connection,
        staged,
        list(step.checks),
        table=step.table,
        ctx=ctx,
        batch=batch,
        step=step.name,
    ).staged


def commit_gated(
    step: Any, ctx: StepContext, batch: WriteContext, rows: pa.RecordBatchReader
) -> CommitResult:
    """Stage ``rows`` as Parquet with DuckDB, audit them, commit what passes.

    For steps whose result arrives as Arrow (``python`` steps): the gate reads files, so the
    rows are written once to staging, exactly as a ``sql`` step's result is.
    """
    from sqlglot import exp

    duckdb_engine: Any = ctx.engines.get("duckdb")
    name = f"__sw_rows_{uuid.uuid4().hex[:12]}"
    # Registered under a unique name for the rest of the run: the engine's connection lives
    # as long as the run, and unregistering can be refused while a relation of a python
    # input still refers to the connection.
    duckdb_engine.connection.register(name, rows)
    with ctx.lake.staging(step.table, batch) as output:
        query = exp.select("*").from_(exp.to_identifier(name)).sql("duckdb")
        staged = duckdb_engine.stage(query, {}, output)
        staged = audit_staged(step, ctx, batch, staged)
        return ctx.lake.commit_staged(step.table, staged, step.materialization, batch)
