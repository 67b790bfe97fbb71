"""Transform benchmark: a TPC-H silver join and gold aggregate, platform vs raw DuckDB.

Run: ``.venv/bin/python benchmarks/transforms.py [--scale 1] [--rounds 3] [--skip-spark]
[--skip-profile] [--writer-passes 3] [--quiet-cores 0.3] [--quiet-wait 300]``. Writes
``benchmarks/results/transforms.md``. ``--scale 0.1 --quiet-wait 0 --skip-spark`` is a smoke
run (under a minute).

TPC-H at ``--scale`` is generated once with ``tpchgen-cli`` and ingested once into the raw
layer of a project's lake (``benchmarks/.work/transforms/``, see ``_tpch.py``); every side
reads those same Delta snapshots.

- platform: ``run_pipeline(load_project(root), "tpch", open_project_store(project))``: run
  records, events, pinning, DuckDB writing zstd Parquet into staging, the Delta commit of
  those files, catalog registration. Step ``silver`` joins
  ``lineitem ⋈ orders ⋈ customer ⋈ nation`` (overwrite); step ``gold`` aggregates revenue
  per nation per month.
- baselines: the same SQL files in raw DuckDB over
  ``DeltaTable(...).to_pyarrow_dataset(filesystem=<native pyarrow fs>)`` registered as
  views, each result handed to ``write_deltalake(uri, rel.arrow())``: once with the
  platform's codec and file size (zstd level 3, 128 MiB: the paths compared, not the
  codecs), once with delta-rs's defaults.

Each measurement runs in a fresh child process (this file with ``--child``) on fresh output
tables; the three sides take turns, the order rotated every round; figures are medians.
Step times are wall times around each step, CPU times the process's user + system time;
peak RSS is ``VmHWM``, reset between steps (``/proc/self/clear_refs``) so each step gets its
own peak. Then, once each: a profiled platform run (where the time goes), the silver rows
written by each writer alone (DuckDB ``COPY`` variants, ``write_deltalake``), and the same
pipeline with ``engine="spark"``.

The machine may be shared: before each measurement the driver waits (``--quiet-wait``
seconds at most) until other processes use fewer than ``--quiet-cores`` cores, and records
how many cores they kept busy while the child ran (``/proc/stat``), so a disturbed figure
shows as such in the results.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _tpch  # noqa: E402
from _transforms_report import PARTS, SIDES, report  # noqa: E402

WORK = HERE / ".work" / "transforms"
RESULTS = HERE / "results" / "transforms.md"


# ---------------------------------------------------------------- memory and time


def _peak_mb(pid: int | str = "self") -> float:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> None:
    """Set this process's VmHWM to its current RSS (Linux ≥ 4.0)."""
    Path("/proc/self/clear_refs").write_text("5")


def _descendants_peak_mb() -> float:
    """Summed VmHWM of this process's descendants (Spark's JVM)."""
    parents: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            for line in status.read_text().splitlines():
                if line.startswith("PPid:"):
                    parents[int(status.parent.name)] = int(line.split()[1])
                    break
        except OSError:
            continue
    found, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return sum(_peak_mb(pid) for pid in found)


def _cpu_seconds() -> float:
    """User + system CPU time of this process, every thread."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Meter:
    """Wall time, CPU time and peak RSS per named part of one process's work."""

    def __init__(self) -> None:
        self.parts: dict[str, dict[str, float]] = {}
        self.peak = 0.0
        self.cpu = _cpu_seconds()
        _reset_peak()

    def _take(self) -> float:
        peak = _peak_mb()
        self.peak = max(self.peak, peak)
        _reset_peak()
        return peak

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        self._take()
        start, cpu = time.perf_counter(), _cpu_seconds()
        try:
            yield
        finally:
            self.parts[name] = {
                "seconds": time.perf_counter() - start,
                "cpu": _cpu_seconds() - cpu,
                "rss_mb": self._take(),
            }

    def result(self, total_seconds: float) -> dict[str, Any]:
        self._take()
        total = {"seconds": total_seconds, "cpu": _cpu_seconds() - self.cpu, "rss_mb": self.peak}
        return {**self.parts, "total": total}


# ---------------------------------------------------------------- children


