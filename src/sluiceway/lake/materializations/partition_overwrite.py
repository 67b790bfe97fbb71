"""``partition_overwrite``: replace only the partitions present in the batch, in one commit.

The batch says which partitions it replaces by the values it holds, and delta-rs needs that
as a replace-where predicate *before* it writes. The input is a stream, so it is staged to a
local spool in one pass while the distinct partition values are collected (only those are
held in memory); the predicate is then built with :mod:`~sluiceway.lake.predicates` (never by
formatting values into SQL) and the staged rows are written with
``write_deltalake(mode="overwrite", predicate=...)``. Partitions absent from the batch are
untouched; an empty batch replaces nothing but still commits, so the batch is recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from sluiceway.errors import UsageError
from sluiceway.lake.materializations.writing import (
    Replay,
    commit_write,
    destination,
    write_options,
)
from sluiceway.lake.predicates import LiteralValue, and_, compare, in_list, or_

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pyarrow as pa
    from deltalake import DeltaTable

    from sluiceway.lake.commit import CommitResult, WriteContext
    from sluiceway.lake.materializations.base import Target
    from sluiceway.lake.materializations.writing import Rows
    from sluiceway.lake.schema_policy import SchemaPlan

Combination = tuple[LiteralValue, ...]


class PartitionOverwriteMaterializer:
    """Replaces the partitions the batch has rows for."""

    kind: ClassVar[str] = "partition_overwrite"
    maintained: ClassVar[tuple[str, ...]] = ()

    def write(
        self, target: Target, data: Rows, ctx: WriteContext, spec: Any = None
    ) -> CommitResult:
        """Replace, in ``target``, the partitions ``data`` holds rows for."""
        from deltalake import write_deltalake

        columns = tuple(getattr(spec, "partition_by", None) or target.partition_by)
        if not columns:
            raise UsageError(
                f"partition_overwrite of {target.name} needs partition columns",
                hint="set partition_by on the materialization or on the table",
            )
        missing = [c for c in columns if data.schema.get_field_index(c) < 0]
        if missing:
            raise UsageError(
                f"partition_overwrite of {target.name}: the result has no column "
                + ", ".join(missing),
                hint="select the partition columns in the query",
            )
        combinations: set[Combination] = set()
        replay = data if isinstance(data, Replay) else Replay(data)
        replay.stage(lambda batch: combinations.update(distinct(batch, columns)))
        predicate = replace_where(columns, combinations)

        def write(table: DeltaTable | None, rows: pa.RecordBatchReader, plan: SchemaPlan) -> None:
            options = write_options(target, ctx, table)
            if table is None:
                options["partition_by"] = list(columns)
            write_deltalake(
                destination(target, table),
                rows,
                mode="overwrite",
                schema_mode=plan.schema_mode,
                predicate=None if table is None else predicate,
                **options,
            )

        return commit_write(
            target, replay, ctx, operation=self.kind, write=write, count_removed=True
        )


def distinct(batch: pa.RecordBatch, columns: Sequence[str]) -> set[Combination]:
    """The distinct combinations of ``columns``' values in one batch."""
    import pyarrow as pa

    if batch.num_rows == 0:
        return set()
    groups = pa.Table.from_batches([batch.select(list(columns))]).group_by(list(columns))
    found = groups.aggregate([]).select(list(columns)).to_pylist()
    return {tuple(row[c] for c in columns) for row in found}


def replace_where(columns: Sequence[str], combinations: set[Combination]) -> str:
    """The predicate selecting exactly the given partitions (``FALSE`` for none).

    One column gives an ``IN`` list; several give one conjunction per combination, because
    an ``IN`` per column would also match combinations the batch does not hold.
    """
    ordered = sorted(combinations, key=lambda combo: tuple(map(repr, combo)))
    if len(columns) == 1:
        return in_list(columns[0], [combo[0] for combo in ordered])
    return or_(
        *(
            and_(*(compare(c, "=", v) for c, v in zip(columns, combo, strict=True)))
            for combo in ordered
        )
    )
