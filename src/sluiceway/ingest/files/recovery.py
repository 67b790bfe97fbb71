"""Completing the ledger of a batch that committed before its process died.

The table's commit carries each file's counts (``sluiceway.files`` in its metadata), so the
ledger can be brought level with the table without parsing the files again.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sluiceway.ingest.files.landing import Landing, LandingFile

if TYPE_CHECKING:
    from sluiceway.meta.ledger import FileRecord, LedgerRepo
    from sluiceway.orchestrate.context import StepContext
    from sluiceway.spec.sources import FilesSource
    from sluiceway.spec.steps import IngestStep


FILES_KEY = "sluiceway.files"
"""Commit metadata: each file's counts, so a lost ledger update can be recovered."""


HISTORY_DEPTH = 1000


def record_committed(
    step: IngestStep,
    ctx: StepContext,
    app_id: str,
    number: int,
    records: list[FileRecord],
    landing: Landing,
    ledger: LedgerRepo,
) -> None:
    """The batch is in the table: mark its files loaded with the counts it committed."""
    counts, version = committed_counts(ctx.lake.table(step.table), app_id, number)
    source: FilesSource = step.source  # type: ignore[assignment]
    for record in records:
        read, loaded, quarantined = counts.get(record.uri, (0, 0, 0))
        ledger.mark_loaded(
            record.id,
            batch=number,
            table_version=version,
            rows_read=read,
            rows_loaded=loaded,
            rows_quarantined=quarantined,
        )
        landing.dispose(as_file(landing, record), source.on_processed)


def committed_counts(
    table: Any, app_id: str, number: int
) -> tuple[dict[str, tuple[int, int, int]], int | None]:
    """Per-file counts recorded by batch ``number``'s commit, and its version."""
    for commit in table.delta().history(HISTORY_DEPTH):
        if commit.get("sluiceway.app_id") != app_id or commit.get("sluiceway.batch") != str(number):
            continue
        files = json.loads(str(commit.get(FILES_KEY, "{}")))
        return {uri: tuple(v) for uri, v in files.items()}, commit.get("version")
    return {}, None


def as_file(landing: Landing, record: FileRecord) -> LandingFile:
    path = record.uri.removeprefix(landing.root).lstrip("/")
    return LandingFile(path, record.uri, record.size, record.mtime, record.etag)