def child_prepare(args: dict[str, Any]) -> dict[str, Any]:
    data = _tpch.generate(args["scale"], Path(args["data"]))
    _tpch.build_project(Path(args["root"]), data)
    return {"rows": _row_counts(Path(args["root"]))}


def _row_counts(root: Path) -> dict[str, int]:
    import pyarrow as pa
    from deltalake import DeltaTable

    counts = {}
    for name in _tpch.TABLES:
        dt = DeltaTable(str(_tpch.table_path(root, f"raw.{name}")))
        actions = pa.table(dt.get_add_actions(flatten=True))
        counts[name] = int(pa.compute.sum(actions.column("num_records")).as_py())
    return counts


def child_platform(args: dict[str, Any]) -> dict[str, Any]:
    """One ``run_pipeline`` of the project, each step timed by wrapping the runner's step."""
    # A platform process has its modules loaded: import them before the clock starts.
    import sluiceway.engines.duckdb.engine
    import sluiceway.lake.staged_commit
    import sluiceway.orchestrate.steps.sql
    from sluiceway.meta.store import open_project_store
    from sluiceway.orchestrate import runner, step_run
    from sluiceway.spec.project import load_project

    engine = args.get("engine")
    if engine == "spark":
        import sluiceway.engines.spark.engine  # noqa: F401
    meter = Meter()
    execute_step = step_run.execute_step

    def timed_step(context: Any, step: Any, *args: Any, **kwargs: Any) -> Any:
        with meter.part(step.name):
            return execute_step(context, step, *args, **kwargs)

    step_run.execute_step = timed_step  # type: ignore[assignment]
    start = time.perf_counter()
    project = load_project(Path(args["root"]))
    with open_project_store(project) as store:
        report = runner.run_pipeline(project, _tpch.PIPELINE, store, engine=engine)
    result = meter.result(time.perf_counter() - start)
    result["status"] = report.status
    result["errors"] = {s.step: s.error for s in report.steps if s.error}
    result["rows"] = {s.step: s.outcome.rows_out for s in report.steps if s.outcome}
    if engine == "spark":
        result["jvm_rss_mb"] = _descendants_peak_mb()
    return result


def _connect() -> Any:
    """A DuckDB connection with the settings the platform's engine uses."""
    import duckdb  # noqa: TID251

    con = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "preserve_insertion_order": False,
        },
    )
    con.execute("SET TimeZone = 'UTC'")
    return con


def _register(con: Any, layer: str, name: str, path: Path) -> None:
    import pyarrow.fs as pafs
    from deltalake import DeltaTable

    dataset = DeltaTable(str(path)).to_pyarrow_dataset(
        filesystem=pafs.SubTreeFileSystem(str(path), pafs.LocalFileSystem())
    )
    con.register(f"{layer}_{name}_scan", dataset)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {layer}")
    con.execute(f"CREATE OR REPLACE VIEW {layer}.{name} AS SELECT * FROM {layer}_{name}_scan")


def baseline_options(codec: str) -> dict[str, Any]:
    """``write_deltalake`` options of a baseline: ``zstd`` writes what the platform writes
    (its codec level and file size), ``default`` is delta-rs's defaults."""
    from deltalake import WriterProperties

    from sluiceway.spec.settings import TableDefaults

    if codec != "zstd":
        return {}
    defaults = TableDefaults()
    return {
        "writer_properties": WriterProperties(
            compression="ZSTD", compression_level=defaults.compression_level
        ),
        "target_file_size": defaults.target_file_size,
    }


def child_baseline(args: dict[str, Any]) -> dict[str, Any]:
    """The same SQL in raw DuckDB, each result written by ``write_deltalake``.

    ``codec`` ``zstd``: the platform's codec and file size; ``default``: delta-rs defaults.
    """
    import duckdb  # noqa: F401, TID251
    from deltalake import write_deltalake

    root, out = Path(args["root"]), Path(args["out"])
    options = baseline_options(args["codec"])
    meter = Meter()
    start = time.perf_counter()
    with meter.part("silver"):
        con = _connect()
        for name in _tpch.TABLES:
            _register(con, "raw", name, _tpch.table_path(root, f"raw.{name}"))
        write_deltalake(str(out / "silver"), con.sql(_tpch.SILVER_SQL).arrow(), **options)
    with meter.part("gold"):
        _register(con, "silver", "sales", out / "silver")
        write_deltalake(str(out / "gold"), con.sql(_tpch.GOLD_SQL).arrow(), **options)
    con.close()
    return meter.result(time.perf_counter() - start)


