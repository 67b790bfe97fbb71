"""CSV and TSV files, parsed by DuckDB's CSV reader, bad rows caught by its rejects tables.

One scan per file does everything: DuckDB parses and casts every row to the contract's
types and writes the good rows straight to staging Parquet (the same ``COPY … TO`` the DuckDB
engine uses), while every row it cannot parse or cast — ragged, unbalanced quotes, a value
that is not the column's type, invalid UTF-8, a line over the size limit — is recorded in
a rejects table with its line number, column, error and raw text. Those become quarantine
rows.

Rows with no value in a ``required`` column parse fine, so they are split off in the same
scan: the ``COPY`` partitions its output by a "row is complete" flag, the complete rows are
published as staged files and the others are read back for quarantine. Their line numbers
are then found by reading that file once more with Python's ``csv`` module (only files that
have such rows, up to :data:`LOCATE_LIMIT` bytes); beyond that they are quarantined with
their values and no line number.

All columns are always read and cast, even those the table drops: DuckDB only casts the
columns a query uses, and a row must be judged the same way whatever is projected. A text
value holding a NUL byte is split off with the incomplete rows: it is never real text.

Quarantine lines are physical lines (header = 1): DuckDB counts records, so its byte
offset of each rejected record is turned into a line number by counting line breaks. A quote
that is never closed makes the rest of the file (up to the next quote) part of one value:
that is what CSV means, so the row is quarantined with all of it as its raw text.
"""

from __future__ import annotations

import csv
import gzip
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from sqlglot import exp

from sluiceway.engines.errors import QueryError
from sluiceway.errors import UsageError
from sluiceway.ingest.files.contract import Contract, inferred
from sluiceway.ingest.files.csv_rejects import rejected
from sluiceway.ingest.files.csv_required import copy_checked, quarantine_incomplete
from sluiceway.ingest.files.result import (
    TEMPORAL,
    FileResult,
    FileUnreadable,
    NewColumns,
    not_in_strict_table,
)
from sluiceway.ingest.files.staged_rows import constants, copy_rows
from sluiceway.ingest.files.staging import clear
from sluiceway.ingest.files.text import (
    AGAIN,
    check_named,
    check_zstd,
    compression_of,
    csv_reader,
    duckdb_encoding,
    not_compressed,
    open_text,
    readable,
)
from sluiceway.ingest.files.unreadable import detail, file_at_fault

if TYPE_CHECKING:
    from sluiceway.lake.staged import Output
    from sluiceway.spec.sources import CsvFormat, TsvFormat


def stage_delimited(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    fmt: CsvFormat | TsvFormat,
    contract: Contract | None,
    output: Output,
    source: str,
    *,
    first: bool = True,
) -> FileResult:
    """Parse the file at ``path`` and stage its good rows into ``output``.

    Args:
        con: the connection to parse on (its memory limit and threads apply).
        path: a local copy of the file.
        name: the file as users know it (landing-relative path), for messages.
        fmt: the step's format options.
        contract: the columns to expect; None to infer them from this file.
        output: where staged Parquet goes (its constants are the lineage columns).
        source: this file's ``_sw_source`` value.
        first: no other file is staged in this batch yet (see below).

    Raises:
        NewColumns: not ``first``, and the file has columns the contract keeps but does not
            list: it must start a batch of its own.
        FileUnreadable: the file cannot be parsed at all, or lacks a required column.
    """
    if path.stat().st_size == 0:
        return FileResult(0, contract=contract, notes=("empty file",))
    header = _header(path, fmt, name)
    with readable(path, fmt, name) as (text_path, text_fmt):
        return _stage(
            con, text_path, name, text_fmt, header, contract, output, source, first, fmt.encoding
        )


