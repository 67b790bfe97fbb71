"""Ingest benchmark: TPC-H ``lineitem.csv`` into Delta, platform vs raw DuckDB + delta-rs.

Run: ``.venv/bin/python benchmarks/ingest.py [--scale 1] [--rounds 3] [--big-scale 5]
[--skip-big] [--skip-profile] [--quiet-cores 0.3] [--quiet-wait 120]``. Writes
``benchmarks/results/ingest.md``. ``--scale 0.1 --rounds 1 --skip-big --quiet-wait 0`` is a
smoke run (under a minute).

``lineitem.csv`` (with a header) is generated once per scale factor with ``tpchgen-cli``
under ``benchmarks/.work/ingest/sf<scale>/lineitem/`` (see ``_ingest_project.py``); every
side reads that same file.

- platform: a fresh project (new lake, new metadata store; the landing zone is the shared
  data folder, ``on_processed: keep``) whose ``ingest`` pipeline has one ``ingest`` step,
  ``source: {type: files, glob: "lineitem/*.csv", format: csv}`` into ``raw.lineitem``,
  run with ``run_pipeline(load_project(root), "ingest", open_project_store(project))``:
  listing, the ledger's claim, hashing the file on a second thread while DuckDB parses it
  (rejects tables, lineage columns, a "row is complete" split) into zstd Parquet staging
  files, the Delta commit of those files, the ledger's counts. No contract (types inferred
  from the file) in the rounds; once more with a declared contract.
- baselines: ``duckdb.connect()`` with the engine's settings
  (``preserve_insertion_order=false``),
  ``SELECT * FROM read_csv('…/lineitem.csv', header=true)`` streamed as Arrow batches into
  ``write_deltalake``: with zstd level 3 and 128 MiB target files (what the platform
  writes), and with delta-rs's defaults.

Each measurement runs in a fresh child process (this file with ``--child``) on a fresh
output; the three sides take turns, the order rotated every round; figures are medians.
Times are wall times from ``load_project`` (or ``duckdb.connect``) to the store closed (or
the commit written), modules imported before the clock starts on both sides; CPU time is the
process's user + system time, every thread; peak RSS is the child's ``VmHWM`` (DuckDB's
memory is in-process). Every output is checked: rows in the Delta log = the file's rows, and
for the platform the ledger's ``rows_read = rows_loaded + rows_quarantined``.

Then, once each: a profiled platform run (the parts of the step wrapped and timed, every
DuckDB statement timed), the platform's ``COPY`` statement run alone in DuckDB with its
ingredients removed one by one (where the time and memory of parsing go), and the platform
at ``--big-scale`` (about 3.8 GB of CSV at SF 5) for its peak memory, with DuckDB's default
memory limit and, if given, ``--big-memory-limit``.

The machine may be shared: before each measurement the driver waits (``--quiet-wait``
seconds at most) until other processes use fewer than ``--quiet-cores`` cores, and records
how many cores they kept busy while the child ran.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _ingest_project as proj  # noqa: E402
from _ingest_report import SIDES, report  # noqa: E402
from transforms import (  # noqa: E402
    Meter,
    _busy_seconds,
    _children_cpu,
    _connect,
    _cpu_seconds,
    _peak_mb,
    _reset_peak,
    _wrap,
    baseline_options,
    wait_for_quiet,
)

WORK = HERE / ".work" / "ingest"
RESULTS = HERE / "results" / "ingest.md"


# ---------------------------------------------------------------- children


def _delta_rows(path: Path) -> tuple[int, int, float]:
    """Rows, files and MiB in the Delta table at ``path`` (from its log)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from deltalake import DeltaTable

    actions = pa.table(DeltaTable(str(path)).get_add_actions(flatten=True))
    rows = int(pc.sum(actions.column("num_records")).as_py() or 0)
    size = float(pc.sum(actions.column("size_bytes")).as_py() or 0) / 2**20
    return rows, actions.num_rows, size