_SQL_STEP = "sluiceway.orchestrate.steps.sql"
# What the profiled platform run times, inclusive, as (label, depth, module, attribute).
PROFILED: tuple[tuple[str, int, str, str], ...] = (
    ("load_project", 0, "sluiceway.spec.project", "load_project"),
    ("open_project_store (migration check)", 0, "sluiceway.meta.store", "open_project_store"),
    ("run records (RunRepo writes)", 0, "sluiceway.meta.runs", "RunRepo.create"),
    ("run records (RunRepo writes)", 0, "sluiceway.meta.runs", "RunRepo.transition"),
    ("run records (RunRepo writes)", 0, "sluiceway.meta.runs", "RunRepo.start_step"),
    ("run records (RunRepo writes)", 0, "sluiceway.meta.runs", "RunRepo.finish_step"),
    ("events (emit)", 0, "sluiceway.events", "emit"),
    ("next batch number", 0, "sluiceway.orchestrate.execution", "batch_for"),
    ("render + parse + resolve tables", 0, _SQL_STEP, "SqlStepExecutor.dependencies"),
    ("pin inputs (open Delta snapshots)", 0, _SQL_STEP, "pin_inputs"),
    ("engine.stage", 0, "sluiceway.engines.duckdb.engine", "DuckDBEngine.stage"),
    ("register datasets + plan", 1, "sluiceway.engines.duckdb.engine", "DuckDBEngine.relation"),
    ("list staged files (read footers)", 1, "sluiceway.engines.duckdb.engine", "list_staged"),
    ("lake.commit_staged", 0, "sluiceway.lake.service", "Lake.commit_staged"),
    ("schema/layout check (_fits)", 1, "sluiceway.lake.staged_commit", "_fits"),
    ("publish: move files + stats from footers", 1, "sluiceway.lake.staged_commit", "_publish"),
    ("Delta commit (log only)", 1, "sluiceway.lake.staged_commit", "_commit"),
    ("read back commit result", 1, "sluiceway.lake.staged_commit", "result"),
    ("catalog registration + table.committed", 1, "sluiceway.lake.service", "Lake._record"),
    ("autocompact check", 1, "sluiceway.lake.service", "Lake._autocompact"),
    ("profile + metrics of each commit (background)", 0, "sluiceway.quality.watch", "after_commit"),
)


def _wrap(timings: dict[str, float], label: str, module: str, attribute: str) -> None:
    import importlib

    owner: Any = importlib.import_module(module)
    *path, name = attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    original: Callable[..., Any] = getattr(owner, name)

    def timed(*a: Any, **k: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*a, **k)
        finally:
            timings[label] = timings.get(label, 0.0) + time.perf_counter() - start

    setattr(owner, name, timed)


def child_profile(args: dict[str, Any]) -> dict[str, Any]:
    """A platform run with its parts timed, then the two queries alone (drained to Arrow)."""
    from sluiceway.engines.duckdb.engine import DuckDBEngine

    timings: dict[str, float] = {}
    for label, _, module, attribute in PROFILED:
        _wrap(timings, label, module, attribute)
    copies: list[float] = []
    stage = DuckDBEngine.stage

    def timed_stage(self: Any, sql: str, inputs: Any, output: Any) -> Any:
        connection = self._connection
        self._connection = _TimedConnection(connection, copies)
        try:
            return stage(self, sql, inputs, output)
        finally:
            self._connection = connection

    DuckDBEngine.stage = timed_stage  # type: ignore[method-assign]
    run = child_platform(args)
    root = Path(args["root"])
    con = _connect()
    for name in _tpch.TABLES:
        _register(con, "raw", name, _tpch.table_path(root, f"raw.{name}"))
    _register(con, "silver", "sales", _tpch.table_path(root, _tpch.OUTPUTS["silver"]))
    queries = _queries_alone(con, "")
    con.close()
    # The same queries over the platform's reading of local tables (DuckDB's own reader
    # over the pinned file list), so the report can say what reading alone saves.
    con = _connect()
    _register_as_platform(con, root)
    queries.update(_queries_alone(con, "reader_"))
    con.close()
    rows = [(label, depth) for label, depth, _, _ in PROFILED]
    return {"run": run, "timings": timings, "copies": copies, "queries": queries, "rows": rows}


