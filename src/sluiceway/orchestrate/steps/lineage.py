"""Recording what a committed table was computed from, column by column.

Lineage is derived from the step's SQL with sqlglot and stored after the commit (a crash in
between leaves the previous lineage until the next commit; it is metadata about the data,
not part of it). Python steps record table-level edges from their declared inputs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp

    from sluiceway.engines.base import Input
    from sluiceway.lake.commit import CommitResult
    from sluiceway.meta.lineage import Edge
    from sluiceway.orchestrate.context import StepContext

log = logging.getLogger(__name__)


def record_sql_lineage(
    ctx: StepContext,
    table: str,
    query: exp.Query,
    inputs: Mapping[str, Input],
    commit: CommitResult | None,
) -> None:
    """Store the column lineage of ``query`` as ``table``'s current lineage.

    ``commit`` is None for a view, whose lineage changes when it is defined.
    """
    from sluiceway.meta.lineage import Edge
    from sluiceway.sql.lineage import lineage_edges

    if ctx.store is None or (commit is not None and commit.skipped):
        return
    schemas = {name: list(item.schema.names) for name, item in inputs.items()}
    try:
        found = lineage_edges(query, schemas)
    except Exception as exc:  # lineage is best effort: never fail a committed step for it
        log.warning("lineage of %s could not be derived: %s", table, exc)
        return
    # Only catalog tables are lineage sources: range() and other table functions are not.
    edges = [Edge(table, e.output, e.table, e.column) for e in found if e.table in inputs]
    covered = {e.source for e in edges}
    # An input read without any column reaching the output (a filter, an EXISTS) is still
    # an upstream table.
    edges += [Edge(table, None, name, None) for name in inputs if name not in covered]
    _store(ctx, table, edges, commit)


def record_table_lineage(
    ctx: StepContext, table: str, inputs: Mapping[str, Input], commit: CommitResult
) -> None:
    """Store table-level edges (a python step's inputs: its columns cannot be traced)."""
    from sluiceway.meta.lineage import Edge

    if ctx.store is None or commit.skipped:
        return
    _store(ctx, table, [Edge(table, None, name, None) for name in inputs], commit)


def _store(ctx: StepContext, table: str, edges: list[Edge], commit: CommitResult | None) -> None:
    from sluiceway.meta.lineage import LineageRepo

    assert ctx.store is not None
    LineageRepo(ctx.store).record(
        ctx.project.env,
        table,
        edges,
        delta_version=commit.version if commit is not None else None,
        run_id=ctx.run.id,
    )
