"""Rows missing a required value (or holding a NUL byte): found after the scan, split off.

Such rows parse fine, so DuckDB's rejects cannot catch them. The file is first staged with
one plain ``COPY``, and the staged rows are checked (a scan of the few columns concerned in
the staged Parquet). Only when some row fails is the file staged again, with the ``COPY``
partitioned by a "row is complete" flag: the complete rows are published and the others read
back for quarantine. A partitioned ``COPY`` costs far more than a plain one — measured on
TPC-H SF 1 ``lineitem.csv`` (6M rows): 6.7 s and 1.7 GiB against 4.8 s and 0.4 GiB — so
clean files, the usual case, never pay for it; a file with such rows is read twice.

The incomplete rows' line numbers are found by reading that file once more with Python's
``csv`` module (up to :data:`~sluiceway.ingest.files.text.LOCATE_LIMIT` bytes); beyond that
they are quarantined with their values and no line number.
"""

from __future__ import annotations

import csv
import shutil
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from sqlglot import exp

from sluiceway.ingest.files.result import (
    Quarantined,
    missing_required,
    nul_byte,
)
from sluiceway.ingest.files.staged_rows import copy_rows, partition_last
from sluiceway.ingest.files.staging import publish
from sluiceway.ingest.files.text import LOCATE_LIMIT, csv_reader, open_text

if TYPE_CHECKING:
    from sluiceway.lake.staged import Output
    from sluiceway.spec.sources import CsvFormat, TsvFormat

OK_FLAG = "__sw_complete"
"""Partition column splitting rows with every required value from the others."""


def copy_checked(
    con: duckdb.DuckDBPyConnection,
    select: exp.Select,
    output: Output,
    required: list[str],
    text: list[str],
    rescan: Callable[[], None],
) -> tuple[int, list[dict[str, Any]]]:
    """Stage the complete rows; return how many, and the incomplete rows' values.

    A row is incomplete when a required column is null or a text column holds a NUL byte.
    ``rescan`` is called before a second scan (to forget the first scan's rejects).
    """
    plain = Path(output.directory) / f"__sw_plain_{uuid.uuid4().hex[:8]}"
    plain.mkdir()
    try:
        written = copy_rows(con, select, replace(output, directory=str(plain)))
        if not _incomplete_rows(con, plain, _checks(required, text)):
            publish(plain, Path(output.directory))
            return written, []
    finally:
        shutil.rmtree(plain, ignore_errors=True)
    rescan()
    return _copy_split(con, select, output, _checks(required, text))


def _checks(required: list[str], text: list[str]) -> exp.Expr:
    """True for a complete row: every required value present, no NUL in any text."""
    nul = exp.func("chr", exp.Literal.number(0))
    checks = [exp.column(c, quoted=True).is_(exp.null()).not_() for c in required]
    checks += [
        exp.func(
            "coalesce", exp.func("contains", exp.column(c, quoted=True), nul), exp.false()
        ).not_()
        for c in text
    ]
    return exp.and_(*checks)


def _incomplete_rows(con: duckdb.DuckDBPyConnection, folder: Path, complete: exp.Expr) -> int:
    """How many staged rows under ``folder`` are not complete."""
    files = sorted(str(p) for p in folder.rglob("*.parquet"))
    if not files:
        return 0
    query = (
        exp.select(exp.func("count", exp.Star()))
        .from_(_parquet(files))
        .where(exp.not_(exp.paren(complete)))
    )
    row = con.execute(query.sql("duckdb")).fetchone()
    return int(row[0]) if row else 0


def _parquet(files: list[str]) -> exp.Expr:
    return exp.Anonymous(
        this="read_parquet",
        expressions=[
            exp.Array(expressions=[exp.Literal.string(f) for f in files]),
            exp.EQ(this=exp.var("hive_partitioning"), expression=exp.true()),
        ],
    )


def _copy_split(
    con: duckdb.DuckDBPyConnection, select: exp.Select, output: Output, complete: exp.Expr
) -> tuple[int, list[dict[str, Any]]]:
    """One partitioned ``COPY``: complete rows published, the others' values returned."""
    flagged = select.select(complete.as_(OK_FLAG, quoted=True))
    split = Path(output.directory) / f"__sw_split_{uuid.uuid4().hex[:8]}"
    split.mkdir()
    partitioned = replace(
        output, directory=str(split), partition_by=(OK_FLAG, *output.partition_by)
    )
    try:
        written = copy_rows(con, _flag_first(flagged, output.partition_by), partitioned)
        publish(split / f"{OK_FLAG}=true", Path(output.directory))
        values = _read_incomplete(con, split / f"{OK_FLAG}=false")
    finally:
        shutil.rmtree(split, ignore_errors=True)
    return written - len(values), values


def quarantine_incomplete(
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
    moved = partition_last(select, partition_by)
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
    relation = con.sql(exp.select("*").from_(_parquet(files)).sql("duckdb"))
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
    with open_text(path, fmt) as stream:
        delimiter = "\t" if fmt.type == "tsv" else fmt.delimiter
        reader = csv_reader(stream, fmt)
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
