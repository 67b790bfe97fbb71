"""``append``: add the batch's rows to the table, in one commit.

A blind append reads no files, so concurrent appends do not conflict: delta-rs rebases the
commit onto the newer version itself. Creating the table is the exception (concurrent
creators conflict on its metadata), so the first commit is spooled and retried by the lake.
What remains is a concurrent commit of the same batch
(the app transaction conflicts) or a concurrent schema change. Both are rare, so the input is
not spooled for a replay: such a conflict surfaces as a transient error and the step's retry
runs it again, finding the batch committed if the other writer was itself.
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


class AppendMaterializer:
    """Adds rows; never removes any."""

    kind: ClassVar[str] = "append"
    maintained: ClassVar[tuple[str, ...]] = ()

    def write(
        self, target: Target, data: Rows, ctx: WriteContext, spec: Any = None
    ) -> CommitResult:
        """Append ``data`` to ``target`` as batch ``ctx`` (skipped if already committed)."""
        from deltalake import write_deltalake

        def write(table: DeltaTable | None, rows: pa.RecordBatchReader, plan: SchemaPlan) -> None:
            write_deltalake(
                destination(target, table),
                rows,
                mode="append",
                schema_mode=plan.schema_mode,
                **write_options(target, ctx, table),
            )

        return commit_write(target, data, ctx, operation=self.kind, write=write, replayable=False)
