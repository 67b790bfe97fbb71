"""Delimited files in the encodings a step may declare: read, converted, or refused early."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from sluiceway.engines.duckdb.connection import connect
from sluiceway.ingest.files.contract import Column, Contract
from sluiceway.ingest.files.formats import stage_file
from sluiceway.ingest.files.landing import LandingFile
from sluiceway.ingest.files.result import FileResult, FileUnreadable
from sluiceway.lake.commit import WriteContext
from sluiceway.lake.lineage import lineage_constants
from sluiceway.lake.staged import Output
from sluiceway.spec import SpecError, load_project
from sluiceway.spec.settings import DuckDBSettings
from sluiceway.spec.sources import CsvFormat

NOTES = Contract(
    (Column("id", "BIGINT", required=True), Column("note", "VARCHAR")),
    keep_new=False,
    origin="declared",
)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection, _ = connect(DuckDBSettings())
    yield connection
    connection.close()


def stage(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, name: str, data: bytes, encoding: str
) -> tuple[FileResult, list[tuple[int, str]]]:
    path = tmp_path / name
    path.write_bytes(data)
    staged = tmp_path / f"staged-{name}"
    staged.mkdir()
    ctx = WriteContext(run_id="r1", app_id="test", batch=1, source="test")
    output = Output(directory=str(staged), constants=lineage_constants(ctx))
    file = LandingFile(f"orders/{name}", str(path), path.stat().st_size, None)
    fmt = CsvFormat(type="csv", encoding=encoding)
    result = stage_file(con, path, file, fmt, NOTES, output, f"orders/{name}", first=True)
    rows = [r for f in sorted(staged.rglob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    return result, sorted((r["id"], r["note"]) for r in rows)


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("cp1252", "5 € “quoted” – Œuvre"),
        ("iso-8859-15", "5 € Œuvre Šž"),
        ("cp1251", "Привет"),
        ("koi8-r", "Привет"),
    ],
)
def test_single_byte_encodings_are_read_as_written(con, tmp_path, encoding, text):
    data = f"id,note\n1,{text}\n2,plain\n".encode(encoding)
    result, rows = stage(con, tmp_path, "a.csv", data, encoding)
    assert rows == [(1, text), (2, "plain")]
    assert (result.rows_read, result.rows_quarantined) == (2, 0)


def test_a_large_file_is_converted_in_chunks_with_its_lines(con, tmp_path, monkeypatch):
    monkeypatch.setattr("sluiceway.ingest.files.text.CHUNK", 4096)  # many chunks
    lines = [f"{i},prix {i} €\n".encode("cp1252") for i in range(1, 5001)]
    lines[3999] = b"4000,bad \x81 byte\n"  # line 4001 of the file: a byte cp1252 leaves undefined
    data = b"id,note\n" + b"".join(lines)
    result, rows = stage(con, tmp_path, "big.csv", data, "windows-1252")
    assert len(rows) == 4999 and rows[0] == (1, "prix 1 €") and rows[-1] == (5000, "prix 5000 €")
    [bad] = result.quarantine
    assert (bad.line, bad.column) == (4001, "note")
    assert bad.reason.startswith("note: not valid windows-1252")
    assert result.rows_read == result.rows_loaded + result.rows_quarantined == 5000


def test_a_truncated_archive_in_a_converted_encoding_fails_the_file(con, tmp_path):
    import gzip

    whole = gzip.compress(b"id,note\n" + b"".join(b"%d,caf\xe9\n" % i for i in range(20000)))
    with pytest.raises(FileUnreadable, match=r"orders/cut\.csv\.gz: the gzip data is truncated"):
        stage(con, tmp_path, "cut.csv.gz", whole[: len(whole) // 2], "cp1252")


PIPELINE = """
name: ingest
steps:
  - name: orders
    type: ingest
    table: raw.orders
    source:
      type: files
      glob: "orders/*"
      format:
        type: {kind}
        encoding: {encoding}
"""


@pytest.mark.parametrize(
    ("kind", "encoding", "message"),
    [
        ("csv", "shift_jis", "files in encoding 'shift_jis' cannot be read"),
        ("tsv", "utf-32", "files in encoding 'utf-32' cannot be read"),
        ("csv", "no-such-encoding", "files in encoding 'no-such-encoding' cannot be read"),
        ("ndjson", "latin-1", "encoding 'latin-1' cannot be read: JSON files are UTF-8"),
    ],
)
def test_an_encoding_that_cannot_be_read_is_refused_when_the_project_loads(
    tmp_path, kind, encoding, message
):
    root = tmp_path / "project"
    (root / "pipelines").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text("name: shop\n", encoding="utf-8")
    text = textwrap.dedent(PIPELINE).format(kind=kind, encoding=encoding)
    (root / "pipelines" / "ingest.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_project(root, environ={})
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("pipelines/ingest.yaml", 12)
    assert problem.message == message
    if kind != "ndjson":
        assert "cp1250 to cp1258" in str(problem.hint) and "iso-8859-2" in str(problem.hint)


@pytest.mark.parametrize("encoding", ["UTF8", "latin1", "windows-1252", "ISO-8859-15", "utf-16"])
def test_supported_encodings_load(tmp_path, encoding):
    root = tmp_path / "project"
    (root / "pipelines").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text("name: shop\n", encoding="utf-8")
    text = textwrap.dedent(PIPELINE).format(kind="csv", encoding=encoding)
    (root / "pipelines" / "ingest.yaml").write_text(text, encoding="utf-8")
    assert load_project(root, environ={}).pipelines
