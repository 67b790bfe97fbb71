"""Every check type, on clean and on dirty data, through the gate on DuckDB and on Spark.

The gate reads a step's staged files through the step's engine; both engines must reach the
same verdict, failing-row count and quarantine for the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import TypeAdapter

from sluiceway.engines.base import Output
from sluiceway.engines.staging import list_staged
from sluiceway.lake.commit import WriteContext
from sluiceway.lake.service import Lake
from sluiceway.lake.storage import LakeStorage
from sluiceway.quality.gate import Where, audit
from sluiceway.spec.checks import Check

OLD = datetime(2020, 1, 1, tzinfo=UTC)
ROWS = pa.table(
    {
        "id": pa.array([1, 2, 2, 3, None, 5], pa.int64()),
        "country": ["fr", "de", "xx", None, "fr", "fr"],
        "amount": [10.0, -1.0, 5.0, 100.0, 0.0, 1000.0],
        "email": ["a@b.io", "bad", None, "c@d.org", "e@f.fr", "g@h.com"],
        "status": ["paid", "paid", "open", "open", "paid", "void"],
        "seen_at": pa.array([OLD] * 6, pa.timestamp("us", tz="UTC")),
    }
)
COUNTRIES = pa.table({"code": ["fr", "de"], "country": ["France", "Germany"]})

# (type, clean spec, dirty spec, failing rows of the dirty one or None for value checks)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], int | None]] = [
    ("not_null", {"columns": ["status"]}, {"columns": ["id", "country"]}, 2),
    ("unique", {"columns": ["id", "status"]}, {"columns": ["id"]}, 1),
    (
        "accepted_values",
        {"column": "status", "values": ["paid", "open", "void"]},
        {"column": "country", "values": ["fr", "de"]},
        1,
    ),
    (
        "range",
        {"column": "amount", "min": -1, "max": 1000},
        {"column": "amount", "min": -1, "max": 1000, "max_inclusive": False},
        1,
    ),
    (
        "regex",
        {"column": "status", "pattern": "[a-z]+"},
        {"column": "email", "pattern": r"[^@]+@[^@]+\.[a-z]{2,}"},
        1,
    ),
    ("row_count", {"min": 1}, {"max": 3}, None),
    (
        "freshness",
        {"column": "seen_at", "max_age": "100000d"},
        {"column": "seen_at", "max_age": "1h"},
        None,
    ),
    (
        "relationships",
        {"column": "country", "to": "raw.countries", "field": "code", "where": "id <> 2"},
        {"column": "country", "to": "raw.countries", "field": "code"},
        1,
    ),
    (
        "schema",
        {"columns": {"id": "bigint", "amount": "double", "status": "varchar"}},
        {"columns": {"amount": "integer"}},
        None,
    ),
    ("expression", {"expr": "amount >= -1"}, {"expr": "status <> 'void' OR amount = 0"}, 1),
    ("aggregate", {"sql": "sum(amount)", "min": 0}, {"sql": "sum(amount)", "max": 100}, None),
]


def check(kind: str, spec: dict[str, Any], **more: Any) -> Check:
    return TypeAdapter(Check).validate_python({"type": kind, **spec, **more})


@pytest.fixture(params=["duckdb", "spark"])
def engine(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake(LakeStorage(root=str(tmp_path / "lake")))
    lake.write("raw.countries", COUNTRIES, "append", WriteContext("seed", "seed", 1))
    return lake


@pytest.fixture
def staging(tmp_path: Path) -> Iterator[Any]:
    def stage() -> tuple[Any, Output]:
        folder = tmp_path / f"staged{len(list(tmp_path.glob('staged*')))}"
        folder.mkdir()
        pq.write_table(ROWS, folder / "part-0.parquet")
        output = Output(directory=str(folder))
        return list_staged(output, ROWS.schema), output

    yield stage


@pytest.mark.spark
@pytest.mark.parametrize(("kind", "clean", "dirty", "failing"), CASES, ids=[c[0] for c in CASES])
def test_each_check_type_on_clean_and_dirty_data(
    engine: Any, lake: Lake, staging: Any, kind: str, clean: Any, dirty: Any, failing: Any
) -> None:
    where = Where(lake)
    batch = WriteContext("r", "p/s", 1)
    for spec, expected in [(clean, "passed"), (dirty, "warned")]:
        staged, output = staging()
        result = audit(
            engine,
            staged,
            [check(kind, spec, severity="warn")],
            table="silver.t",
            where=where,
            batch=batch,
            output=output,
        )
        [found] = result.results
        assert found.status == expected, (engine.name, spec, found.message)
        if expected == "warned" and failing is not None:
            assert found.failing_rows == failing
            # A duplicated key fails every copy of it: both rows with id 2 are shown.
            shown = 2 if kind == "unique" else failing
            assert found.sample is not None and len(found.sample) == shown
        assert result.staged.rows == ROWS.num_rows  # warn publishes everything


@pytest.mark.spark
def test_error_rows_go_to_quarantine_and_the_rest_is_restaged(
    engine: Any, lake: Lake, staging: Any
) -> None:
    staged, output = staging()
    checks = [
        check("not_null", {"columns": ["id"]}),
        check("relationships", {"column": "country", "to": "raw.countries", "field": "code"}),
        check("range", {"column": "amount", "max": 100}, severity="warn"),
    ]
    result = audit(
        engine,
        staged,
        checks,
        table="silver.t",
        where=Where(lake),
        batch=WriteContext("r", "p/s", 1),
        output=output,
    )
    assert result.quarantined == 2 and result.staged.rows == 4
    kept = sorted(pa.table(result.staged.reader().read_all()).column("id").to_pylist())
    assert kept == [1, 2, 3, 5]  # id None and country xx (id 2, the second) went
    quarantined = lake.table("silver.t__quarantine").read().to_pylist()
    assert sorted((r["country"], r["_sw_failed_checks"]) for r in quarantined) == [
        ("fr", "not_null_id"),
        ("xx", "relationships_country_raw_countries"),
    ]