def _stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    fmt: CsvFormat | TsvFormat,
    header: list[tuple[str, str]],
    contract: Contract | None,
    output: Output,
    source: str,
    first: bool,
    encoding: str,
) -> FileResult:
    """:func:`stage_delimited` on a file DuckDB decodes (``encoding``: the declared one)."""
    options = _options(fmt)
    given = contract
    if contract is None:
        contract = inferred(_infer(con, path, header, options))
    columns, projection, text = _columns(header, contract, name)
    if not first and len(projection) > len(contract.columns):
        raise NewColumns(name)
    rejects = f"__sw_rejects_{uuid.uuid4().hex[:12]}"
    options = {**options, **_formats(fmt, contract), **_reject_options(rejects)}
    scan = _read_csv(path, {**options, "columns": columns})
    select = exp.select(*projection, *constants(output, source)).from_(scan)
    required = [c.name for c in contract.required if _present(c.name, header)]
    try:
        if not required and not text:
            incomplete: list[dict[str, Any]] = []
            loaded = copy_rows(con, select, output)
        else:

            def forget_rejects() -> None:  # the file is scanned again: keep one scan's rejects
                for table in (rejects, f"{rejects}_scan"):
                    con.execute(exp.Delete(this=exp.to_table(table)).sql("duckdb"))

            loaded, incomplete = copy_checked(con, select, output, required, text, forget_rejects)
        bad = rejected(con, rejects, path, fmt, contract, encoding)
    except (duckdb.Error, QueryError) as exc:
        raise _unreadable(name, path, fmt, exc) from exc
    finally:
        for table in (rejects, f"{rejects}_scan"):
            con.execute(
                exp.Drop(tables=[exp.to_table(table)], kind="TABLE", exists=True).sql("duckdb")
            )
    missing = quarantine_incomplete(path, fmt, required, text, incomplete, {q.line for q in bad})
    quarantine = sorted([*bad, *missing], key=lambda q: (q.line is None, q.line or 0))
    if given is None and not loaded and not quarantine:
        # A header and no rows: nothing to tell the types by (the sniffer says text), so the
        # next file decides, as after an empty file; its empty staged file would have
        # created the table with text columns.
        clear(Path(output.directory))
        return FileResult(0, notes=("no rows",))
    return FileResult(loaded, tuple(quarantine), contract)


_CHECK_DELIMITED = (
    "check that the file is delimited text and that format.delimiter, quote and escape match "
    "it, or change format:"
)


def _unreadable(
    name: str, path: Path, fmt: CsvFormat | TsvFormat, exc: BaseException
) -> FileUnreadable:
    """The reader's failure as a message naming the file, the problem and what to do."""
    cause = file_at_fault(exc)
    text = str(cause)
    if "Unexpected end of GZIP stream" in text:
        return FileUnreadable(f"{name}: the gzip data is truncated", hint=AGAIN)
    if "not a GZIP stream" in text:
        return not_compressed(name)
    if "state machine reached an invalid state" in text:
        return FileUnreadable(
            f"{name}: cannot be parsed as {fmt.type.upper()} (is it a text file?)",
            hint=_CHECK_DELIMITED,
        )
    return FileUnreadable(
        f"{name}: cannot be read as {fmt.type.upper()}: {detail(cause, path, name)}",
        hint=_CHECK_DELIMITED,
    )


def _options(fmt: CsvFormat | TsvFormat) -> dict[str, exp.Expr]:
    """``read_csv`` options from the step's format (everything explicit: no sniffing)."""
    encoding = duckdb_encoding(fmt)
    assert encoding is not None, "read through readable(), which converts other encodings"
    delimiter = "\t" if fmt.type == "tsv" else fmt.delimiter
    options: dict[str, exp.Expr] = {
        "header": exp.Boolean(this=fmt.header),
        "delim": exp.Literal.string(delimiter),
        "nullstr": exp.Array(expressions=[exp.Literal.string(v) for v in fmt.null_values]),
        "encoding": exp.Literal.string(encoding),
        "compression": exp.Literal.string(fmt.compression if fmt.compression != "none" else "none"),
        "auto_detect": exp.false(),
    }
    if fmt.type == "csv":
        options["quote"] = exp.Literal.string(fmt.quote)
        options["escape"] = exp.Literal.string(fmt.escape)
    if fmt.date_format:
        options["dateformat"] = exp.Literal.string(fmt.date_format)
    if fmt.timestamp_format:
        options["timestampformat"] = exp.Literal.string(fmt.timestamp_format)
    return options


def _formats(fmt: CsvFormat | TsvFormat, contract: Contract) -> dict[str, exp.Expr]:
    """``dateformat``/``timestampformat`` from the format or the contract columns' formats.

    DuckDB's reader takes one format per kind and file, so differing formats are refused
    rather than silently applied to the wrong column.
    """
    found: dict[str, exp.Expr] = {}
    for option, given, kinds in (
        ("dateformat", fmt.date_format, ("date",)),
        ("timestampformat", fmt.timestamp_format, TEMPORAL[1:]),
    ):
        formats = {given} if given else set()
        formats |= {c.format for c in contract.columns if c.format and c.type.lower() in kinds}
        if len(formats) > 1:
            raise UsageError(
                f"the {kinds[0]} columns declare different formats ({', '.join(sorted(formats))})",
                hint="one format per file applies to all of them: use one, or load the "
                "columns as varchar and parse them in a transform",
            )
        if formats:
            found[option] = exp.Literal.string(formats.pop())
    return found


def _reject_options(table: str) -> dict[str, exp.Expr]:
    return {
        "store_rejects": exp.true(),
        "rejects_table": exp.Literal.string(table),
        "rejects_scan": exp.Literal.string(f"{table}_scan"),
    }


