"""Rows a file loaded but the table's checks refused: back to their file, into quarantine.

The quality gate returns the staged rows that failed an ``error`` check, each with the
names of the checks it failed and its ``_sw_source`` — the file's landing path and the lines
its records span. Each such row becomes one more quarantined row *of its file*, so the
ledger's per-file counts still reconcile: one fewer row loaded, one more quarantined.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sluiceway.ingest.files.result import Quarantined
from sluiceway.lake.lineage import SOURCE, is_lineage

if TYPE_CHECKING:
    import pyarrow as pa

    from sluiceway.ingest.files.batches import Loaded
    from sluiceway.spec.checks import Check

FAILED_CHECKS = "_sw_failed_checks"


def failed_checks(rows: pa.Table, loaded: list[Loaded], checks: Sequence[Check]) -> list[Loaded]:
    """``loaded`` with ``rows`` (the gate's quarantined rows) moved into their files' counts.

    Raises:
        ValueError: a row names no loaded file (it could not have been staged by them).
    """
    by_label = {item.label: index for index, item in enumerate(loaded)}
    columns = {str(c.name): _column_of(c) for c in checks}
    extra: dict[int, list[Quarantined]] = {}
    for row in rows.to_pylist():
        index = by_label.get(row.get(SOURCE))
        if index is None:
            raise ValueError(f"a row failing checks names no file of the batch: {row.get(SOURCE)}")
        names = [n for n in str(row.get(FAILED_CHECKS) or "").split(",") if n]
        extra.setdefault(index, []).append(
            Quarantined(
                line=None,
                column=next((columns[n] for n in names if columns.get(n)), None),
                reason="failed check " + ", ".join(names) + " — fix the row at the source, "
                "or the check; the row was not loaded",
                raw=Quarantined.cut(json.dumps(_data(row), default=str, ensure_ascii=False)),
            )
        )
    updated = list(loaded)
    for index, found in extra.items():
        item = loaded[index]
        result = replace(
            item.result,
            rows_loaded=item.result.rows_loaded - len(found),
            quarantine=(*item.result.quarantine, *found),
        )
        updated[index] = replace(item, result=result)
    return updated


def _column_of(check: Check) -> str | None:
    column = getattr(check, "column", None)
    if column is not None:
        return str(column)
    columns = getattr(check, "columns", None)
    return ",".join(columns) if isinstance(columns, list) else None


def _data(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not is_lineage(k) and k != FAILED_CHECKS}
