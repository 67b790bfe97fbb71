"""Rows DuckDB's CSV reader rejected, as quarantine rows with readable reasons.

The rejects table gives each bad record's byte offset, column, error type and DuckDB's
message; users get the physical line, the column, the value and what to do about it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from sqlglot import exp

from sluiceway.ingest.files.contract import Contract
from sluiceway.ingest.files.result import (
    Quarantined,
    bad_value,
    not_encoded,
    nul_byte,
)
from sluiceway.ingest.files.text import physical_lines

if TYPE_CHECKING:
    from sluiceway.spec.sources import CsvFormat, TsvFormat

_CAST = re.compile(r'Could not convert string "(?P<value>.*)" to', re.S)


_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


_SIZES = re.compile(r"line size of (\d+) bytes exceeded\. Actual Size:\s*(\d+)")


def rejected(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: Path,
    fmt: CsvFormat | TsvFormat,
    contract: Contract,
    encoding: str,
) -> list[Quarantined]:
    """One quarantine row per rejected record, at its physical line, its errors explained.

    ``encoding``: the file's declared encoding, named when its bytes are not valid in it
    (``fmt`` may be that of a UTF-8 copy of the file).
    """
    query = (
        exp.select("line", "line_byte_position", "column_name", "error_type", "csv_line",
                   "error_message")
        .from_(exp.to_table(table))
        .order_by("line", "column_idx")
    )  # fmt: skip
    by_record: dict[int, list[tuple[Any, ...]]] = {}
    for row in con.execute(query.sql("duckdb")).fetchall():
        by_record.setdefault(int(row[0]), []).append(row)
    if not by_record:
        return []
    offsets = [int(e[0][1]) for e in by_record.values() if e[0][1] is not None]
    lines = physical_lines(path, fmt, offsets) or {}
    found = []
    for record, errors in by_record.items():
        columns = [str(e[2]) for e in errors if e[2] is not None]
        reasons: dict[str, str] = {}  # one reason per error type (per column for values)
        for _, _, column, kind, raw, message in errors:
            key = f"{kind}:{column}" if kind == "CAST" else str(kind)
            if raw and "\0" in raw:
                key = "NUL"  # one NUL reason per row, whatever errors the NULs caused
            reason = _reason(str(kind), column, str(message), raw, fmt, contract, encoding)
            reasons.setdefault(key, reason)
        found.append(
            Quarantined(
                lines.get(errors[0][1], record),
                ", ".join(dict.fromkeys(columns)) or None,
                "; ".join(dict.fromkeys(reasons.values())),
                Quarantined.cut(_raw(errors[0][4]), _line_size(errors)),
            )
        )
    return found


def _raw(text: str | None) -> str | None:
    """The record's text; DuckDB starts it at the LF of a CRLF, which no record begins with."""
    return text.lstrip("\r\n") if text is not None else None


def _line_size(errors: list[tuple[Any, ...]]) -> int | None:
    """The real size of an over-long line (DuckDB's ``csv_line`` holds only its start)."""
    sizes = [_SIZES.search(str(e[5])) for e in errors if e[3] == "LINE SIZE OVER MAXIMUM"]
    return next((int(m[2]) for m in sizes if m is not None), None)


def _reason(
    kind: str,
    column: str | None,
    message: str,
    raw: str | None,
    fmt: CsvFormat | TsvFormat,
    contract: Contract,
    encoding: str,
) -> str:
    """A reader error as a user reads it: what is wrong, with which value, and what to do."""
    column = column or "the row"
    if raw and "\0" in raw:
        return nul_byte(column)
    if kind == "CAST":
        cast = _CAST.search(message)
        if cast is None:
            return f"{column}: {message}"
        declared = contract.get(column)
        kind = declared.type if declared is not None else "value of its type"
        return bad_value(column, cast["value"], kind, expected_format(fmt, contract, column))
    if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        counts = _COUNTS.search(message)
        many = kind == "TOO MANY COLUMNS"
        found = f": expected {counts[1]}, found {counts[2]}" if counts else ""
        return (
            f"too {'many' if many else 'few'} fields{found}; "
            + ("quote values that contain the delimiter" if many
               else "every row needs a field (possibly empty) for each column")
        )  # fmt: skip
    if kind == "UNQUOTED VALUE":
        spans = (raw or "").rstrip("\r\n").count("\n") + 1
        return (
            f"the quote opened in {column} is never closed, so the next quote (or the end of "
            f"the file) ends the value: {spans} line(s) were read as this one row, see raw; "
            'close the quote, or write a quote inside a quoted value as ""'
        )
    if kind == "LINE SIZE OVER MAXIMUM":
        sizes = _SIZES.search(message)
        limit = f" of {int(sizes[1]):,} bytes ({int(sizes[2]):,} bytes)" if sizes else ""
        return (
            f"line is longer than the reader's limit{limit}; check the file for a missing "
            "line break or quote, or split the value"
        )
    if kind in ("INVALID ENCODING", "INVALID UNICODE"):
        return not_encoded(column if column != "the row" else None, encoding)
    return f"{kind.lower()}: {message}"


def expected_format(fmt: CsvFormat | TsvFormat, contract: Contract, column: str) -> str | None:
    declared = contract.get(column)
    if declared is not None and declared.format:
        return declared.format
    kind = declared.type.lower() if declared is not None else "date"
    return fmt.date_format if kind == "date" else fmt.timestamp_format