def _queries_alone(con: Any, prefix: str) -> dict[str, float]:
    """Each step's query drained to Arrow batches, nothing written: seconds and rows."""
    queries: dict[str, float] = {}
    for step, sql in (("silver", _tpch.SILVER_SQL), ("gold", _tpch.GOLD_SQL)):
        start = time.perf_counter()
        queries[f"{prefix}{step}_rows"] = sum(batch.num_rows for batch in con.sql(sql).arrow())
        queries[f"{prefix}{step}"] = time.perf_counter() - start
    return queries


def _register_as_platform(con: Any, root: Path) -> None:
    """Views of the raw tables and silver as the DuckDB engine reads them (``file_scan``)."""
    from sluiceway.engines.duckdb.files import file_scan
    from sluiceway.engines.inputs import pin
    from sluiceway.lake.service import Lake
    from sluiceway.lake.storage import LakeStorage

    lake = Lake(LakeStorage(root=str(root.resolve() / "lake")), env="prod")
    for name in [*(f"raw.{t}" for t in _tpch.TABLES), _tpch.OUTPUTS["silver"]]:
        select = file_scan(con, pin(lake.table(name)))
        if select is None:
            raise RuntimeError(f"{name}: the engine would not read it with DuckDB's reader")
        layer, _, table = name.partition(".")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {layer}")
        con.execute(f"CREATE OR REPLACE VIEW {layer}.{table} AS {select.sql('duckdb')}")


class _TimedConnection:
    """A DuckDB connection whose ``COPY`` statements are timed; the rest passes through."""

    def __init__(self, connection: Any, copies: list[float]) -> None:
        self._connection = connection
        self._copies = copies

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        if not sql.lstrip().upper().startswith("COPY"):
            return self._connection.execute(sql, *args, **kwargs)
        start = time.perf_counter()
        try:
            return self._connection.execute(sql, *args, **kwargs)
        finally:
            self._copies.append(time.perf_counter() - start)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def _size_mb(path: Path) -> float:
    import pyarrow as pa
    from deltalake import DeltaTable

    actions = pa.table(DeltaTable(str(path)).get_add_actions(flatten=True))
    return float(pa.compute.sum(actions.column("size_bytes")).as_py()) / 2**20


def child_verify(args: dict[str, Any]) -> dict[str, Any]:
    """Both silvers' rows and sizes; every gold row of one side found in the other."""
    root, out = Path(args["root"]), Path(args["out"])
    tables = {
        ("p", "silver"): _tpch.table_path(root, _tpch.OUTPUTS["silver"]),
        ("p", "gold"): _tpch.table_path(root, _tpch.OUTPUTS["gold"]),
        ("b", "silver"): out / "silver",
        ("b", "gold"): out / "gold",
    }
    con = _connect()
    for (side, name), path in tables.items():
        _register(con, side, name, path)
    gold = (
        "SELECT nation, CAST(month AS DATE) AS month, CAST(revenue AS DECIMAL(38, 4)) AS revenue,"
        " CAST(line_items AS BIGINT) AS line_items, CAST(orders AS BIGINT) AS orders FROM {}.gold"
    )

    def one(sql: str) -> Any:
        return con.sql(sql).limit(1).fetchall()[0][0]

    result = {
        "silver_rows": [one(f"SELECT count(*) FROM {s}.silver") for s in ("p", "b")],
        "silver_mb": [_size_mb(tables[s, "silver"]) for s in ("p", "b")],
        "gold_rows": [one(f"SELECT count(*) FROM {s}.gold") for s in ("p", "b")],
        "gold_differences": one(
            f"SELECT count(*) FROM (({gold.format('p')} EXCEPT ALL {gold.format('b')})"
            f" UNION ALL ({gold.format('b')} EXCEPT ALL {gold.format('p')}))"
        ),
    }
    con.close()
    return result


