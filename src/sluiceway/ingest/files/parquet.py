"""Parquet files, read and cast by DuckDB row group by row group, bad rows explained in Python.

The schema is in the file, so there is nothing to sniff: its columns are matched onto the
contract (as for every format) and each is cast with ``TRY_CAST`` to its column's type, a
value that does not fit becoming a flag rather than an error. A ``COPY`` stages the rows
that pass; a ``SELECT`` with the opposite condition returns the others, numbered by
DuckDB's ``file_row_number`` and serialised as JSON for quarantine. Both stream the file by
row group, so memory is bounded by the largest row group, not by the file.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import duckdb
from sqlglot import exp

from sluiceway.engines.errors import QueryError
from sluiceway.ingest.files.contract import Contract, inferred
from sluiceway.ingest.files.formats import Field, match_columns
from sluiceway.ingest.files.result import (
    FileResult,
    FileUnreadable,
    Quarantined,
    bad_value,
    missing_required,
)
from sluiceway.ingest.files.staged_rows import stage_judged
from sluiceway.ingest.files.text import DAMAGED
from sluiceway.ingest.files.unreadable import detail, file_at_fault

if TYPE_CHECKING:
    from pathlib import Path

    from sluiceway.lake.staged import Output

ROW = "__sw_row"
_READING = re.compile(r'^Failed to read file "[^"]*": ')
_TEXT = exp.DataType.TEXT_TYPES
_TEMPORAL = {exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPTZ}


def stage_parquet(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    contract: Contract | None,
    output: Output,
    source: str,
    *,
    first: bool = True,
) -> FileResult:
    """Read the Parquet file at ``path`` and stage its good rows into ``output``.

    Arguments and errors as for
    :func:`~sluiceway.ingest.files.delimited.stage_delimited` (Parquet has no options).
    """
    if path.stat().st_size == 0:
        return FileResult(0, contract=contract, notes=("empty file",))
    try:
        found = _schema(con, path)
        if contract is None:
            contract = inferred(found)
        fields = match_columns(found, contract, name, first=first)
        types = dict(found)
        judged = _judged(path, fields, types)
        loaded = stage_judged(con, judged, fields, output, source)
        bad = _bad(con, judged, fields)
    except (duckdb.Error, QueryError) as exc:
        raise _unreadable(name, path, exc) from exc
    return FileResult(loaded, tuple(bad), contract)


def _unreadable(name: str, path: Path, exc: BaseException) -> FileUnreadable:
    """Why DuckDB could not read the file, plainly, naming it by its landing path."""
    found = _READING.sub("", detail(file_at_fault(exc), path, name))
    if any(s in found for s in ("No magic bytes", "too small to be a Parquet", "Footer length")):
        return FileUnreadable(
            f"{name} is not a Parquet file (it does not end with a Parquet footer)",
            hint="check the file is Parquet (or change format:); if it was cut short in "
            "transfer, deliver it again",
        )
    return FileUnreadable(f"{name}: its Parquet data cannot be read ({found})", hint=DAMAGED)


def _scan(path: Path) -> exp.Expr:
    option = exp.EQ(this=exp.var("file_row_number"), expression=exp.true())
    return exp.Anonymous(this="read_parquet", expressions=[exp.Literal.string(str(path)), option])


def _schema(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[str, str]]:
    """The file's columns and their DuckDB types (from its footer: no data is read)."""
    query = exp.Describe(this=exp.select("*").from_(_scan(path)))
    rows = con.execute(query.sql("duckdb")).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows if r[0] != "file_row_number"]


def _judged(path: Path, fields: list[Field], types: dict[str, str]) -> exp.Select:
    """Every row with its number, typed values ``__sw_c<i>`` and the flag ``__sw_ok``."""
    columns: list[exp.Expr] = [
        exp.Add(this=exp.column("file_row_number"), expression=exp.Literal.number(1)).as_(ROW)
    ]
    checks: list[exp.Expr] = [exp.true()]
    for i, field in enumerate(fields):
        if field.source is None:
            continue
        value = exp.column(field.source, quoted=True)
        columns += [
            _cast(value, field, types[field.source]).as_(f"__sw_c{i}"),
            value.as_(f"__sw_v{i}"),
        ]
        present = exp.column(f"__sw_v{i}").is_(exp.null()).not_()
        fits = exp.or_(present.not_(), exp.column(f"__sw_c{i}").is_(exp.null()).not_())
        checks.append(exp.Paren(this=fits))
        if field.required:
            checks.append(present)
    inner = exp.select(*columns).from_(_scan(path))
    return exp.select("*", exp.and_(*checks).as_("__sw_ok")).from_(inner.subquery("src"))


def _cast(value: exp.Expr, field: Field, have: str) -> exp.Expr:
    """``value`` as the field's type (unchanged when it already is), NULL when it does not fit."""
    kind = exp.DataType.build(field.type, dialect="duckdb")
    source = exp.DataType.build(have, dialect="duckdb")
    if kind == source:
        return value
    if field.format and kind.this in _TEMPORAL and source.this in _TEXT:
        parsed = exp.Anonymous(
            this="try_strptime", expressions=[value, exp.Literal.string(field.format)]
        )
        return exp.TryCast(this=parsed, to=kind)
    return exp.TryCast(this=value, to=kind)


def _bad(
    con: duckdb.DuckDBPyConnection,
    judged: exp.Select,
    fields: list[Field],
) -> list[Quarantined]:
    """The rows that do not pass, each with its number, reason and the row as JSON."""
    sourced = [(i, f) for i, f in enumerate(fields) if f.source is not None]
    row_json = exp.Anonymous(
        this="to_json",
        expressions=[
            exp.Struct(
                expressions=[
                    exp.PropertyEQ(
                        this=exp.Literal.string(str(f.source)), expression=exp.column(f"__sw_v{i}")
                    )
                    for i, f in sourced
                ]
            )
        ],
    )
    columns: list[exp.Expr] = [exp.column(ROW), exp.cast(row_json, "VARCHAR")]
    for i, _ in sourced:
        columns += [exp.column(f"__sw_c{i}"), exp.cast(exp.column(f"__sw_v{i}"), "VARCHAR")]
    query = (
        exp.select(*columns)
        .from_(judged.subquery("judged"))
        .where(exp.column("__sw_ok").is_(exp.true()).not_())
        .order_by(ROW)
    )
    found = []
    for row in con.execute(query.sql("duckdb")).fetchall():
        problems, failed, empty = [], [], []
        for slot, (_, field) in enumerate(sourced):
            value, text = row[2 + 2 * slot], row[3 + 2 * slot]
            if text is not None and value is None:
                failed.append(field.name)
                problems.append(bad_value(field.name, text, field.type, field.format))
            elif text is None and field.required:
                empty.append(field.name)
        if empty:
            failed += empty
            problems.append(missing_required(empty))
        found.append(
            Quarantined(
                int(row[0]),
                ", ".join(failed) or None,
                f"row {row[0]}: {'; '.join(problems)}",
                Quarantined.cut(row[1]),
            )
        )
    return found