def _read_csv(path: Path, options: dict[str, Any]) -> exp.Expr:
    args: list[exp.Expr] = [exp.Literal.string(str(path))]
    args += [exp.EQ(this=exp.var(key), expression=value) for key, value in options.items()]
    return exp.Anonymous(this="read_csv", expressions=args)


def _header(path: Path, fmt: CsvFormat | TsvFormat, name: str) -> list[tuple[str, str]]:
    """The file's column names (its first record, or ``column0…`` without a header)."""
    compression = compression_of(path, fmt)
    check_named(path, compression, name)
    if compression == "zstd":
        check_zstd(path, name)
    try:
        with open_text(path, fmt) as stream:
            first = next(csv_reader(stream, fmt), None)
    except gzip.BadGzipFile as exc:
        raise not_compressed(name) from exc
    except EOFError as exc:
        raise FileUnreadable(f"{name}: the {compression} data is truncated", hint=AGAIN) from exc
    except (OSError, UnicodeError, csv.Error) as exc:
        raise FileUnreadable(
            f"{name}: cannot read its first line as delimited text: {detail(exc, path, name)}",
            hint=_CHECK_DELIMITED,
        ) from exc
    if not first:
        raise FileUnreadable(f"{name}: the first line is empty: no columns to read")
    if any("\0" in field for field in first):
        raise FileUnreadable(
            f"{name}: the first line holds NUL bytes: not a text file",
            hint="check that the glob selects only delimited text files",
        )
    if not fmt.header:
        return [(f"column{i}", "VARCHAR") for i in range(len(first))]
    names = [field.strip() for field in first]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates or any(not n for n in names):
        problem = f"repeats {', '.join(duplicates)}" if duplicates else "has an empty name"
        raise FileUnreadable(f"{name}: the header {problem}; every column needs its own name")
    return [(n, "VARCHAR") for n in names]


def _infer(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header: list[tuple[str, str]],
    options: dict[str, Any],
) -> list[tuple[str, str]]:
    """The types DuckDB's sniffer reads the file's columns as (text where it cannot tell)."""
    detect = {k: v for k, v in options.items() if k != "auto_detect"}
    query = exp.Describe(this=exp.select("*").from_(_read_csv(path, detect)))
    try:
        found = [(str(r[0]), str(r[1])) for r in con.execute(query.sql("duckdb")).fetchall()]
    except duckdb.Error:
        return header
    if [n for n, _ in found] != [n for n, _ in header]:
        return header
    return found


def _present(column: str, header: list[tuple[str, str]]) -> bool:
    return any(_same(column, h) for h, _ in header)


def _same(a: str, b: str) -> bool:
    return a == b or a.lower() == b.lower()


def _columns(
    header: list[tuple[str, str]], contract: Contract, name: str
) -> tuple[exp.Struct, list[exp.Expr], list[str]]:
    """The ``columns`` struct in file order, the projection in table order, its text columns.

    Every file column is read with a type (its contract type, its inferred type, or text)
    so every row is judged the same; the projection then keeps the contract's columns (a
    missing optional one as NULL) and, when the contract keeps new columns, the others.
    """
    missing = [c.name for c in contract.required if not _present(c.name, header)]
    if missing:
        found = ", ".join(h for h, _ in header)
        guess = next((d for d in ";|\t," if len(header) == 1 and d in found), None)
        raise FileUnreadable(
            f"{name}: required column {', '.join(missing)} is not in the file "
            f"(found: {found}); the {contract.origin} contract needs it",
            hint=f"the header is one field: set format.delimiter to {guess!r}"
            if guess
            else "add the column to the file, or correct the contract",
        )
    types: list[exp.PropertyEQ] = []
    extra: list[exp.Expr] = []
    text: list[str] = []
    refused = [(c, k) for c, k in header if contract.strict and contract.get(c) is None]
    if refused:
        raise not_in_strict_table(name, refused)
    for column, kind in header:
        declared = contract.get(column)
        if declared is not None:
            kind = declared.type
        elif not contract.keep_new:
            kind = "VARCHAR"  # read (every row is judged the same), but not kept
        else:
            extra.append(exp.column(column, quoted=True))
        types.append(
            exp.PropertyEQ(this=exp.Literal.string(column), expression=exp.Literal.string(kind))
        )
        if kind.lower().split("(")[0] in ("varchar", "text", "string"):
            text.append(declared.name if declared is not None else column)
    projection: list[exp.Expr] = []
    for want in contract.columns:
        match = next((h for h, _ in header if _same(want.name, h)), None)
        if match is None:
            cast = exp.cast(exp.null(), exp.DataType.build(want.type, dialect="duckdb"))
            projection.append(cast.as_(want.name, quoted=True))
        else:
            projection.append(exp.column(match, quoted=True).as_(want.name, quoted=True))
    kept = {e.alias_or_name for e in projection + extra}
    return exp.Struct(expressions=types), projection + extra, [t for t in text if t in kept]
