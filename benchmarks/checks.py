"""Checks benchmark: 12 checks on TPC-H lineitem, the platform against one hand-written scan
and against Great Expectations on pandas.

Target (issue: quality gates): the platform ≤ 1.2× the time of one hand-written DuckDB query
computing the same 12 results in one scan over the same Delta table; Great Expectations 1.x
on pandas reported beside (the issue measured it at 7.3× the hand-written scan, and 6.4×
its memory: the platform must beat it).

The table is TPC-H ``lineitem`` (``tpchgen-cli``, scale factor ``--scale``), written once as
a Delta table by the platform (``Lake.write``). The checks: 4 ``not_null``, a two-column
``unique`` (``l_orderkey, l_linenumber``), 3 ``accepted_values``, 2 ``range``, a ``regex``
and a ``row_count`` — all hold, as they would on a good day.

Sides, each in a fresh child process (wall time, CPU time of all threads, peak RSS), taking
turns, the order rotated every round; medians over ``--rounds``:

* ``platform``: a ``check`` step's audit (``sluiceway.quality.table_audit.audit_table``)
  of the table's latest version on a new DuckDB engine — the table pinned, the checks
  compiled, run as one scan, judged, results and events recorded in a SQLite metadata store
  (opened before the clock, as a run has it open already);
* ``hand-written``: a new DuckDB connection, the same 12 figures in one query written by
  hand over the same Delta snapshot registered the same way
  (``DeltaTable.to_pyarrow_dataset``), judged with plain Python comparisons;
* ``great_expectations``: GX 1.x, an ephemeral context, a pandas data frame read from the
  same snapshot, and the 12 expectations in one suite validated as a batch.

Modules are imported before the clock starts on every side. Every side must find 12 passing
results, or the run stops.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "checks"
RESULTS = HERE / "results" / "checks.md"
TABLE = "raw.lineitem"
SHIPMODES = ["AIR", "FOB", "MAIL", "RAIL", "REG AIR", "SHIP", "TRUCK"]
CHECKS: list[dict[str, Any]] = [
    *(
        {"type": "not_null", "columns": [c]}
        for c in ("l_orderkey", "l_partkey", "l_suppkey", "l_shipdate")
    ),
    {"type": "unique", "columns": ["l_orderkey", "l_linenumber"]},
    {"type": "accepted_values", "column": "l_returnflag", "values": ["A", "N", "R"]},
    {"type": "accepted_values", "column": "l_linestatus", "values": ["F", "O"]},
    {"type": "accepted_values", "column": "l_shipmode", "values": SHIPMODES},
    {"type": "range", "column": "l_quantity", "min": 1, "max": 50},
    {"type": "range", "column": "l_discount", "min": 0, "max": 0.1},
    {"type": "regex", "column": "l_shipinstruct", "pattern": "[A-Z ]+"},
    {"type": "row_count", "min": 1},
]
SIDES = ("platform", "hand-written", "great_expectations")

HAND_WRITTEN = """
SELECT
  count(*) FILTER (WHERE l_orderkey IS NULL) AS n1,
  count(*) FILTER (WHERE l_partkey IS NULL) AS n2,
  count(*) FILTER (WHERE l_suppkey IS NULL) AS n3,
  count(*) FILTER (WHERE l_shipdate IS NULL) AS n4,
  count(*) - count(DISTINCT (l_orderkey, l_linenumber)) AS dup,
  count(*) FILTER (WHERE l_returnflag NOT IN ('A', 'N', 'R')) AS v1,
  count(*) FILTER (WHERE l_linestatus NOT IN ('F', 'O')) AS v2,
  count(*) FILTER (WHERE l_shipmode NOT IN
    ('AIR', 'FOB', 'MAIL', 'RAIL', 'REG AIR', 'SHIP', 'TRUCK')) AS v3,
  count(*) FILTER (WHERE l_quantity < 1 OR l_quantity > 50) AS r1,
  count(*) FILTER (WHERE l_discount < 0 OR l_discount > 0.1) AS r2,
  count(*) FILTER (WHERE NOT regexp_full_match(l_shipinstruct, '[A-Z ]+')) AS re,
  count(*) AS rows