# Writing the same silver rows, held in DuckDB's memory, several ways: (label, how, options).
_LINEAGE = (
    "'run-0123456789abcdef' AS _sw_run_id, TIMESTAMPTZ '2026-01-01 00:00:00+00' AS"
    " _sw_loaded_at, 'raw.customer@0,raw.lineitem@0,raw.nation@0,raw.orders@0' AS _sw_source"
)
_ZSTD3 = "COMPRESSION zstd, COMPRESSION_LEVEL 3, FILE_SIZE_BYTES 134217728"
WRITERS: tuple[tuple[str, str, str], ...] = (
    (
        "DuckDB COPY as the platform runs it (zstd 3, 128 MiB files, lineage columns)",
        "copy",
        _ZSTD3,
    ),
    ("↳ without the 3 lineage columns", "copy-bare", _ZSTD3),
    ("↳ zstd level 1", "copy", _ZSTD3.replace("LEVEL 3", "LEVEL 1")),
    ("↳ `PARQUET_VERSION V2`", "copy", f"{_ZSTD3}, PARQUET_VERSION V2"),
    ("↳ snappy", "copy", "COMPRESSION snappy, FILE_SIZE_BYTES 134217728"),
    ("`write_deltalake`, zstd 3, 128 MiB files", "delta-zstd", ""),
    ("`write_deltalake`, delta-rs defaults", "delta-default", ""),
)


def child_writers(args: dict[str, Any]) -> dict[str, Any]:
    """The writers alone: the silver result computed once into memory, then written each way."""
    from deltalake import WriterProperties, write_deltalake

    root, out = Path(args["root"]), Path(args["out"])
    con = _connect()
    for name in _tpch.TABLES:
        _register(con, "raw", name, _tpch.table_path(root, f"raw.{name}"))
    con.execute(f"CREATE TABLE silver AS {_tpch.SILVER_SQL}")
    found: dict[str, list[dict[str, float]]] = {label: [] for label, _, _ in WRITERS}
    for _ in range(args["passes"]):
        for label, how, options in WRITERS:
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            start, cpu = time.perf_counter(), _cpu_seconds()
            if how.startswith("copy"):
                select = "*" if how == "copy-bare" else f"*, {_LINEAGE}"
                con.execute(
                    f"COPY (SELECT {select} FROM silver) TO '{out}/files'"
                    f" (FORMAT parquet, {options})"
                )
            else:
                extra: dict[str, Any] = {}
                if how == "delta-zstd":
                    extra = {
                        "writer_properties": WriterProperties(
                            compression="ZSTD", compression_level=3
                        ),
                        "target_file_size": 128 * 2**20,
                    }
                write_deltalake(
                    str(out / "table"), con.sql("SELECT * FROM silver").arrow(), **extra
                )
            seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
            size = sum(p.stat().st_size for p in out.rglob("*.parquet")) / 2**20
            found[label].append({"seconds": seconds, "cpu": cpu, "mb": size})
    con.close()
    shutil.rmtree(out, ignore_errors=True)
    return {"writers": found}


CHILDREN: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "prepare": child_prepare,
    "platform": child_platform,
    "baseline": child_baseline,
    "profile": child_profile,
    "verify": child_verify,
    "writers": child_writers,
}