def _ledger(root: Path) -> list[dict[str, Any]]:
    from sluiceway.meta.ledger import LedgerRepo
    from sluiceway.meta.store import open_project_store
    from sluiceway.spec.project import load_project

    project = load_project(root)
    with open_project_store(project) as store:
        records = LedgerRepo(store).with_status(proj.PIPELINE, proj.STEP, ["loaded"])
    return [
        {
            "uri": r.uri,
            "rows_read": r.rows_read,
            "rows_loaded": r.rows_loaded,
            "rows_quarantined": r.rows_quarantined,
        }
        for r in records
    ]


def child_platform(args: dict[str, Any]) -> dict[str, Any]:
    """One ``run_pipeline`` of a fresh project; then its table and ledger are checked."""
    # A platform process has its modules loaded: import them before the clock starts.
    import sluiceway.engines.duckdb.engine
    import sluiceway.ingest.files.delimited
    import sluiceway.ingest.files.step
    import sluiceway.lake.staged_commit
    import sluiceway.meta.ledger  # noqa: F401
    from sluiceway.meta.store import open_project_store
    from sluiceway.orchestrate import runner
    from sluiceway.spec.project import load_project

    root = Path(args["root"])
    meter = Meter()
    start = time.perf_counter()
    project = load_project(root)
    with open_project_store(project) as store:
        run = runner.run_pipeline(project, proj.PIPELINE, store)
    result = meter.result(time.perf_counter() - start)
    result["status"] = run.status
    result["errors"] = {s.step: s.error for s in run.steps if s.error}
    result["metrics"] = {s.step: s.outcome.metrics for s in run.steps if s.outcome}
    if run.status == "succeeded":
        result["rows"], result["files"], result["mb"] = _delta_rows(proj.table_path(root))
        result["ledger"] = _ledger(root)
    return result


def child_baseline(args: dict[str, Any]) -> dict[str, Any]:
    """``read_csv`` in DuckDB streamed into ``write_deltalake``.

    ``codec`` ``zstd``: the platform's codec and file size; ``default``: delta-rs defaults.
    """
    import duckdb  # noqa: F401, TID251
    from deltalake import write_deltalake

    csv, out = Path(args["csv"]), Path(args["out"])
    options = baseline_options(args["codec"])
    meter = Meter()
    start = time.perf_counter()
    con = _connect()
    rel = con.sql(f"SELECT * FROM read_csv('{csv}', header=true)")
    # ``to_arrow_reader`` is DuckDB 2.0's name for ``fetch_record_batch`` (deprecated alias).
    write_deltalake(str(out), rel.to_arrow_reader(), **options)
    con.close()
    result = meter.result(time.perf_counter() - start)
    result["status"] = "succeeded"
    result["rows"], result["files"], result["mb"] = _delta_rows(out)
    return result


