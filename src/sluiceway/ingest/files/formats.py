"""One parser per file format, chosen by the step's ``format.type``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sluiceway.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path

    from sluiceway.ingest.files.contract import Contract
    from sluiceway.ingest.files.landing import LandingFile
    from sluiceway.ingest.files.result import FileResult
    from sluiceway.lake.staged import Output


def stage_file(
    con: Any,
    path: Path,
    file: LandingFile,
    fmt: Any,
    contract: Contract | None,
    output: Output,
    source: str,
    *,
    first: bool,
) -> FileResult:
    """Parse the local copy ``path`` of ``file`` and stage its good rows into ``output``.

    ``first``: no file has been staged in this batch yet, so the file may bring columns
    the contract keeps; otherwise such a file raises
    :class:`~sluiceway.ingest.files.result.NewColumns`.
    """
    if fmt.type in ("csv", "tsv"):
        from sluiceway.ingest.files.delimited import stage_delimited

        return stage_delimited(con, path, file.path, fmt, contract, output, source, first=first)
    raise UsageError(f"{fmt.type} files cannot be ingested yet", hint="use csv or tsv files")