FROM lineitem
"""


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def prepare(scale: float) -> Path:
    """The lineitem Delta table and a project around it (built once per scale)."""
    import pyarrow.dataset as ds

    from sluiceway.lake.commit import WriteContext
    from sluiceway.lake.service import Lake
    from sluiceway.lake.storage import LakeStorage

    root = WORK / f"sf{scale}"
    marker = root / "ready"
    if marker.exists():
        return root
    data = root / "tpch"
    data.mkdir(parents=True, exist_ok=True)
    tool = Path(sys.executable).with_name("tpchgen-cli")
    subprocess.run(
        [str(tool), "parquet", "--scale-factor", str(scale), "--tables=lineitem",
         "--output-dir", str(data), "--no-progress", "--quiet"],
        check=True,
    )  # fmt: skip
    lake = Lake(LakeStorage(root=str(root / "lake")))
    reader = ds.dataset(data / "lineitem.parquet").scanner().to_reader()
    lake.write(TABLE, reader, "append", WriteContext("prepare", "bench/lineitem", 1))
    marker.write_text("ok")
    return root


# ---------------------------------------------------------------- the sides (child processes)


def child(side: str, root: Path) -> dict[str, Any]:
    """Run one side once; returns its time, CPU time, peak memory and verdicts."""
    import duckdb  # noqa: F401, TID251  (imported before the clock, on every side)
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401
    from deltalake import DeltaTable  # noqa: F401

    run = {"platform": _platform, "hand-written": _hand, "great_expectations": _gx}[side]
    setup = run(root, prepare_only=True)
    cpu = time.process_time()
    wall = time.perf_counter()
    passed = run(root, prepare_only=False, setup=setup)
    return {
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "peak_mb": _peak_rss_mb(),
        "passed": passed,
    }


def _platform(root: Path, *, prepare_only: bool, setup: Any = None) -> Any:
    """Set up: the imports, the metadata store and the lake (a run has them open already).
    Timed: the engine, and the audit (pin, one scan, judge, record results and events)."""
    from pydantic import TypeAdapter

    from sluiceway.engines.duckdb.engine import DuckDBEngine
    from sluiceway.lake.service import Lake
    from sluiceway.lake.storage import LakeStorage
    from sluiceway.meta.store import open_store
    from sluiceway.quality.gate import Where
    from sluiceway.quality.table_audit import audit_table
    from sluiceway.spec.checks import Check

    if prepare_only:
        import sluiceway.events.types
        import sluiceway.meta.checks  # noqa: F401

        store = open_store(f"sqlite:///{root / 'metadata.db'}")
        lake = Lake(LakeStorage(root=str(root / "lake")), store=store)
        checks = [TypeAdapter(Check).validate_python(c) for c in CHECKS]
        return store, lake, checks
    store, lake, checks = setup
    with DuckDBEngine() as engine:
        results = audit_table(engine, TABLE, checks, Where(lake, store, pipeline="bench"))
    store.close()
    return sum(r.status == "passed" for r in results)


def _snapshot(root: Path) -> Any:
    import pyarrow.fs as pafs
    from deltalake import DeltaTable

    uri = root / "lake" / "prod" / "raw" / "lineitem"
    table = DeltaTable(str(uri))
    return table.to_pyarrow_dataset(
        filesystem=pafs.SubTreeFileSystem(str(uri), pafs.LocalFileSystem())
    )


def _hand(root: Path, *, prepare_only: bool, setup: Any = None) -> Any:
    import duckdb  # noqa: TID251

    if prepare_only:
        return None
    con = duckdb.connect()
    con.register("lineitem", _snapshot(root))
    row = con.execute(HAND_WRITTEN).fetchone()
    assert row is not None
    *failing, rows = row
    return sum(int(n) == 0 for n in failing) + int(rows >= 1)


def _gx(root: Path, *, prepare_only: bool, setup: Any = None) -> Any:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    if prepare_only:
        return None
    frame = _snapshot(root).to_table().to_pandas()
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas("bench")
    asset = source.add_dataframe_asset("lineitem")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame}
    )
    suite = gx.ExpectationSuite(name="lineitem")
    for column in ("l_orderkey", "l_partkey", "l_suppkey", "l_shipdate"):
        suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=column))
    suite.add_expectation(
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["l_orderkey", "l_linenumber"])
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeInSet(column="l_returnflag", value_set=["A", "N", "R"])
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeInSet(column="l_linestatus", value_set=["F", "O"])
    )
    suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column="l_shipmode", value_set=SHIPMODES))
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(column="l_quantity", min_value=1, max_value=50)
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(column="l_discount", min_value=0, max_value=0.1)
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToMatchRegex(column="l_shipinstruct", regex="^[A-Z ]+$")
    )
    suite.add_expectation(gxe.ExpectTableRowCountToBeBetween(min_value=1))
    result = batch.validate(suite)
    return sum(1 for r in result.results if r.success)


# ---------------------------------------------------------------- the parent


def measure(side: str, root: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", side, "--root", str(root)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} failed:\n{done.stderr[-3000:]}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    if found["passed"] != len(CHECKS):
        raise SystemExit(f"{side} passed {found['passed']} of {len(CHECKS)} checks")
    return dict(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--gx-rounds",
        type=int,
        default=None,
        help="measure Great Expectations in the first N rounds only (default: every round; "
        "it takes ~90 s a round at SF1 and is far from the target either way)",
    )
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--root")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path(args.root))))
        return
    root = prepare(args.scale)
    found: dict[str, list[dict[str, Any]]] = {side: [] for side in SIDES}
    gx_rounds = args.rounds if args.gx_rounds is None else min(args.gx_rounds, args.rounds)
    for round_ in range(args.rounds):
        order = SIDES[round_ % len(SIDES) :] + SIDES[: round_ % len(SIDES)]
        for side in order:
            if side == "great_expectations" and round_ >= gx_rounds:
                continue
            found[side].append(measure(side, root))
            print(f"round {round_ + 1} {side}: {found[side][-1]}", flush=True)
    med = {
        side: {k: statistics.median(r[k] for r in runs) for k in ("seconds", "cpu", "peak_mb")}
        for side, runs in found.items()
    }
    base = med["hand-written"]
    lines = [
        "# Checks benchmark: 12 checks on TPC-H lineitem",
        "",
        f"Produced by `.venv/bin/python benchmarks/checks.py --scale {args.scale:g} "
        f"--rounds {args.rounds}"
        + (f" --gx-rounds {gx_rounds}" if gx_rounds != args.rounds else "")
        + f"` ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC): medians of "
        f"{args.rounds} rounds ({gx_rounds} for Great Expectations), the sides taking turns, "
        "each in a fresh child process. See the script's docstring for what each side does.",
        "",
        f"Machine: {describe()}; load average at the end: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}.",
        "",
        "| side | s | CPU s | peak MiB | ÷ hand-written (time) | ÷ hand-written (memory) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for side in SIDES:
        m = med[side]
        lines.append(
            f"| {side} | {m['seconds']:.2f} | {m['cpu']:.2f} | {m['peak_mb']:,.0f} | "
            f"{m['seconds'] / base['seconds']:.2f}× | {m['peak_mb'] / base['peak_mb']:.2f}× |"
        )
    ratio = med["platform"]["seconds"] / base["seconds"]
    gx_ratio = med["great_expectations"]["seconds"] / med["platform"]["seconds"]
    per_round = [
        p["seconds"] / h["seconds"]
        for p, h in zip(found["platform"], found["hand-written"], strict=True)
    ]
    lines += [
        "",
        f"Target: platform ≤ 1.2× the hand-written scan: **{'met' if ratio <= 1.2 else 'missed'}** "
        f"({ratio:.2f}×). Great Expectations took {gx_ratio:.1f}× the platform's time.",
        "",
        "Platform ÷ hand-written within each round (the two sides ran back to back): "
        + ", ".join(f"{r:.2f}×" for r in per_round)
        + f"; median {statistics.median(per_round):.2f}×.",
        "",
        "Every round (s; CPU s; peak MiB):",
        "",
        "| round | " + " | ".join(SIDES) + " |",
        "|---|" + "---:|" * len(SIDES),
    ]
    for i in range(args.rounds):
        cells = [
            f"{found[s][i]['seconds']:.2f}; {found[s][i]['cpu']:.2f}; {found[s][i]['peak_mb']:,.0f}"
            if i < len(found[s])
            else "–"
            for s in SIDES
        ]
        lines.append(f"| {i + 1} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
