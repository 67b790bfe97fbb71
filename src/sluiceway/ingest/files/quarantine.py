"""``<table>__quarantine``: every row a file could not load, with where and why.

Written before the table's own commit, tagged with the same batch, so a redone batch skips
it instead of writing the rows twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sluiceway.ingest.files.landing import LandingFile
from sluiceway.ingest.files.result import FileResult

if TYPE_CHECKING:
    import pyarrow as pa

    from sluiceway.lake.commit import CommitResult, WriteContext
    from sluiceway.orchestrate.context import StepContext
    from sluiceway.spec.steps import IngestStep


QUARANTINE_SUFFIX = "__quarantine"


def quarantine_table(table: str) -> str:
    """``raw.orders`` → ``raw.orders__quarantine``."""
    return f"{table}{QUARANTINE_SUFFIX}"


def quarantine_rows(file: LandingFile, result: FileResult) -> list[dict[str, Any]]:
    return [
        {
            "file": file.path,
            "line": q.line,
            "column": q.column,
            "reason": q.reason,
            "raw": q.raw,
            "_sw_source": file.path,
        }
        for q in result.quarantine
    ]


def quarantine_schema() -> pa.Schema:
    """Columns of ``<table>__quarantine``: each row's file is its ``_sw_source`` too (the
    lake adds the run id and load time)."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("file", pa.string(), nullable=False),
            pa.field("line", pa.int64()),
            pa.field("column", pa.string()),
            pa.field("reason", pa.string(), nullable=False),
            pa.field("raw", pa.string()),
            pa.field("_sw_source", pa.string(), nullable=False),
        ]
    )


def write_quarantine(
    step: IngestStep, ctx: StepContext, batch: WriteContext, rows: list[dict[str, Any]]
) -> CommitResult | None:
    """Append the batch's bad rows to the quarantine table, tagged with the batch."""
    import pyarrow as pa

    if not rows:
        return None
    data = pa.Table.from_pylist(rows, schema=quarantine_schema())
    return ctx.lake.write(quarantine_table(step.table), data, "append", batch)