_STEP = "sluiceway.ingest.files.step"
_CSV = "sluiceway.ingest.files.delimited"
_SC = "sluiceway.lake.staged_commit"
# What the profiled platform run times, inclusive, as (label, depth, module, attribute).
# ``sha256_checked`` runs on its own thread, beside the parse: its time overlaps the COPY's.
PROFILED: tuple[tuple[str, int, str, str], ...] = (
    ("load_project", 0, "sluiceway.spec.project", "load_project"),
    ("open_project_store (migrations)", 0, "sluiceway.meta.store", "open_project_store"),
    ("run records (RunRepo writes)", 0, "sluiceway.meta.runs", "RunRepo.create"),
    ("run records (RunRepo writes)", 0, "sluiceway.meta.runs", "RunRepo.transition"),
    ("run records (RunRepo writes)", 0, "sluiceway.meta.runs", "RunRepo.start_step"),
    ("run records (RunRepo writes)", 0, "sluiceway.meta.runs", "RunRepo.finish_step"),
    ("events (emit)", 0, "sluiceway.events", "emit"),
    ("ingest step (ingest_files)", 0, _STEP, "ingest_files"),
    ("list the landing zone", 1, "sluiceway.ingest.files.landing", "Landing.list"),
    ("ledger: observe + claim + mark_loaded", 1, "sluiceway.meta.ledger", "LedgerRepo.observe"),
    ("ledger: observe + claim + mark_loaded", 1, "sluiceway.meta.ledger", "LedgerRepo.claim"),
    ("ledger: observe + claim + mark_loaded", 1, "sluiceway.meta.ledger", "LedgerRepo.mark_loaded"),
    ("ledger: duplicate lookup", 1, "sluiceway.meta.ledger", "LedgerRepo.by_content_hash"),
    ("contract (declared / frozen)", 1, _STEP, "_contract"),
    ("parse + stage one file (_parse, waits for the hash)", 1, _STEP, "_parse"),
    ("↳ stage_delimited", 2, _CSV, "stage_delimited"),
    ("↳↳ read the header (Python csv)", 3, _CSV, "_header"),
    ("↳↳ infer types (DuckDB sniffer, DESCRIBE)", 3, _CSV, "_infer"),
    ("↳↳ COPY, then the required/NUL check (copy_checked)", 3, _CSV, "copy_checked"),
    ("↳↳↳ DuckDB COPY … TO (write_parquet)", 4, "sluiceway.engines.duckdb.write", "write_parquet"),
    ("↳↳ rejects → quarantine rows", 3, _CSV, "rejected"),
    ("↳ SHA-256 of the file (hash thread, concurrent)", 2, _STEP, "sha256_checked"),
    ("move staged files into the batch (_publish)", 1, _STEP, "_publish"),
    ("quarantine commit", 1, _STEP, "write_quarantine"),
    ("table commit (_commit)", 1, _STEP, "_commit"),
    ("↳ list staged files (read footers)", 2, "sluiceway.engines.staging", "list_staged"),
    ("↳ lake.commit_staged", 2, "sluiceway.lake.service", "Lake.commit_staged"),
    ("↳↳ schema/layout check (_fits)", 3, _SC, "_fits"),
    ("↳↳ publish: move files + stats from footers", 3, _SC, "_publish"),
    ("↳↳ Delta commit (log only)", 3, _SC, "_commit"),
    ("↳↳ read back commit result", 3, _SC, "result"),
    ("↳↳ catalog registration + table.committed", 3, "sluiceway.lake.service", "Lake._record"),
    ("↳↳ autocompact check", 3, "sluiceway.lake.service", "Lake._autocompact"),
)


def _wrap_if_present(timings: dict[str, float], label: str, module: str, attribute: str) -> bool:
    """``_wrap`` when the attribute exists (the source may have moved on), else False."""
    import importlib

    owner: Any = importlib.import_module(module)
    for part in attribute.split("."):
        if not hasattr(owner, part):
            return False
        owner = getattr(owner, part)
    _wrap(timings, label, module, attribute)
    return True


def child_profile(args: dict[str, Any]) -> dict[str, Any]:
    """A platform run with its parts timed, every DuckDB statement timed, the hash's CPU."""
    from sluiceway.engines.duckdb import engine as duckdb_engine
    from sluiceway.ingest.files import step as files_step

    timings: dict[str, float] = {}
    missing = [
        f"{module}.{attribute}"
        for label, _, module, attribute in PROFILED
        if not _wrap_if_present(timings, label, module, attribute)
    ]
    statements: list[dict[str, Any]] = []
    connection = duckdb_engine.DuckDBEngine.connection

    def timed_connection(self: Any) -> Any:
        return _TimedConnection(connection.fget(self), statements)  # type: ignore[attr-defined]

    duckdb_engine.DuckDBEngine.connection = property(timed_connection)  # type: ignore[assignment]
    hashing: dict[str, float] = {}
    sha256 = files_step.sha256_checked

    def cpu_sha256(*a: Any, **k: Any) -> Any:
        cpu = time.thread_time()
        try:
            return sha256(*a, **k)
        finally:
            hashing["cpu"] = hashing.get("cpu", 0.0) + time.thread_time() - cpu

    files_step.sha256_checked = cpu_sha256
    run = child_platform(args)
    rows = [(label, depth) for label, depth, _, _ in PROFILED]
    return {
        "run": run,
        "timings": timings,
        "statements": statements,
        "hash_cpu": hashing.get("cpu", 0.0),
        "rows": rows,
        "missing": missing,
    }


