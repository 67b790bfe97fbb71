"""NDJSON and JSON files staged against a contract: every record staged or quarantined."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
import zstandard

from sluiceway.engines.duckdb.connection import connect
from sluiceway.ingest.files.contract import Column, Contract
from sluiceway.ingest.files.formats import stage_file
from sluiceway.ingest.files.landing import LandingFile
from sluiceway.ingest.files.result import FileResult, FileUnreadable, NewColumns
from sluiceway.lake.commit import WriteContext
from sluiceway.lake.lineage import lineage_constants
from sluiceway.lake.staged import Output
from sluiceway.spec.settings import DuckDBSettings
from sluiceway.spec.sources import JsonFormat, NdjsonFormat

NDJSON = NdjsonFormat(type="ndjson")
JSON = JsonFormat(type="json")
EVENTS = Contract(
    (Column("id", "BIGINT", required=True), Column("kind", "VARCHAR"), Column("at", "TIMESTAMP")),
    keep_new=False,
    origin="declared",
)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection, _ = connect(DuckDBSettings())
    yield connection
    connection.close()


def stage(
    con: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    name: str,
    data: bytes | str,
    contract: Contract | None = EVENTS,
    fmt: Any = NDJSON,
    *,
    first: bool = True,
) -> tuple[FileResult, list[dict[str, Any]]]:
    """Stage ``data`` as file ``name``; return the result and the staged rows by id."""
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    staged = tmp_path / f"staged-{name}"
    staged.mkdir()
    ctx = WriteContext(run_id="r1", app_id="test", batch=1, source="test")
    output = Output(directory=str(staged), constants=lineage_constants(ctx))
    file = LandingFile(f"events/{name}", str(path), path.stat().st_size, None)
    result = stage_file(con, path, file, fmt, contract, output, f"events/{name}", first=first)
    files = sorted(staged.rglob("*.parquet"))
    rows = [r for f in files for r in pq.read_table(f).to_pylist()]
    return result, sorted(rows, key=lambda r: (r.get("id") is None, r.get("id") or 0))


def lines(*records: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def test_good_rows_are_cast_to_the_contract_with_lineage(con, tmp_path):
    data = lines({"id": 1, "kind": "a", "at": "2024-01-02T03:04:05"}, {"id": "2", "extra": 1})
    result, rows = stage(con, tmp_path, "a.ndjson", data)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 2, 0)
    assert [r["id"] for r in rows] == [1, 2]
    assert rows[0]["at"].isoformat() == "2024-01-02T03:04:05"
    assert rows[1]["kind"] is None and "extra" not in rows[1]  # declared: not kept
    assert rows[0]["_sw_source"] == "events/a.ndjson" and rows[0]["_sw_run_id"] == "r1"


def test_bad_lines_are_quarantined_with_line_numbers_and_text(con, tmp_path):
    data = lines(
        {"id": 1, "kind": "ok"},
        "",  # blank lines count as lines, not records
        {"id": "x1", "kind": "bad id"},
        "{not json",
        {"kind": "no id"},
        "[1, 2]",
        {"id": 6, "at": "yesterday"},
        {"id": 7},
    )
    result, rows = stage(con, tmp_path, "b.ndjson", data)
    assert [r["id"] for r in rows] == [1, 7]
    assert result.rows_read == 7 and result.rows_loaded == 2
    bad = {q.line: q for q in result.quarantine}
    assert sorted(bad) == [3, 4, 5, 6, 7]
    assert bad[3].column == "id" and '"x1"' in bad[3].reason and "bigint" in bad[3].reason
    assert bad[3].raw == '{"id": "x1", "kind": "bad id"}'
    assert bad[4].raw == "{not json" and "not valid JSON" in bad[4].reason
    assert bad[5].column == "id" and "required" in bad[5].reason
    assert "array" in bad[6].reason
    assert bad[7].column == "at" and "timestamp_format" in bad[7].reason


def test_gzip_and_zstd_by_extension(con, tmp_path):
    data = lines({"id": 1}, {"id": "nope"}).encode()
    for name, packed in (
        ("c.ndjson.gz", gzip.compress(data)),
        ("c.ndjson.zst", zstandard.ZstdCompressor().compress(data)),
    ):
        result, rows = stage(con, tmp_path, name, packed)
        assert [r["id"] for r in rows] == [1]
        assert [(q.line, q.raw) for q in result.quarantine] == [(2, '{"id": "nope"}')]


def test_unreadable_files_name_the_file(con, tmp_path):
    truncated = gzip.compress(
        lines(*({"id": i, "pad": str(i) * 40} for i in range(20000))).encode()
    )
    cases = {
        "t.ndjson.gz": (truncated[: len(truncated) // 2], "the gzip data is truncated"),
        "bin.ndjson": (bytes(range(256)) * 8, "it holds NUL bytes: not a text file"),
        "text.ndjson": ("id,kind\n1,a\n", "no record is valid JSON: it is not NDJSON"),
        "packed.ndjson": (gzip.compress(lines({"id": 1}).encode()), "is gzip-compressed"),
        "bad.ndjson.zst": (b"\x28\xb5\x2f\xfd" + b"garbage" * 10, "the zstd data is corrupt"),
    }
    for name, (data, message) in cases.items():
        with pytest.raises(FileUnreadable) as caught:
            stage(con, tmp_path, name, data, contract=None)
        assert caught.value.message.startswith(f"events/{name}")
        assert message in caught.value.message
        assert caught.value.hint  # what to do
        assert str(tmp_path) not in str(caught.value)


def test_missing_required_column_fails_the_file(con, tmp_path):
    with pytest.raises(FileUnreadable, match="required column id") as caught:
        stage(con, tmp_path, "m.ndjson", lines({"kind": "a"}))
    assert "correct the contract" in str(caught.value.hint)


def test_no_contract_infers_types_and_keeps_every_key(con, tmp_path):
    data = lines(
        {"id": 1, "name": "a", "day": "2024-01-02", "tags": [1]},
        {"id": 2, "price": 1.5, "day": "2024-01-03"},
    )
    result, rows = stage(con, tmp_path, "i.ndjson", data, contract=None)
    assert result.contract is not None and result.contract.origin == "inferred"
    types = {c.name: c.type for c in result.contract.columns}
    assert types == {
        "id": "BIGINT", "name": "VARCHAR", "day": "DATE", "tags": "JSON", "price": "DOUBLE"
    }  # fmt: skip
    assert rows[1]["price"] == 1.5 and str(rows[0]["day"]) == "2024-01-02"


def test_kept_new_columns_and_new_columns_after_the_first_file(con, tmp_path):
    keep = Contract((Column("id", "BIGINT"),), keep_new=True, origin="declared")
    result, rows = stage(con, tmp_path, "k.ndjson", lines({"id": 1, "note": "n"}), keep)
    assert rows[0]["note"] == "n" and result.rows_loaded == 1
    with pytest.raises(NewColumns):
        stage(con, tmp_path, "k2.ndjson", lines({"id": 1, "note": "n"}), keep, first=False)


def test_a_key_first_seen_after_the_sample_is_kept(con, tmp_path, monkeypatch):
    monkeypatch.setattr("sluiceway.ingest.files.jsonlines.SAMPLE", 2)
    data = lines({"id": 1}, {"id": 2}, {"id": 3, "late": "x"})
    result, rows = stage(con, tmp_path, "late.ndjson", data, contract=None)
    assert [r["late"] for r in rows] == [None, None, "x"]
    assert result.rows_quarantined == 0


def test_strict_table_refuses_a_file_with_an_unknown_key(con, tmp_path):
    strict = Contract((Column("id", "BIGINT"),), keep_new=False, origin="frozen", strict=True)
    with pytest.raises(FileUnreadable, match=r"column other \(bigint\) is not in the table"):
        stage(con, tmp_path, "s.ndjson", lines({"id": 1, "other": 2}), strict)


def test_json_array_items_are_numbered_by_index(con, tmp_path):
    data = json.dumps([{"id": 1}, {"id": "two"}, 3, {"id": 4, "kind": "k"}])
    result, rows = stage(con, tmp_path, "arr.json", data, fmt=JSON)
    assert [r["id"] for r in rows] == [1, 4]
    assert [(q.line, q.raw) for q in result.quarantine] == [(2, '{"id": "two"}'), (3, "3")]
    assert all(q.reason.startswith(f"item {q.line} of the array") for q in result.quarantine)


def test_json_that_is_not_an_array_or_is_malformed_is_unreadable(con, tmp_path):
    with pytest.raises(FileUnreadable, match=r"obj\.json"):
        stage(con, tmp_path, "obj.json", '{"id": 1}', fmt=JSON)
    with pytest.raises(FileUnreadable) as caught:
        stage(con, tmp_path, "broken.json", '[{"id": 1}, {"id": ', fmt=JSON)
    assert caught.value.message.startswith("events/broken.json: malformed JSON at byte")
    assert "deliver it again" in str(caught.value.hint)
    assert str(tmp_path) not in str(caught.value)


def test_empty_file(con, tmp_path):
    result, rows = stage(con, tmp_path, "e.ndjson", "")
    assert result.rows_read == 0 and rows == []