def _busy_seconds() -> tuple[float, float]:
    """CPU seconds the whole machine spent busy, and wall seconds, since boot (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / ticks, time.monotonic()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_for_quiet(max_busy: float, timeout: float) -> float:
    """Wait until other processes keep fewer than ``max_busy`` cores busy (over 3 s).

    Returns:
        The seconds waited (``timeout`` at most; then the measurement runs anyway).
    """
    start = time.monotonic()
    while True:
        busy, wall = _busy_seconds()
        time.sleep(3)
        busy2, wall2 = _busy_seconds()
        if (busy2 - busy) / (wall2 - wall) < max_busy or time.monotonic() - start >= timeout:
            return time.monotonic() - start
        time.sleep(7)


QUIET = {"max_busy": 0.3, "timeout": 0.0}
"""Set from ``--quiet-cores`` and ``--quiet-wait`` before measuring."""


def measure(op: str, *, quiet: bool = True, **args: Any) -> dict[str, Any]:
    """Run child ``op`` in a fresh process, once the machine is quiet enough.

    The result carries the load average at the start and ``others``: how many cores other
    processes kept busy on average while the child ran (machine-wide busy CPU time from
    ``/proc/stat`` minus the child's own), the measure of how much the figure was disturbed.
    """
    waited = wait_for_quiet(**QUIET) if quiet and QUIET["timeout"] > 0 else 0.0
    load = os.getloadavg()[0]
    busy, wall = _busy_seconds()
    own = _children_cpu()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", op, json.dumps(args)],
        capture_output=True,
        text=True,
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"},
        check=False,
    )
    busy2, wall2 = _busy_seconds()
    others = ((busy2 - busy) - (_children_cpu() - own)) / (wall2 - wall)
    if proc.returncode != 0:
        raise RuntimeError(f"{op} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(load=load, others=max(0.0, others), waited=waited)
    return result


# ---------------------------------------------------------------- driver


def run_rounds(root: Path, outs: dict[str, Path], rounds: int) -> dict[str, list[dict]]:
    """Every side once per round, the order rotated each round."""

    def run(side: str) -> dict:
        if side in ("platform", "snappy"):
            _tpch.reset_outputs(root)
            settings = root / "sluiceway.yaml"
            if side == "snappy":  # the platform writing what delta-rs writes by default
                settings.write_text(_tpch.SETTINGS + "table_defaults:\n  compression: snappy\n")
            try:
                result = measure("platform", root=str(root))
            finally:
                settings.write_text(_tpch.SETTINGS)
            if result["status"] != "succeeded":
                raise RuntimeError(f"the platform run failed: {result['errors']}")
            return result
        shutil.rmtree(outs[side], ignore_errors=True)
        return measure("baseline", root=str(root), out=str(outs[side]), codec=side)

    names = [*SIDES, "snappy"]
    results: dict[str, list[dict]] = {side: [] for side in names}
    for r in range(rounds):
        for side in names[r % len(names) :] + names[: r % len(names)]:
            result = run(side)
            results[side].append(result)
            parts = ", ".join(f"{p} {result[p]['seconds']:.2f} s" for p in PARTS)
            print(f"  round {r + 1}: {side}: {parts}", flush=True)
    return results


def run_spark(root: Path, out: Path) -> dict[str, Any]:
    """The pipeline once on Spark; its error text if it fails."""
    _tpch.reset_outputs(root)
    try:
        result = measure("platform", root=str(root), engine="spark")
    except RuntimeError as exc:
        return {"status": "crashed", "errors": {"process": str(exc)}}
    if result["status"] == "succeeded":
        result["check"] = measure("verify", quiet=False, root=str(root), out=str(out))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--skip-profile", action="store_true")
    parser.add_argument("--writer-passes", type=int, default=3, help="0: skip the writers alone")
    parser.add_argument(
        "--quiet-cores",
        type=float,
        default=0.3,
        help="before each measurement, wait until other processes use fewer cores than this",
    )
    parser.add_argument(
        "--quiet-wait", type=float, default=300, help="wait at most this many seconds (0: never)"
    )
    parser.add_argument("--child", nargs=2, metavar=("OP", "ARGS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](json.loads(args.child[1]))))
        return
    QUIET.update(max_busy=args.quiet_cores, timeout=args.quiet_wait)
    scale = f"{args.scale:g}"
    data, work = WORK / f"tpch-sf{scale}", WORK / f"sf{scale}"
    root = work / "project"
    outs = {side: work / f"baseline-{side}" for side in SIDES if side != "platform"}
    print(f"TPC-H SF {scale}: data and raw tables", flush=True)
    prepared = measure("prepare", quiet=False, scale=args.scale, data=str(data), root=str(root))
    found: dict[str, Any] = {"prepared": prepared}
    print(f"{args.rounds} rounds", flush=True)
    found["runs"] = run_rounds(root, outs, args.rounds)
    # The last run may have been the snappy variant: the checks below read the platform's
    # own output (its default codec), so write it once more, unmeasured.
    _tpch.reset_outputs(root)
    if measure("platform", quiet=False, root=str(root))["status"] != "succeeded":
        raise RuntimeError("the platform run before the checks failed")
    found["checks"] = {
        side: measure("verify", quiet=False, root=str(root), out=str(out))
        for side, out in outs.items()
    }
    if not args.skip_profile:
        print("profiled platform run", flush=True)
        _tpch.reset_outputs(root)
        found["profile"] = measure("profile", root=str(root))
    if args.writer_passes > 0:
        print("writers alone", flush=True)
        found["writers"] = measure(
            "writers", root=str(root), out=str(work / "writers"), passes=args.writer_passes
        )
    if not args.skip_spark:
        print("Spark", flush=True)
        found["spark"] = run_spark(root, outs["zstd"])
    text = report(args, found)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