class _TimedConnection:
    """A DuckDB connection whose ``execute`` calls are timed; the rest passes through."""

    def __init__(self, connection: Any, statements: list[dict[str, Any]]) -> None:
        self._connection = connection
        self._statements = statements

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        start, cpu = time.perf_counter(), _cpu_seconds()
        try:
            return self._connection.execute(sql, *args, **kwargs)
        finally:
            self._statements.append(
                {
                    "sql": sql,
                    "seconds": time.perf_counter() - start,
                    "cpu": _cpu_seconds() - cpu,
                }
            )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


# The platform's parse-and-stage statement taken apart: each variant drops one more
# ingredient. Formatted with ``csv``, ``out``, ``rejects`` (a table name), ``columns``.
_READ = "read_csv('{csv}', header=true, auto_detect=false, delim=',', quote='\"', escape='\"',"
_READ += " nullstr=[''], encoding='utf-8', compression='auto', columns={columns}{rejects})"
_REJECTS = ", store_rejects=true, rejects_table='__rej', rejects_scan='__rej_scan'"
_LINEAGE = (
    ", CAST('3c165b00-f897-4c17-8eea-6ee3af99f301' AS TEXT) AS _sw_run_id,"
    " TIMESTAMPTZ '2026-01-01 00:00:00+00' AS _sw_loaded_at, 'lineitem/lineitem.csv' AS _sw_source"
)
_TEXT = ("l_returnflag", "l_linestatus", "l_shipinstruct", "l_shipmode", "l_comment")
_FLAG = ", " + " AND ".join(f"NOT coalesce(contains({c}, chr(0)), false)" for c in _TEXT)
_FLAG += " AS __sw_complete"
_COPY = "COPY (SELECT *{extra} FROM {scan}) TO '{out}' (FORMAT parquet, COMPRESSION zstd,"
_COPY += " COMPRESSION_LEVEL 3, FILE_SIZE_BYTES 134217728, {row_group}"
_COPY += "FILENAME_PATTERN 'part-{{uuid}}'{partition})"
VARIANTS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "as the platform runs it (typed columns, rejects table, lineage, NUL check + "
        "`PARTITION_BY (__sw_complete)`, row groups sized to the memory limit)",
        {"rejects": True, "lineage": True, "flag": True, "partition": True, "row_group": True},
    ),
    (
        "↳ NUL check kept as a column, no `PARTITION_BY`",
        {"rejects": True, "lineage": True, "flag": True, "partition": False, "row_group": True},
    ),
    (
        "↳ no NUL check / split",
        {"rejects": True, "lineage": True, "flag": False, "partition": False, "row_group": True},
    ),
    (
        "↳ DuckDB's default row group size",
        {"rejects": True, "lineage": True, "flag": False, "partition": False, "row_group": False},
    ),
    (
        "↳ no rejects table",
        {"rejects": False, "lineage": True, "flag": False, "partition": False, "row_group": False},
    ),
    (
        "↳ no lineage columns",
        {"rejects": False, "lineage": False, "flag": False, "partition": False, "row_group": False},
    ),
)


def child_variant(args: dict[str, Any]) -> dict[str, Any]:
    """One variant of the platform's ``COPY`` (see :data:`VARIANTS`), alone in a process."""
    from sluiceway.engines.duckdb.memory import MemoryBudget

    csv, out = Path(args["csv"]), Path(args["out"])
    con = _connect()
    described = con.execute(f"DESCRIBE SELECT * FROM read_csv('{csv}', header=true)").fetchall()
    columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind, *_ in described) + "}"
    scan = _READ.format(csv=csv, columns=columns, rejects=_REJECTS if args["rejects"] else "")
    budget = MemoryBudget.of(con)
    sql = _COPY.format(
        extra=(_LINEAGE if args["lineage"] else "") + (_FLAG if args["flag"] else ""),
        scan=scan,
        out=out,
        row_group=f"ROW_GROUP_SIZE_BYTES {budget.row_group_bytes}, " if args["row_group"] else "",
        partition=", PARTITION_BY (__sw_complete)" if args["partition"] else "",
    )
    _reset_peak()
    start, cpu = time.perf_counter(), _cpu_seconds()
    rows = con.execute(sql).fetchall()[0][0]
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    con.close()
    size = sum(p.stat().st_size for p in out.rglob("*.parquet")) / 2**20
    return {"seconds": seconds, "cpu": cpu, "rss_mb": _peak_mb(), "rows": rows, "mb": size}


