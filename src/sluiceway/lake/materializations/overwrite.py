"""``overwrite``: replace every row of the table with the batch, in one commit.

Readers see the old rows or the new ones, never a mix: the removal of the old files and the
addition of the new ones are the same Delta transaction, and the old version stays readable
by time travel until vacuumed. Because every row is replaced, a column's type may widen
here (``schema_mode="overwrite"``) when the table's policy is ``evolve``; breaking changes are
refused as for any write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from sluiceway.lake.materializations.writing import commit_write, destination, write_options

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

    from sluiceway.lake.commit import CommitResult, WriteContext
    from sluiceway.lake.materializations.base import Target
    from sluiceway.lake.materializations.writing import Rows
    from sluiceway.lake.schema_policy import SchemaPlan


class OverwriteMaterializer:
    """Replaces the table's content."""

    kind: ClassVar[str] = "overwrite"
    maintained: ClassVar[tuple[str, ...]] = ()

    def write(
        self, target: Target, data: Rows, ctx: WriteContext, spec: Any = None
    ) -> CommitResult:
        """Replace ``target``'s rows with ``data`` as batch ``ctx``."""
        from deltalake import write_deltalake

        def write(table: DeltaTable | None, rows: pa.RecordBatchReader, plan: SchemaPlan) -> None:
            mode = plan.schema_mode
            if table is not None and target.partition_by:
                current = tuple(table.metadata().partition_columns)
                if current != target.partition_by:
                    mode = "overwrite"  # re-partitioning rewrites the layout, not the columns
            write_deltalake(
                destination(target, table),
                rows,
                mode="overwrite",
                schema_mode=mode,
                **write_options(target, ctx, table),
            )

        return commit_write(
            target,
            data,
            ctx,
            operation=self.kind,
            write=write,
            replaces_table=True,
            count_removed=True,
        )
