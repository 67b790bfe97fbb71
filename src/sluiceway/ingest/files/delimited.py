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

import codecs
import csv
import gzip
import io
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from sqlglot import exp

from sluiceway.engines.errors import QueryError
from sluiceway.errors import UsageError
from sluiceway.ingest.files.contract import Contract, inferred
from sluiceway.ingest.files.result import (
    TEMPORAL,
    FileResult,
    FileUnreadable,
    NewColumns,
    Quarantined,
    bad_value,
    missing_required,
    not_encoded,
    nul_byte,
)
from sluiceway.ingest.files.staging import publish

if TYPE_CHECKING:
    from sluiceway.lake.staged import Output
    from sluiceway.spec.sources import CsvFormat, TsvFormat

OK_FLAG = "__sw_complete"
"""Partition column splitting rows with every required value from the others."""
LOCATE_LIMIT = 512 * 1024 * 1024
"""Largest file re-read in Python to find the lines of bad rows."""
CHUNK = 8 * 1024 * 1024
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "latin-1": "latin-1", "latin1": "latin-1",
             "iso-8859-1": "latin-1", "utf-16": "utf-16"}  # fmt: skip
"""Encodings DuckDB's core reader decodes (others need an extension not shipped offline)."""

MAGIC = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}
"""First bytes of the archives DuckDB reads: a file named otherwise is refused, clearly."""
_CAST = re.compile(r'Could not convert string "(?P<value>.*)" to', re.S)
_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_SIZES = re.compile(r"line size of (\d+) bytes exceeded\. Actual Size:\s*(\d+)")
_AGAIN = "the file was cut short in transfer or while being written; deliver it again"


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
    options = _options(fmt)
    header = _header(path, fmt, name)
    if contract is None:
        contract = inferred(_infer(con, path, header, options))
    columns, projection, text = _columns(header, contract, name)
    if not first and len(projection) > len(contract.columns):
        raise NewColumns(name)
    rejects = f"__sw_rejects_{uuid.uuid4().hex[:12]}"
    options = {**options, **_formats(fmt, contract), **_reject_options(rejects)}
    scan = _read_csv(path, {**options, "columns": columns})
    select = exp.select(*projection, *_constants(output, source)).from_(scan)
    required = [c.name for c in contract.required if _present(c.name, header)]
    try:
        if not required and not text:
            incomplete: list[dict[str, Any]] = []
            loaded = _copy(con, select, output)
        else:
            loaded, incomplete = _copy_split(con, select, output, required, text)
        bad = _rejected(con, rejects, path, fmt, contract)
    except (duckdb.Error, QueryError) as exc:
        raise _unreadable(name, fmt, exc) from exc
    finally:
        for table in (rejects, f"{rejects}_scan"):
            con.execute(
                exp.Drop(tables=[exp.to_table(table)], kind="TABLE", exists=True).sql("duckdb")
            )
    missing = _incomplete(path, fmt, required, text, incomplete, {q.line for q in bad})
    quarantine = sorted([*bad, *missing], key=lambda q: (q.line is None, q.line or 0))
    return FileResult(loaded, tuple(quarantine), contract)


def _unreadable(name: str, fmt: CsvFormat | TsvFormat, exc: BaseException) -> FileUnreadable:
    """The reader's failure as a message naming the file, the problem and what to do."""
    cause = exc.__cause__ if isinstance(exc, QueryError) else exc
    if isinstance(cause, duckdb.OutOfMemoryException) or not isinstance(cause, duckdb.Error):
        raise exc  # not the file's fault: the step fails (and may be retried)
    text = str(cause)
    if "Unexpected end of GZIP stream" in text:
        return FileUnreadable(f"{name}: the gzip data is truncated", hint=_AGAIN)
    if "not a GZIP stream" in text:
        return _not_compressed(name)
    if "state machine reached an invalid state" in text:
        return FileUnreadable(
            f"{name}: cannot be parsed as {fmt.type.upper()} (is it a text file?)",
            hint="check the file, and that format.delimiter, quote and escape match it",
        )
    return FileUnreadable(f"{name}: {_first_line(cause)}", hint="check the file's format")


def _not_compressed(name: str) -> FileUnreadable:
    return FileUnreadable(
        f"{name} is not gzip-compressed although its name ends in .gz",
        hint="rename it without .gz, or set format.compression: none",
    )