CHILDREN: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "platform": child_platform,
    "baseline": child_baseline,
    "profile": child_profile,
    "variant": child_variant,
}


# ---------------------------------------------------------------- driver


QUIET = {"max_busy": 0.3, "timeout": 0.0}
"""Set from ``--quiet-cores`` and ``--quiet-wait`` before measuring."""


def measure(op: str, *, quiet: bool = True, **args: Any) -> dict[str, Any]:
    """Run child ``op`` in a fresh process, once the machine is quiet enough.

    The result carries the load average at the start, ``others`` (how many cores other
    processes kept busy on average while the child ran) and, sampled every 0.5 s from
    ``/proc``, the child's RSS over time (``rss_trace``: seconds, MiB).
    """
    waited = wait_for_quiet(**QUIET) if quiet and QUIET["timeout"] > 0 else 0.0
    load = os.getloadavg()[0]
    busy, wall = _busy_seconds()
    own = _children_cpu()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", op, json.dumps(args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    trace: list[tuple[float, float]] = []
    sampler = threading.Thread(target=_sample_rss, args=(proc, trace), daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    sampler.join()
    busy2, wall2 = _busy_seconds()
    others = ((busy2 - busy) - (_children_cpu() - own)) / (wall2 - wall)
    if proc.returncode != 0:
        raise RuntimeError(f"{op} failed (exit {proc.returncode}):\n{stderr[-4000:]}")
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    result.update(load=load, others=max(0.0, others), waited=waited, rss_trace=trace)
    return result


def _sample_rss(proc: subprocess.Popen[str], trace: list[tuple[float, float]]) -> None:
    start = time.monotonic()
    status = Path(f"/proc/{proc.pid}/status")
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    trace.append((time.monotonic() - start, int(line.split()[1]) / 1024))
        except OSError:
            break
        time.sleep(0.5)


def _check(side: str, result: dict[str, Any], rows: int | None) -> None:
    """The run succeeded, every row of the file is in the table, the ledger's counts add up."""
    if result["status"] != "succeeded":
        raise RuntimeError(f"{side} failed: {result.get('errors')}")
    if rows is not None and result["rows"] != rows:
        raise RuntimeError(f"{side}: {result['rows']:,} rows in the table, expected {rows:,}")
    for entry in result.get("ledger", []):
        if entry["rows_read"] != entry["rows_loaded"] + entry["rows_quarantined"]:
            raise RuntimeError(f"{side}: the ledger's counts do not add up: {entry}")
    if side == "platform" and not result.get("ledger"):
        raise RuntimeError("platform: no file recorded as loaded in the ledger")


def run_side(side: str, csv: Path, work: Path, rows: int | None, **options: Any) -> dict[str, Any]:
    """One measurement of ``side`` on a fresh output (a fresh project for the platform)."""
    landing = csv.parent.parent
    if side in ("platform", "profile", "snappy"):
        root = work / "project"
        if side == "snappy":
            options = {**options, "compression": "snappy"}
        proj.build_project(root, landing, **options)
        result = measure("platform" if side == "snappy" else side, root=str(root))
        checked = result["run"] if side == "profile" else result
    else:
        out = work / f"baseline-{side}"
        shutil.rmtree(out, ignore_errors=True)
        result = checked = measure("baseline", csv=str(csv), out=str(out), codec=side)
    _check(side, checked, rows)
    return result


def run_rounds(csv: Path, work: Path, rounds: int, rows: int | None) -> dict[str, list[dict]]:
    """Every side once per round, the order rotated each round."""
    results: dict[str, list[dict]] = {side: [] for side in SIDES}
    names = list(SIDES)
    for r in range(rounds):
        for side in names[r % len(names) :] + names[: r % len(names)]:
            result = run_side(side, csv, work, rows)
            results[side].append(result)
            print(
                f"  round {r + 1}: {side}: {result['total']['seconds']:.2f} s,"
                f" {result['total']['cpu']:.1f} CPU s, {result['total']['rss_mb']:.0f} MB peak,"
                f" others {result['others']:.2f} cores",
                flush=True,
            )
    return results


def run_variants(csv: Path, work: Path) -> list[dict[str, Any]]:
    found = []
    for label, options in VARIANTS:
        out = work / "variant"
        shutil.rmtree(out, ignore_errors=True)
        result = measure("variant", csv=str(csv), out=str(out), **options)
        shutil.rmtree(out, ignore_errors=True)
        print(f"  {label}: {result['seconds']:.2f} s, {result['rss_mb']:.0f} MB", flush=True)
        found.append({"label": label, **result})
    return found


def run_big(args: argparse.Namespace) -> dict[str, Any]:
    """The platform once (or per memory limit) at ``--big-scale``; the data deleted after."""
    scale = f"{args.big_scale:g}"
    landing, work = WORK / f"sf{scale}", WORK / f"sf{scale}-run"
    print(f"SF {scale}: generating lineitem.csv", flush=True)
    free = shutil.disk_usage(WORK).free / 2**30
    start = time.perf_counter()
    csv = proj.generate(args.big_scale, landing)
    found: dict[str, Any] = {
        "scale": args.big_scale,
        "csv_bytes": csv.stat().st_size,
        "generate_seconds": time.perf_counter() - start,
        "free_gib_before": free,
        "runs": [],
    }
    try:
        for limit in [None, *([args.big_memory_limit] if args.big_memory_limit else [])]:
            print(f"  platform, memory_limit {limit or 'DuckDB default'}", flush=True)
            result = run_side("platform", csv, work, None, memory_limit=limit)
            result["memory_limit"] = limit
            result["table_mb"] = result.get("mb")
            found["runs"].append(result)
            print(
                f"    {result['total']['seconds']:.1f} s, {result['total']['rss_mb']:.0f} MB peak,"
                f" {result['rows']:,} rows",
                flush=True,
            )
        if args.big_baseline:
            print("  baseline zstd", flush=True)
            found["baseline"] = run_side("zstd", csv, work, found["runs"][0]["rows"])
    finally:
        if not args.keep_big:
            shutil.rmtree(landing, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-profile", action="store_true")
    parser.add_argument("--skip-variants", action="store_true")
    parser.add_argument("--skip-contract", action="store_true")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--big-scale", type=float, default=5.0)
    parser.add_argument(
        "--big-memory-limit", default=None, help="also run the big ingest with this limit"
    )
    parser.add_argument("--big-baseline", action="store_true", help="baseline zstd at big scale")
    parser.add_argument("--keep-big", action="store_true", help="keep the big CSV afterwards")
    parser.add_argument(
        "--quiet-cores",
        type=float,
        default=0.3,
        help="before each measurement, wait until other processes use fewer cores than this",
    )
    parser.add_argument(
        "--quiet-wait", type=float, default=120, help="wait at most this many seconds (0: never)"
    )
    parser.add_argument("--note", default="", help="a line on the source measured, for the results")
    parser.add_argument("--child", nargs=2, metavar=("OP", "ARGS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](json.loads(args.child[1]))))
        return
    QUIET.update(max_busy=args.quiet_cores, timeout=args.quiet_wait)
    scale = f"{args.scale:g}"
    work = WORK / f"sf{scale}-run"
    print(f"TPC-H SF {scale}: lineitem.csv", flush=True)
    csv = proj.generate(args.scale, WORK / f"sf{scale}")
    rows = proj.ROWS_SF1 if args.scale == 1 else None
    found: dict[str, Any] = {"csv": str(csv), "csv_bytes": csv.stat().st_size}
    print(f"{args.rounds} rounds", flush=True)
    found["runs"] = run_rounds(csv, work, args.rounds, rows)
    if not args.skip_contract:
        print("platform with a declared contract", flush=True)
        found["contract"] = run_side("platform", csv, work, rows, contract=True)
    if not args.skip_profile:
        print("profiled platform run", flush=True)
        found["profile"] = run_side("profile", csv, work, rows)
    if not args.skip_variants:
        print("the platform's COPY taken apart", flush=True)
        found["variants"] = run_variants(csv, work)
    if not args.skip_big:
        found["big"] = run_big(args)
    shutil.rmtree(work, ignore_errors=True)
    text = report(args, found)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
