"""``view``: nothing is stored in the lake; the catalog keeps the view's SQL.

A view is resolved by the engines when it is read, so it always reflects its upstream tables.
Defining one is registering ``is_view=True`` and ``view_sql`` in the catalog: idempotent, so
re-running the step is harmless and needs no app transaction. :class:`ViewMaterializer` is in
the registry so that ``materialization: view`` resolves like any other kind, but it takes SQL,
not rows: :meth:`sluiceway.lake.service.Lake.create_view` is the entry point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from sluiceway.errors import UsageError
from sluiceway.meta.catalog import CatalogRepo, Registration, TableDefinition

if TYPE_CHECKING:
    from sluiceway.lake.commit import CommitResult, WriteContext
    from sluiceway.lake.materializations.base import Target
    from sluiceway.lake.materializations.writing import Rows
    from sluiceway.meta.store import MetaStore


class ViewMaterializer:
    """Stores a view's definition in the catalog."""

    kind: ClassVar[str] = "view"
    maintained: ClassVar[tuple[str, ...]] = ()

    def write(
        self, target: Target, data: Rows, ctx: WriteContext, spec: Any = None
    ) -> CommitResult:
        """Refuse: a view has no rows to write."""
        raise UsageError(
            f"{target.name} is a view: it stores no rows",
            hint="define it with Lake.create_view(name, sql, ctx); engines resolve it on read",
        )

    def define(self, store: MetaStore, definition: TableDefinition, run_id: str) -> Registration:
        """Register ``definition`` (``is_view=True`` with its SQL), replacing an earlier one."""
        if not definition.is_view or not (definition.view_sql or "").strip():
            raise UsageError(f"view {definition.layer}.{definition.name} has no SQL")
        return CatalogRepo(store).register(definition, run_id=run_id)
