"""Resolving and pinning the tables a step reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sluiceway.errors import UsageError

if TYPE_CHECKING:
    from sqlglot import exp

    from sluiceway.engines.base import Input
    from sluiceway.orchestrate.context import StepContext
    from sluiceway.sql.views import ViewLookup


def known_tables(ctx: StepContext) -> frozenset[str]:
    """Tables a step may read: those the project writes, the system tables, and those in the
    catalog.

    Worked out once per context (a run, or a worker's step) and kept on it: the project's
    own tables cannot change under a run, and a table registered by others meanwhile is
    known to the next run.
    """
    from sluiceway.spec.references import SYSTEM_TABLES

    if ctx.known is not None:
        return ctx.known
    known = set(ctx.project.tables_written()) | set(SYSTEM_TABLES)
    if ctx.store is not None:
        from sluiceway.meta.catalog import CatalogRepo

        known.update(CatalogRepo(ctx.store).names(ctx.project.env))
    ctx.known = frozenset(known)
    return ctx.known


def view_lookup(ctx: StepContext) -> ViewLookup:
    """``layer.name`` → the view's SQL, from the catalog (None for a stored table)."""

    def lookup(name: str) -> str | None:
        table = ctx.lake.table(name)
        return table.view_sql if table.is_view else None

    return lookup


def resolve_views(
    query: exp.Query, tables: list[str], ctx: StepContext
) -> tuple[exp.Query, list[str]]:
    """``query`` with its views inlined, and the stored tables it then reads.

    A query that names no view is returned as it is, with ``tables``.
    """
    from sluiceway.sql.deps import table_refs
    from sluiceway.sql.views import inline_views

    inlined, views = inline_views(query, view_lookup(ctx))
    if not views:
        return query, tables
    return inlined, [ref.name for ref in table_refs(inlined)]


def pin_inputs(names: Iterable[str], ctx: StepContext) -> dict[str, Input]:
    """Each table pinned to its latest version, once, for the whole step.

    Raises:
        UsageError: a table is known but has never been written, or is a view.
    """
    from sluiceway.engines.inputs import pin
    from sluiceway.lake.errors import TableNotFoundError
    from sluiceway.spec.references import SYSTEM_TABLES

    pinned: dict[str, Input] = {}
    for name in names:
        table = ctx.lake.table(name)
        if table.is_view:  # views are inlined before inputs are pinned
            raise UsageError(
                f"{name} is a view; it is read through the SQL that names it",
                hint="select from it in a sql step, or materialize it as a table",
            )
        try:
            pinned[name] = pin(table)
        except TableNotFoundError as exc:
            writer = ctx.project.tables_written().get(name)
            hint = f"run pipeline {writer[0].name} first" if writer else exc.hint
            if name in SYSTEM_TABLES:
                hint = "run `sluiceway system-tables --export` (`sluiceway serve` exports them)"
            raise UsageError(f"{name} has no data yet", hint=hint) from exc
    return pinned


def source_label(inputs: dict[str, Input]) -> str | None:
    """``_sw_source`` of a computed table: every input as ``table@version``."""
    if not inputs:
        return None
    return ",".join(f"{name}@{item.version}" for name, item in sorted(inputs.items()))