def _options(fmt: CsvFormat | TsvFormat) -> dict[str, exp.Expr]:
    """``read_csv`` options from the step's format (everything explicit: no sniffing)."""
    encoding = ENCODINGS.get(fmt.encoding.lower())
    if encoding is None:
        raise UsageError(
            f"files in encoding {fmt.encoding!r} cannot be read",
            hint="convert them to UTF-8, or declare utf-8, latin-1 or utf-16",
        )
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


def _expected_format(fmt: CsvFormat | TsvFormat, contract: Contract, column: str) -> str | None:
    declared = contract.get(column)
    if declared is not None and declared.format:
        return declared.format
    kind = declared.type.lower() if declared is not None else "date"
    return fmt.date_format if kind == "date" else fmt.timestamp_format


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
    compression = _compression(path, fmt)
    with path.open("rb") as raw:
        kind = next((k for m, k in MAGIC.items() if raw.read(4).startswith(m)), None)
    if kind is not None and compression == "none":
        raise FileUnreadable(
            f"{name} is {kind}-compressed but its name does not say so",
            hint=f"rename it to end in .{'gz' if kind == 'gzip' else 'zst'}, "
            f"or set format.compression: {kind}",
        )
    if compression == "zstd":
        _check_zstd(path, name)
    try:
        with _text(path, fmt) as stream:
            first = next(_reader(stream, fmt), None)
    except gzip.BadGzipFile as exc:
        raise _not_compressed(name) from exc
    except EOFError as exc:
        raise FileUnreadable(f"{name}: the {compression} data is truncated", hint=_AGAIN) from exc
    except (OSError, UnicodeError, csv.Error) as exc:
        raise FileUnreadable(f"{name}: cannot read it as delimited text: {exc}") from exc
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


def _reader(stream: Any, fmt: CsvFormat | TsvFormat) -> Any:
    """Python's csv reader set up as DuckDB's (quote, and escape when it is not the quote)."""
    if fmt.type == "tsv":
        return csv.reader(stream, delimiter="\t", quotechar='"')
    if fmt.escape != fmt.quote:
        return csv.reader(
            stream, delimiter=fmt.delimiter, quotechar=fmt.quote, escapechar=fmt.escape,
            doublequote=False,
        )  # fmt: skip
    return csv.reader(stream, delimiter=fmt.delimiter, quotechar=fmt.quote)


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
    for column, kind in header:
        declared = contract.get(column)
        if declared is not None:
            kind = declared.type
        elif contract.origin == "declared" and not contract.keep_new:
            kind = "VARCHAR"
        elif contract.origin == "frozen" and not contract.keep_new:
            raise FileUnreadable(
                f"{name}: column {column!r} is not in the table, whose schema policy is "
                "strict; add it to the table (or a contract) before loading this file"
            )
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


def _constants(output: Output, source: str) -> list[exp.Expr]:
    from sluiceway.engines.duckdb.literals import literal

    values = [(n, v) for n, v in output.constants if n != "_sw_source"]
    found = [literal(v).as_(n, quoted=True) for n, v in values]
    return [*found, exp.Literal.string(source).as_("_sw_source", quoted=True)]


def _copy(con: duckdb.DuckDBPyConnection, select: exp.Select, output: Output) -> int:
    from sluiceway.engines.duckdb.write import write_parquet

    return write_parquet(con, _partition_last(select, output.partition_by), output)


def _partition_last(select: exp.Select, partition_by: tuple[str, ...]) -> exp.Select:
    """``select`` with the table's partition columns moved last, as staged files need."""
    if not partition_by:
        return select
    names = [e.alias_or_name for e in select.expressions]
    missing = [c for c in partition_by if c not in names]
    if missing:
        raise FileUnreadable(f"the file has no column {', '.join(missing)} to partition by")
    keep = [e for e in select.expressions if e.alias_or_name not in partition_by]
    last = [next(e for e in select.expressions if e.alias_or_name == c) for c in partition_by]
    return select.select(*keep, *last, append=False)


