"""``sluiceway ingest-status``: the file ledger — what each ingest step saw and loaded."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sluiceway.errors import UsageError

if TYPE_CHECKING:
    from sluiceway.meta.ledger import FileRecord, FileStatus
    from sluiceway.spec.project import Project

STATUSES: tuple[FileStatus, ...] = ("seen", "loaded", "failed", "duplicate", "skipped")
"""Every ledger status, in the order a delivery goes through them."""


def register(app: typer.Typer) -> None:
    """Add the ``ingest-status`` command to ``app``."""
    app.command("ingest-status")(ingest_status)


def ingest_status(
    pipeline: Annotated[
        str | None, typer.Argument(help="Pipeline (default: every pipeline with file ingestion).")
    ] = None,
    step: Annotated[str | None, typer.Option("--step", help="Only this step.")] = None,
    files: Annotated[
        bool, typer.Option("--files", help="One line per file delivery instead of totals.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show files seen, loaded, failed and duplicate, with rows read, loaded and quarantined.

    ``rows_read = rows_loaded + rows_quarantined`` holds for every loaded file; a failed file
    shows why and stays in the landing zone.
    """
    from sluiceway.cli.context import state
    from sluiceway.cli.render import print_rows
    from sluiceway.meta.ledger import LedgerRepo

    project = state.project()
    ledger = LedgerRepo(state.store())
    steps = _file_steps(project, pipeline, step)
    if files:
        rows = [_file_row(p, s, r) for p, s in steps for r in ledger.with_status(p, s, STATUSES)]
        columns = ["pipeline", "step", "file", "status", "batch", "version", "rows_read",
                   "rows_loaded", "rows_quarantined", "error"]  # fmt: skip
        print_rows(rows, columns, title="file deliveries", as_json=as_json)
        return
    totals = [_totals(p, s, ledger.with_status(p, s, STATUSES)) for p, s in steps]
    columns = ["pipeline", "step", "files", *STATUSES[1:], "pending", "rows_read",
               "rows_loaded", "rows_quarantined"]  # fmt: skip
    print_rows(totals, columns, title="file ingestion", as_json=as_json)


def _file_steps(project: Project, pipeline: str | None, step: str | None) -> list[tuple[str, str]]:
    """(pipeline, step) of every ``ingest`` step reading files, as selected."""
    from sluiceway.spec.problems import did_you_mean

    if pipeline is not None and pipeline not in project.pipelines:
        raise UsageError(
            f"no pipeline {pipeline!r}", hint=did_you_mean(pipeline, project.pipelines) or None
        )
    found = [
        (p.name, s.name)
        for p in project.pipelines.values()
        if pipeline in (None, p.name)
        for s in p.steps
        if s.type == "ingest" and s.source.type == "files" and step in (None, s.name)
    ]
    if not found:
        where = f"pipeline {pipeline}" if pipeline else "the project"
        raise UsageError(f"{where} has no file ingest step" + (f" named {step}" if step else ""))
    return found


def _file_row(pipeline: str, step: str, record: FileRecord) -> dict[str, Any]:
    return {
        "pipeline": pipeline,
        "step": step,
        "file": record.uri,
        "status": "pending" if record.status == "seen" else record.status,
        "batch": record.batch,
        "version": record.table_version,
        "rows_read": record.rows_read,
        "rows_loaded": record.rows_loaded,
        "rows_quarantined": record.rows_quarantined,
        "error": record.error,
    }


def _totals(pipeline: str, step: str, records: list[FileRecord]) -> dict[str, Any]:
    counts = Counter(r.status for r in records)
    loaded = [r for r in records if r.status == "loaded"]
    return {
        "pipeline": pipeline,
        "step": step,
        "files": len(records),
        **{status: counts.get(status, 0) for status in STATUSES[1:]},
        "pending": counts.get("seen", 0),
        "rows_read": sum(r.rows_read or 0 for r in loaded),
        "rows_loaded": sum(r.rows_loaded or 0 for r in loaded),
        "rows_quarantined": sum(r.rows_quarantined or 0 for r in loaded),
    }
