"""One parser per file format, chosen by the step's ``format.type``.

Also what the self-describing formats (JSON, NDJSON, Parquet) share: matching the columns a
file has onto the contract, exactly as the delimited reader does, so a table's columns do
not depend on the format its files came in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sluiceway.errors import UsageError
from sluiceway.ingest.files.result import FileUnreadable, NewColumns, not_in_strict_table

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
    if fmt.type in ("json", "ndjson"):
        from sluiceway.ingest.files.jsonlines import stage_json

        return stage_json(con, path, file.path, fmt, contract, output, source, first=first)
    if fmt.type == "parquet":
        from sluiceway.ingest.files.parquet import stage_parquet

        return stage_parquet(con, path, file.path, contract, output, source, first=first)
    raise UsageError(
        f"{fmt.type} files cannot be ingested yet", hint="use csv, tsv, json, ndjson or parquet"
    )


@dataclass(frozen=True)
class Field:
    """One column of the staged rows: where it is in the file and what it must become.

    Attributes:
        name: the table's column name.
        source: the file's column (or key) holding it; None when the file lacks it (NULL).
        type: DuckDB type to cast to.
        required: a row without a value is quarantined.
        format: strftime format, for a date or timestamp read from text.
    """

    name: str
    source: str | None
    type: str
    required: bool = False
    format: str | None = None


def match_columns(
    found: list[tuple[str, str]], contract: Contract, name: str, *, first: bool
) -> list[Field]:
    """The staged columns: the contract's in its order, then the new ones it keeps.

    Args:
        found: the file's columns (or keys) with the type they read as.
        contract: what the table expects.
        name: the file, for messages.
        first: no file is staged in this batch yet (else new columns raise NewColumns).

    Raises:
        FileUnreadable: a required column is missing, or the table's schema is strict and
            the file has a column it does not.
        NewColumns: not ``first``, and the file brings a column the contract keeps.
    """
    names = [n for n, _ in found]
    missing = [c.name for c in contract.required if _match(c.name, names) is None]
    if missing:
        raise FileUnreadable(
            f"{name}: required column {', '.join(missing)} is not in the file "
            f"(found: {', '.join(names) or 'no columns'}); the {contract.origin} contract needs it",
            hint="add the column to the file, or correct the contract",
        )
    fields = []
    for want in contract.columns:
        fields.append(
            Field(want.name, _match(want.name, names), want.type, want.required, want.format)
        )
    extra, refused = [], []
    for column, kind in found:
        if contract.get(column) is not None:
            continue
        if contract.strict:
            refused.append((column, kind))
        elif contract.keep_new:
            extra.append(Field(column, column, kind))
    if refused:
        raise not_in_strict_table(name, refused)
    if extra and not first:
        raise NewColumns(name)
    return fields + extra


def _match(want: str, names: list[str]) -> str | None:
    """The file's column for ``want``: same name, else the same ignoring case."""
    if want in names:
        return want
    return next((n for n in names if n.lower() == want.lower()), None)