def _copy_split(
    con: duckdb.DuckDBPyConnection,
    select: exp.Select,
    output: Output,
    required: list[str],
    text: list[str],
) -> tuple[int, list[dict[str, Any]]]:
    """Stage complete rows; return how many, and the others' values (one scan).

    A row is incomplete when a required column is null or a text column holds a NUL byte.
    """
    nul = exp.func("chr", exp.Literal.number(0))
    checks = [exp.column(c, quoted=True).is_(exp.null()).not_() for c in required]
    checks += [
        exp.func(
            "coalesce", exp.func("contains", exp.column(c, quoted=True), nul), exp.false()
        ).not_()
        for c in text
    ]
    flagged = select.select(exp.and_(*checks).as_(OK_FLAG, quoted=True))
    split = Path(output.directory) / f"__sw_split_{uuid.uuid4().hex[:8]}"
    split.mkdir()
    partitioned = replace(
        output, directory=str(split), partition_by=(OK_FLAG, *output.partition_by)
    )
    try:
        written = _copy(con, _flag_first(flagged, output.partition_by), partitioned)
        publish(split / f"{OK_FLAG}=true", Path(output.directory))
        values = _read_incomplete(con, split / f"{OK_FLAG}=false")
    finally:
        shutil.rmtree(split, ignore_errors=True)
    return written - len(values), values


def _incomplete(
    path: Path,
    fmt: CsvFormat | TsvFormat,
    required: list[str],
    text: list[str],
    values: list[dict[str, Any]],
    rejected: set[int | None],
) -> list[Quarantined]:
    """Quarantine rows for the incomplete rows, located by line when the two parsers agree."""
    if not values:
        return []
    if path.stat().st_size <= LOCATE_LIMIT:
        try:
            located = _locate(path, fmt, required, text, rejected)
        except (OSError, EOFError, csv.Error):
            located = None
        if located is not None and len(located) == len(values):
            return located
    found = []
    for row in values:
        empty = [c for c in required if row.get(c) is None]
        nul = [c for c in text if "\0" in str(row.get(c) or "")]
        reasons = [nul_byte(c) for c in nul] + ([missing_required(empty)] if empty else [])
        found.append(
            Quarantined(None, ", ".join([*nul, *empty]),
                        f"{'; '.join(reasons)} (line not located)", Quarantined.cut(repr(row)))
        )  # fmt: skip
    return found


def _flag_first(select: exp.Select, partition_by: tuple[str, ...]) -> exp.Select:
    """The flag column before the table's partition columns (partition order)."""
    moved = _partition_last(select, partition_by)
    keep = [e for e in moved.expressions if e.alias_or_name != OK_FLAG]
    data = [e for e in keep if e.alias_or_name not in partition_by]
    parts = [e for e in keep if e.alias_or_name in partition_by]
    flag = next(e for e in moved.expressions if e.alias_or_name == OK_FLAG)
    return moved.select(*data, flag, *parts, append=False)


def _read_incomplete(con: duckdb.DuckDBPyConnection, folder: Path) -> list[dict[str, Any]]:
    if not folder.exists():
        return []
    files = sorted(str(p) for p in folder.rglob("*.parquet"))
    if not files:
        return []
    scan = exp.Anonymous(
        this="read_parquet",
        expressions=[exp.Array(expressions=[exp.Literal.string(f) for f in files])],
    )
    relation = con.sql(exp.select("*").from_(scan).sql("duckdb"))
    names = relation.columns
    return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


def _locate(
    path: Path,
    fmt: CsvFormat | TsvFormat,
    required: list[str],
    text: list[str],
    rejected: set[int | None],
) -> list[Quarantined] | None:
    """The rows with an empty required field or a NUL in a text field, read with Python's csv.

    Lines DuckDB rejected are left out (they are quarantined for that already). The caller
    compares the count with DuckDB's: when the two parsers disagree on this file the rows
    are quarantined without line numbers rather than with wrong ones.
    """
    nulls = set(fmt.null_values)
    found: list[Quarantined] = []
    with _text(path, fmt) as stream:
        delimiter = "\t" if fmt.type == "tsv" else fmt.delimiter
        reader = _reader(stream, fmt)
        names = next(reader, None) if fmt.header else None
        if names is None and fmt.header:
            return None
        end = reader.line_num  # the line the previous record ended on
        for row in reader:
            line, end = end + 1, reader.line_num
            if names is None:
                names = [f"column{i}" for i in range(len(row))]
            if len(row) != len(names) or line in rejected:
                continue
            field = {n.strip().lower(): v for n, v in zip(names, row, strict=True)}
            empty = [c for c in required if field.get(c.lower(), "") in nulls]
            nul = [c for c in text if "\0" in field.get(c.lower(), "")]
            if empty or nul:
                reasons = [nul_byte(c) for c in nul] + ([missing_required(empty)] if empty else [])
                found.append(Quarantined(line, ", ".join([*nul, *empty]), "; ".join(reasons),
                                         Quarantined.cut(delimiter.join(row))))  # fmt: skip
    return found


