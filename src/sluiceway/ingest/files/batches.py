"""What a file ingest step did, batch by batch, and the step outcome summing it up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sluiceway.orchestrate.steps.base import StepOutcome

if TYPE_CHECKING:
    from sluiceway.ingest.files.landing import LandingFile
    from sluiceway.ingest.files.result import FileResult
    from sluiceway.lake.commit import CommitResult
    from sluiceway.meta.ledger import FileRecord
    from sluiceway.spec.steps import IngestStep


@dataclass
class Loaded:
    """A delivery parsed in this batch."""

    file: LandingFile
    record: FileRecord
    result: FileResult
    label: str | None = None
    """The ``_sw_source`` its rows carry (its path and line range)."""


@dataclass
class BatchReport:
    """One commit's worth of files: those loaded, failed and duplicate, and its commits."""

    loaded: list[Loaded]
    failed: int
    duplicates: int
    commit: CommitResult | None
    quarantine: CommitResult | None


def outcome(step: IngestStep, reports: list[BatchReport], listed: list[LandingFile]) -> StepOutcome:
    """The step's outcome: the last commit with every batch's rows and files, and counts."""
    from sluiceway.lake.commit import CommitResult

    commits = [r.commit for r in reports if r.commit is not None]
    files = [item for r in reports for item in r.loaded]
    read = sum(i.result.rows_read for i in files)
    loaded = sum(i.result.rows_loaded for i in files)
    quarantined = sum(i.result.rows_quarantined for i in files)
    commit = None
    if commits:
        last = commits[-1]
        commit = CommitResult(
            table=last.table,
            version=last.version,
            operation=last.operation,
            rows_added=sum(c.rows_added for c in commits),
            files_added=sum(c.files_added for c in commits),
        )
    return StepOutcome(
        table=step.table,
        commit=commit,
        engine="duckdb",
        metrics={
            "files_listed": len(listed),
            "files_loaded": len(files),
            "files_failed": sum(r.failed for r in reports),
            "files_duplicate": sum(r.duplicates for r in reports),
            "rows_read": read,
            "rows_loaded": loaded,
            "rows_quarantined": quarantined,
            "batches": [r.commit.version for r in reports if r.commit is not None],
        },
    )
