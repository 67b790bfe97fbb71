"""NDJSON and JSON-array files, parsed and cast by DuckDB, bad rows explained in Python.

DuckDB's ``read_json_objects`` streams a file record by record (NDJSON in parallel, within
the connection's memory limit); ``WITH ORDINALITY`` numbers the records, and with
``ignore_errors`` a line that is not JSON comes back as NULL in its place instead of
failing the file. Every value is pulled out as JSON (one parse per record, all the
columns' paths at once) and cast to its column's type with ``TRY_CAST``, so a value that
does not fit becomes a flag, not an error.

That gives two queries over the file: a ``COPY`` of the rows that pass to staging Parquet
(the good path, no Python per row), then a ``SELECT`` of the rows that do not, with their
record number, text and flags, which Python turns into quarantine rows. Both use the same
condition, so every record is staged or quarantined exactly once.

Record numbers skip blank lines; an NDJSON file with bad rows is read once more in Python
to turn them into line numbers and to fetch the text of lines that are not JSON (DuckDB
returns NULL for those). In a JSON array the record number is the item's 1-based index.

Without a contract, column types are inferred from the first :data:`SAMPLE` objects (as
DuckDB's sniffer does for CSV): a later value that does not fit is quarantined. Nested
objects and arrays are inferred as JSON; declare a STRUCT or LIST type to get them typed.
A key first seen after the sample is found by the quarantine query, and the file is then
staged again with it.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import duckdb
from sqlglot import exp

from sluiceway.engines.errors import QueryError
from sluiceway.errors import UsageError
from sluiceway.ingest.files.contract import Contract, inferred
from sluiceway.ingest.files.formats import Field, match_columns
from sluiceway.ingest.files.json_sql import (
    all_or_null,
    as_text,
    cast_field,
    format_of,
    has_key,
    inferred_type,
    is_nested,
    is_object,
    json_pointer,
    json_type,
    value_at,
)
from sluiceway.ingest.files.result import (
    FileResult,
    FileUnreadable,
    Quarantined,
    bad_value,
    missing_required,
)
from sluiceway.ingest.files.staged_rows import stage_judged
from sluiceway.ingest.files.staging import clear
from sluiceway.ingest.files.text import (
    AGAIN,
    DAMAGED,
    check_named,
    not_compressed,
    records_to_lines,
)
from sluiceway.ingest.files.unreadable import detail, file_at_fault
from sluiceway.spec.sources import text_codec

if TYPE_CHECKING:
    from sluiceway.lake.staged import Output
    from sluiceway.spec.sources import JsonFormat, NdjsonFormat

SAMPLE = 20_480
"""Objects read to infer the types of a file's keys (DuckDB's own default sample size)."""
PEEK = 64 * 1024
"""Bytes read (decompressed) to tell a text file from a binary or corrupt one."""
MAX_OBJECT = 256 * 1024 * 1024
"""Largest single record DuckDB will read (its default of 16 MB is easily exceeded)."""
NOT_JSON = "not valid JSON"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def stage_json(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    fmt: JsonFormat | NdjsonFormat,
    contract: Contract | None,
    output: Output,
    source: str,
    *,
    first: bool = True,
) -> FileResult:
    """Parse the NDJSON or JSON file at ``path`` and stage its good rows into ``output``.

    Arguments and errors as for
    :func:`~sluiceway.ingest.files.delimited.stage_delimited`.
    """
    if path.stat().st_size == 0:
        return FileResult(0, contract=contract, notes=("empty file",))
    if text_codec(fmt.encoding) not in ("utf-8", "utf-8-sig"):  # validation refuses it first
        raise UsageError(
            f"JSON files in encoding {fmt.encoding!r} cannot be read",
            hint="JSON is UTF-8: remove encoding from the format, or convert the files",
        )
    reader = _Reader(path, name, fmt)
    reader.check_text()
    given = contract
    try:
        keys = reader.infer(con)
        if contract is None:
            contract = inferred(keys)
        for _ in range(2):
            fields = match_columns(keys, contract, name, first=first)
            watch = [k for k, _ in keys] if _watch_keys(contract) else None
            loaded = stage_judged(con, reader.judged(fields), fields, output, source)
            bad, unseen = _bad(con, reader, fields, watch)
            if not unseen:
                break
            # A key the sample missed: type it from the rows that have it, then stage again.
            keys = keys + reader.infer(con, only=unseen)
            clear(Path(output.directory))
    except (duckdb.Error, QueryError) as exc:
        raise _unreadable(name, path, fmt, exc) from exc
    if not keys:
        contract = given  # nothing to infer from: the next file decides
    if loaded == 0 and bad and all(q.reason.startswith(NOT_JSON) for q in bad):
        raise FileUnreadable(
            f"{name}: no record is valid JSON: it is not {fmt.type.upper()}",
            hint=f"check that the glob selects only {fmt.type.upper()} files, or change format:",
        )
    notes = () if loaded or bad else ("no records",)
    return FileResult(loaded, tuple(bad), contract, notes)


_MALFORMED = re.compile(r"Malformed JSON .*?, (at byte \d+ in record/value \d+: .*)")


def _unreadable(
    name: str, path: Path, fmt: JsonFormat | NdjsonFormat, exc: BaseException
) -> FileUnreadable:
    """Why DuckDB could not read the file, plainly, naming it by its landing path."""
    found = detail(file_at_fault(exc), path, name)
    if "Unexpected end of GZIP stream" in found:
        return FileUnreadable(f"{name}: the gzip data is truncated", hint=AGAIN)
    malformed = _MALFORMED.search(found)
    if malformed:
        return FileUnreadable(
            f"{name}: malformed JSON {malformed[1].rstrip('.')}",
            hint="a JSON array cannot be split into records once broken: correct the file and "
            "deliver it again (or deliver one object per line, as ndjson)",
        )
    return FileUnreadable(
        f"{name}: cannot be read as {fmt.type.upper()}: {found}",
        hint=f"check that the file is {fmt.type.upper()}, or change format:",
    )


def _watch_keys(contract: Contract) -> bool:
    """Whether keys outside the contract matter (kept, or refused by a strict table)."""
    return contract.keep_new or contract.strict


class _Reader:
    """One file's ``read_json_objects`` scan, and the queries built on it."""

    def __init__(self, path: Path, name: str, fmt: JsonFormat | NdjsonFormat) -> None:
        self.path = path
        self.name = name
        self.fmt = fmt
        self.compression: str = fmt.compression
        if self.compression == "auto":
            self.compression = {".gz": "gzip", ".zst": "zstd"}.get(path.suffix, "none")

    @property
    def array(self) -> bool:
        return self.fmt.type == "json"

    def check_text(self) -> None:
        """Fail early, naming the file, when it is binary, corrupt, or not an array."""
        check_named(self.path, self.compression, self.name)
        broken: tuple[type[Exception], ...] = (OSError, ValueError)
        if self.compression == "zstd":
            import zstandard

            broken += (zstandard.ZstdError,)
        try:
            with self.binary() as stream:
                head = stream.read(PEEK)
        except gzip.BadGzipFile as exc:
            raise not_compressed(self.name) from exc
        except EOFError as exc:
            raise FileUnreadable(
                f"{self.name}: the {self.compression} data is truncated", hint=AGAIN
            ) from exc
        except broken as exc:
            raise FileUnreadable(
                f"{self.name}: the {self.compression} data is corrupt: {exc}", hint=DAMAGED
            ) from exc
        if b"\0" in head:
            kind = self.fmt.type.upper()
            raise FileUnreadable(
                f"{self.name}: it holds NUL bytes: not a text file",
                hint=f"check that the glob selects only {kind} files, or change format:",
            )
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if self.array and start and start != b"[":
            raise FileUnreadable(
                f"{self.name}: a JSON file must hold one array of objects, but it starts "
                f"with {start.decode(errors='replace')!r}; use format ndjson for one object "
                "per line"
            )

    @contextmanager
    def binary(self) -> Iterator[BinaryIO]:
        """The file's bytes, decompressed."""
        if self.compression == "gzip":
            stream: Any = gzip.open(self.path, "rb")  # noqa: SIM115 - closed by the with
        elif self.compression == "zstd":
            import zstandard

            raw = zstandard.ZstdDecompressor().stream_reader(self.path.open("rb"))
            stream = io.BufferedReader(raw)  # line iteration needs a buffered stream
        else:
            stream = self.path.open("rb")
        with stream:
            yield stream

    def scan(self) -> exp.Table:
        """``read_json_objects(…) WITH ORDINALITY``: columns ``json`` and ``ordinality``."""
        options: dict[str, exp.Expr] = {
            "format": exp.Literal.string("array" if self.array else "newline_delimited"),
            "compression": exp.Literal.string(self.compression),
            "maximum_object_size": exp.Literal.number(MAX_OBJECT),
        }
        if not self.array:
            options["ignore_errors"] = exp.true()
        args: list[exp.Expr] = [exp.Literal.string(str(self.path))]
        args += [exp.EQ(this=exp.var(k), expression=v) for k, v in options.items()]
        return exp.Table(this=exp.Anonymous(this="read_json_objects", expressions=args),
                         ordinality=True)  # fmt: skip

    def infer(
        self, con: duckdb.DuckDBPyConnection, only: list[str] | None = None
    ) -> list[tuple[str, str]]:
        """The keys of the first :data:`SAMPLE` objects (or those holding ``only``), typed."""
        condition = is_object(exp.column("json"))
        if only:
            condition = exp.and_(condition, exp.or_(*[has_key(k) for k in only]))
        sample = exp.select("json").from_(self.scan()).where(condition).limit(SAMPLE)
        query = exp.select(
            exp.Anonymous(this="json_group_structure", expressions=[exp.column("json")])
        ).from_(sample.subquery("sample"))
        rows = con.execute(query.sql("duckdb")).fetchall()
        row = rows[0] if rows else None
        structure = json.loads(row[0]) if row and row[0] else {}
        if not isinstance(structure, dict):
            return []
        keys = [(k, inferred_type(v)) for k, v in structure.items() if not only or k in only]
        strings = [k for k, kind in keys if kind == "VARCHAR"]
        if strings:
            temporal = self._temporal(con, sample, strings)
            keys = [(k, temporal.get(k, kind)) for k, kind in keys]
        return keys

    def _temporal(
        self, con: duckdb.DuckDBPyConnection, sample: exp.Select, keys: list[str]
    ) -> dict[str, str]:
        """String keys whose every sampled value is an ISO date or timestamp."""
        checks: list[exp.Expr] = []
        for key in keys:
            text = as_text(value_at(exp.column("json"), key))
            iso_date = exp.RegexpLike(this=text, expression=exp.Literal.string(_DATE.pattern))
            stamp = exp.TryCast(this=text, to=exp.DataType.build("TIMESTAMP")).is_(exp.null())
            checks.append(all_or_null(text, iso_date))
            checks.append(all_or_null(text, stamp.not_()))
        query = exp.select(*checks).from_(sample.subquery("s"))
        rows = con.execute(query.sql("duckdb")).fetchall()
        row = rows[0] if rows else None
        found: dict[str, str] = {}
        for i, key in enumerate(keys):
            if row and row[2 * i]:
                found[key] = "DATE"
            elif row and row[2 * i + 1]:
                found[key] = "TIMESTAMP"
        return found

    def judged(self, fields: list[Field]) -> exp.Select:
        """Every record with its typed values ``__sw_c<i>`` and the flag ``__sw_ok``.

        Each column's text is pulled out by its own ``json_extract_string`` (DuckDB inlines
        the subquery, so a list of all the columns' values would be extracted again at every
        use: measured 2.5 times slower); the checks are plain comparisons, since a call per
        value that parses JSON again (such as ``json_type``) costs more than the scan.
        """
        sourced = [(i, f) for i, f in enumerate(fields) if f.source is not None]
        nested = [i for i, f in sourced if is_nested(f.type)]
        raw = exp.column("json")
        columns: list[exp.Expr] = [
            exp.column("ordinality").as_("__sw_row"),
            raw.as_("__sw_raw"),
        ]
        for slot, (i, field) in enumerate(sourced):
            pointer = exp.Literal.string(json_pointer(field.source or ""))
            extracted = exp.Anonymous(this="json_extract_string", expressions=[raw, pointer])
            columns.append(extracted.as_(f"__sw_t{slot}"))
            if i in nested:
                nested_value = exp.Anonymous(this="json_extract", expressions=[raw, pointer])
                columns.append(nested_value.as_(f"__sw_n{slot}"))
        inner = exp.select(*columns).from_(self.scan())
        is_object = exp.Anonymous(
            this="starts_with",
            expressions=[exp.cast(exp.column("__sw_raw"), "VARCHAR"), exp.Literal.string("{")],
        )
        typed: list[exp.Expr] = [exp.column("__sw_row"), exp.column("__sw_raw")]
        checks: list[exp.Expr] = [is_object]
        for slot, (i, field) in enumerate(sourced):
            text: exp.Expr = exp.column(f"__sw_t{slot}")
            value: exp.Expr = exp.column(f"__sw_n{slot}") if i in nested else text
            typed += [
                cast_field(value, field, self.fmt).as_(f"__sw_c{i}"),
                text.as_(f"__sw_j{i}"),
            ]
            present = exp.column(f"__sw_j{i}").is_(exp.null()).not_()
            fits = exp.or_(present.not_(), exp.column(f"__sw_c{i}").is_(exp.null()).not_())
            checks.append(exp.Paren(this=fits))
            if field.required:
                checks.append(present)
        judged = exp.select(*typed, exp.and_(*checks).as_("__sw_ok"))
        return judged.from_(inner.subquery("src"))