def _compression(path: Path, fmt: CsvFormat | TsvFormat) -> str:
    if fmt.compression != "auto":
        return fmt.compression
    return {".gz": "gzip", ".zst": "zstd"}.get(path.suffix, "none")


@contextmanager
def _binary(path: Path, fmt: CsvFormat | TsvFormat) -> Iterator[Any]:
    """The file's bytes, decompressed."""
    compression = _compression(path, fmt)
    if compression == "gzip":
        binary: Any = gzip.open(path, "rb")  # noqa: SIM115 - closed by the with below
    elif compression == "zstd":
        import zstandard

        binary = zstandard.ZstdDecompressor().stream_reader(path.open("rb"), closefd=True)
    else:
        binary = path.open("rb")
    with binary:
        yield binary


@contextmanager
def _text(path: Path, fmt: CsvFormat | TsvFormat) -> Iterator[io.TextIOBase]:
    encoding = ENCODINGS.get(fmt.encoding.lower(), "utf-8")
    if encoding == "utf-8":
        encoding = "utf-8-sig"  # a byte-order mark is not part of the first column's name
    with (
        _binary(path, fmt) as binary,
        io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="") as text,
    ):
        yield text


def _check_zstd(path: Path, name: str) -> None:
    """Refuse a zstd file whose last frame is cut: DuckDB reads it as empty, losing it all."""
    import zstandard

    decompressor = zstandard.ZstdDecompressor().decompressobj()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            while chunk:
                if decompressor.eof:  # a new frame follows the one just finished
                    decompressor = zstandard.ZstdDecompressor().decompressobj()
                try:
                    decompressor.decompress(chunk)
                except zstandard.ZstdError as exc:
                    raise FileUnreadable(f"{name}: the zstd data is corrupt: {exc}") from exc
                chunk = decompressor.unused_data if decompressor.eof else b""
    if not decompressor.eof:
        raise FileUnreadable(f"{name}: the zstd data is truncated", hint=_AGAIN)


def _physical_lines(
    path: Path, fmt: CsvFormat | TsvFormat, offsets: list[int]
) -> dict[int, int] | None:
    """Line number of each of DuckDB's (1-based) record byte offsets, by counting breaks.

    DuckDB's offsets are in the decompressed text as it parses it, i.e. after converting a
    non-UTF-8 file to UTF-8, so the same conversion is applied here. None for files too
    large to read again, or unreadable past the point DuckDB reached.
    """
    if path.stat().st_size > LOCATE_LIMIT:
        return None
    encoding = ENCODINGS.get(fmt.encoding.lower(), "utf-8")
    decoder = None if encoding == "utf-8" else codecs.getincrementaldecoder(encoding)("replace")
    wanted = sorted(set(offsets))
    found: dict[int, int] = {}
    start = breaks = 0
    try:
        with _binary(path, fmt) as binary:
            while wanted and (chunk := binary.read(CHUNK)):
                if decoder is not None:
                    chunk = decoder.decode(chunk).encode("utf-8")
                while wanted and wanted[0] <= start + len(chunk):
                    offset = wanted.pop(0)
                    found[offset] = 1 + breaks + chunk.count(b"\n", 0, max(offset - start, 0))
                breaks += chunk.count(b"\n")
                start += len(chunk)
    except (OSError, EOFError):
        return None
    return found


def _rejected(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: Path,
    fmt: CsvFormat | TsvFormat,
    contract: Contract,
) -> list[Quarantined]:
    """One quarantine row per rejected record, at its physical line, its errors explained."""
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
    lines = _physical_lines(path, fmt, offsets) or {}
    found = []
    for record, errors in by_record.items():
        columns = [str(e[2]) for e in errors if e[2] is not None]
        reasons: dict[str, str] = {}  # one reason per error type (per column for values)
        for _, _, column, kind, raw, message in errors:
            key = f"{kind}:{column}" if kind == "CAST" else str(kind)
            if raw and "\0" in raw:
                key = "NUL"  # one NUL reason per row, whatever errors the NULs caused
            reasons.setdefault(key, _reason(str(kind), column, str(message), raw, fmt, contract))
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
        return bad_value(column, cast["value"], kind, _expected_format(fmt, contract, column))
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
        return not_encoded(column if column != "the row" else None, fmt.encoding)
    return f"{kind.lower()}: {message}"


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
