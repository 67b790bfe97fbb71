"""What parsing one file gave: rows staged for the table, rows for quarantine, and why.

The reasons are written here, whatever the format, so a bad value reads the same in a CSV
as in JSON: the column, the value as found, what was expected and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sluiceway.errors import SluicewayError

if TYPE_CHECKING:
    from sluiceway.ingest.files.contract import Contract

RAW_LIMIT = 64 * 1024
"""Characters of a bad row's raw text kept in quarantine (longer rows are cut, and say so)."""
VALUE_LIMIT = 80
"""Characters of a bad value quoted in a reason (the whole row is in ``raw``)."""
TEMPORAL = ("date", "timestamp", "timestamptz", "timestamp with time zone", "datetime")
"""Types whose values are parsed with a format (``date_format``, a column's ``format``)."""


class FileUnreadable(SluicewayError):
    """The file cannot be read at all (truncated archive, binary, not the declared format).

    The file is recorded ``failed`` with this message, a ``file.failed`` event is emitted, and
    the other files of the batch still load; the file stays in the landing zone.
    """


class NewColumns(Exception):
    """The file has columns the batch's earlier files did not: it starts the next batch.

    One commit has one schema, so a file that adds columns is loaded under the next batch
    number, where the lake adds them to the table (schema policy ``evolve``).
    """


@dataclass(frozen=True)
class Quarantined:
    """One bad row: where it was, which column failed, why, and its text as read."""

    line: int | None
    column: str | None
    reason: str
    raw: str | None

    @staticmethod
    def cut(raw: str | None, size: int | None = None) -> str | None:
        """``raw`` within :data:`RAW_LIMIT` characters, marked when cut.

        ``size``: the row's real length, when the reader already cut ``raw`` (DuckDB keeps
        the first 10,000 bytes of an over-long line), so the mark tells the truth.
        """
        if raw is None:
            return raw
        total = max(size or 0, len(raw))
        if total <= len(raw) <= RAW_LIMIT:
            return raw
        return f"{raw[:RAW_LIMIT]}… [cut: {total:,} characters in all]"


@dataclass(frozen=True)
class FileResult:
    """One file's outcome: ``rows_read = rows_loaded + rows_quarantined`` always holds."""

    rows_loaded: int
    quarantine: tuple[Quarantined, ...] = ()
    contract: Contract | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def rows_quarantined(self) -> int:
        """Rows sent to quarantine (one per bad row, whatever the number of bad fields)."""
        return len(self.quarantine)

    @property
    def rows_read(self) -> int:
        """Data rows the file holds (header aside)."""
        return self.rows_loaded + self.rows_quarantined


def shown(value: str) -> str:
    """``value`` quoted for a reason: NUL and control bytes made visible, long values cut."""
    text = value.encode("unicode_escape").decode("ascii") if not value.isprintable() else value
    if len(text) > VALUE_LIMIT:
        text = f"{text[:VALUE_LIMIT]}… ({len(value):,} characters)"
    return f'"{text}"'


def bad_value(column: str, value: str, kind: str, expected_format: str | None) -> str:
    """Why ``value`` could not be read as ``kind``, and what to do about it."""
    if "\0" in value:
        return nul_byte(column)
    if kind.lower() in TEMPORAL:
        option = "date_format" if kind.lower() == "date" else "timestamp_format"
        return (
            f"{column}: {shown(value)} is not a {kind.lower()} in the expected format "
            f"({expected_format or 'ISO 8601, e.g. 2024-01-31'}); if the file uses another "
            f"format, set format.{option} (or the contract column's format) to it, "
            "else correct the value"
        )
    return (
        f"{column}: {shown(value)} is not a valid {kind.lower()}; correct the value, or "
        "declare the column with a type that holds it (e.g. varchar) in the contract"
    )


def nul_byte(column: str) -> str:
    """A value holding a NUL byte: almost always a corrupt or binary file, never real text."""
    return (
        f"{column}: holds a NUL byte (\\x00), which text never contains: the file is "
        "corrupt or partly binary here; fix the file at its source and deliver it again"
    )


def not_encoded(column: str | None, encoding: str) -> str:
    """A value whose bytes are not valid in the declared encoding."""
    where = f"{column}: " if column else ""
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        return (
            f"{where}not valid UTF-8 (bytes of another encoding); if the file is Windows-1252 "
            "or latin-1 (ISO-8859-1), declare encoding: cp1252 or latin-1 in the source's format"
        )
    return f"{where}not valid {encoding}; declare the file's real encoding in the format"


def not_in_strict_table(name: str, columns: list[tuple[str, str]]) -> FileUnreadable:
    """A file with ``columns`` (name, type) that a strict table lacks: it fails, loading nothing.

    Dropping the columns would lose their values silently, and adding them is what
    ``strict`` forbids; the file stays in the landing zone for a decision.
    """
    listed = ", ".join(f"{column} ({kind.lower()})" for column, kind in columns)
    several = len(columns) > 1
    them = "them" if several else "it"
    return FileUnreadable(
        f"{name}: column{'s' if several else ''} {listed} {'are' if several else 'is'} not "
        "in the table, whose schema_policy is strict, so the file was not loaded",
        hint=f"set schema_policy: evolve on the table to add {them}, or remove {them} from "
        "the file (a contract without infer: true ignores the columns it does not list); "
        "then deliver the file again",
    )


def missing_required(columns: list[str]) -> str:
    """A row without a value in ``required`` columns."""
    return (
        f"required value missing in {', '.join(columns)}; the contract marks "
        f"{'it' if len(columns) == 1 else 'them'} required: fill the value at the source"
    )