def _bad(
    con: duckdb.DuckDBPyConnection,
    reader: _Reader,
    fields: list[Field],
    watch: list[str] | None,
) -> tuple[list[Quarantined], list[str]]:
    """The records that do not pass, explained; and keys no field covers (when watched)."""
    sourced = [i for i, f in enumerate(fields) if f.source is not None]
    outside: exp.Expr = exp.false()
    if watch is not None:
        known = exp.Array(expressions=[exp.Literal.string(k) for k in watch])
        keys = exp.Anonymous(this="json_keys", expressions=[exp.column("__sw_raw")])
        outside = exp.and_(
            is_object(exp.column("__sw_raw")),
            exp.Anonymous(this="list_has_all", expressions=[known, keys]).not_(),
        )
    columns: list[exp.Expr] = [
        exp.column("__sw_row"),
        exp.column("__sw_raw"),
        json_type(exp.column("__sw_raw")),
        exp.Paren(this=outside),
    ]
    for i in sourced:
        columns += [exp.column(f"__sw_c{i}"), exp.column(f"__sw_j{i}")]
    query = (
        exp.select(*columns)
        .from_(reader.judged(fields).subquery("judged"))
        .where(exp.or_(exp.column("__sw_ok").is_(exp.true()).not_(), exp.Paren(this=outside)))
        .order_by("__sw_row")
    )
    found: list[Quarantined] = []
    unseen: set[str] = set()
    for row in con.execute(query.sql("duckdb")).fetchall():
        number, raw, kind, new = row[0], row[1], row[2], row[3]
        if new:
            unseen.update(k for k in json.loads(raw) if k not in (watch or []))
        problems: list[str] = []
        failed: list[str] = []
        if raw is None:
            problems.append(f"{NOT_JSON}: fix the line so it holds one JSON object")
        elif kind != "OBJECT":
            problems.append(f"a JSON {str(kind).lower()}, not an object: each record must be one")
        else:
            empty = []
            for slot, i in enumerate(sourced):
                value, text = row[4 + 2 * slot], row[5 + 2 * slot]
                present = text is not None
                if present and value is None:
                    failed.append(fields[i].name)
                    problems.append(
                        bad_value(
                            fields[i].name,
                            str(text),
                            fields[i].type,
                            format_of(fields[i], reader.fmt),
                        )
                    )
                elif fields[i].required and not present:
                    empty.append(fields[i].name)
            if empty:
                failed += empty
                problems.append(missing_required(empty))
        if problems:
            found.append(Quarantined(int(number), ", ".join(failed) or None, "; ".join(problems),
                                     Quarantined.cut(raw)))  # fmt: skip
    if unseen:
        return found, sorted(unseen)
    if reader.array:
        return [_as_item(q) for q in found], []
    return _locate(reader, found), []


def _as_item(q: Quarantined) -> Quarantined:
    """A JSON array's bad record: its number is the item's index, and the reason says so."""
    return Quarantined(q.line, q.column, f"item {q.line} of the array: {q.reason}", q.raw)


def _locate(reader: _Reader, found: list[Quarantined]) -> list[Quarantined]:
    """Record numbers as line numbers, read once more only when the file has bad rows."""
    if not found:
        return []
    with reader.binary() as stream:
        return records_to_lines(stream, found)
