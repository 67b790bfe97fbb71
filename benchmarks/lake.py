"""Lake benchmark: the platform's write and merge paths against plain delta-rs.

Run: ``.venv/bin/python benchmarks/lake.py [--rows 10000000] [--rounds 3] [--quick]``.
Writes ``benchmarks/results/lake.md``. ``--quick`` is a smoke run (200k rows, TPC-H SF 0.01).

Every measured operation runs in a fresh child process (this file with ``--child``), which
reports its wall time and CPU time (all threads) around the operation alone and its peak RSS
(``VmHWM``, input data included — the same data on both sides). Platform and baseline
alternate, the order swapped every round; figures are medians over ``--rounds``. The CPU
time is reported because the benchmark machine is shared: wall times move with the load of
other processes, CPU times much less.

1. write ``--rows`` rows × 10 columns: ``Lake.write(..., "append")`` (lineage columns, schema
   policy, exactly-once commit) vs ``write_deltalake``;
2. merge ``rows/10`` changed rows (90% updates of keys spread over the table, 10% new keys):
   ``Lake.write(..., Merge)`` (row hash, key checks, then copy-on-write or a narrowed MERGE
   as ``sluiceway.lake.merge_policy`` decides) vs
   ``dt.merge(...).when_matched_update_all().when_not_matched_insert_all()``, each on a
   fresh copy of a table built the same way by its own path;
3. TPC-H ``lineitem ⋈ orders`` sorted by ``l_orderkey``: merge 1% changed rows, contiguous
   orders and random orders, platform vs plain MERGE on fresh copies; time and files rewritten;
4. with ``--policy``: the platform's two merge strategies against each other (forced), for
   batches updating 1%, 10% and 50% of the merge table's rows — the data behind
   ``sluiceway.lake.merge_policy.MAX_SOURCE_SHARE``.

Both sides write zstd level 3 (the platform's default), so the figures compare the paths,
not the codecs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "lake"
RESULTS = HERE / "results" / "lake.md"
TPCH_KEYS = ["l_orderkey", "l_linenumber"]
TPCH_FILE_SIZE = 16 * 1024 * 1024
LOADED_AT = datetime(2026, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------- data


def _u64(v: int) -> pa.Scalar:
    return pa.scalar(v & (2**64 - 1), pa.uint64())


def _mix(x: pa.Array) -> pa.Array:
    x = pc.multiply(pc.bit_wise_xor(x, pc.shift_right(x, _u64(30))), _u64(0xBF58476D1CE4E5B9))
    x = pc.multiply(pc.bit_wise_xor(x, pc.shift_right(x, _u64(27))), _u64(0x94D049BB133111EB))
    return pc.bit_wise_xor(x, pc.shift_right(x, _u64(31)))


def _bits(h: pa.Array, shift: int, width: int) -> pa.Array:
    return pc.cast(pc.bit_wise_and(pc.shift_right(h, _u64(shift)), _u64(2**width - 1)), pa.int64())


def rows_for(ids: pa.Array, version: int) -> pa.Table:
    """10 columns derived from ``ids`` (``version`` changes every non-key value)."""
    h = _mix(pc.bit_wise_xor(pc.cast(ids, pa.uint64()), _u64(0x9E3779B97F4A7C15 * (version + 1))))
    statuses = pa.array(["new", "paid", "packed", "shipped", "delivered", "returned", "lost", "x"])
    countries = pa.array([f"C{i:02d}" for i in range(64)])
    customer = _bits(h, 0, 20)
    base = pa.scalar(1_700_000_000_000_000, pa.int64())
    return pa.table(
        {
            "id": ids,
            "customer_id": customer,
            "customer": pc.binary_join_element_wise(
                "customer-", pc.cast(customer, pa.string()), ""
            ),
            "status": pc.take(statuses, _bits(h, 20, 3)),
            "country": pc.take(countries, _bits(h, 23, 6)),
            "quantity": pc.cast(_bits(h, 29, 7), pa.int32()),
            "amount": pc.divide(pc.cast(_bits(h, 36, 20), pa.float64()), 100.0),
            "ordered_at": pc.cast(
                pc.add(base, pc.multiply(_bits(h, 20, 24), 1_000_000)), pa.timestamp("us", "UTC")
            ),
            "express": pc.equal(_bits(h, 56, 1), 1),
            "note": pc.binary_join_element_wise(
                "note ", pc.cast(_bits(h, 40, 16), pa.string()), ""
            ),
        }
    )


def table_data(n: int) -> pa.Table:
    return rows_for(pa.array(range(n), pa.int64()), 0)


def change_data(n: int, changes: int) -> pa.Table:
    """90% updates of distinct keys spread over [0, n), 10% new keys; all values changed."""
    updates = changes - changes // 10
    i = pa.array(range(updates), pa.int64())
    # (i × P + c) mod n with P prime to n is a permutation: distinct keys, spread out.
    x = pc.add(pc.multiply(i, 1_000_003), 12_345)
    keys = pc.subtract(x, pc.multiply(pc.divide(x, n), n))
    new = pa.array(range(n, n + changes // 10), pa.int64())
    return rows_for(pa.concat_arrays([keys, new]), 1)


# ---------------------------------------------------------------- children


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _lake(root: Path) -> Any:
    from sluiceway.lake.service import Lake
    from sluiceway.lake.storage import LakeStorage
    from sluiceway.spec.settings import TableDefaults

    size = int(os.environ.get("BENCH_FILE_SIZE", 128 * 1024 * 1024))
    return Lake(LakeStorage(root=str(root)), defaults=TableDefaults(target_file_size=size))


def _ctx(batch: int) -> Any:
    from sluiceway.lake.commit import WriteContext

    return WriteContext(
        run_id=f"bench-{batch}", app_id="bench/lake", batch=batch, loaded_at=LOADED_AT
    )


def _writer_properties() -> Any:
    from deltalake import WriterProperties

    return WriterProperties(compression="ZSTD", compression_level=3)


def child(op: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run one measured operation; return its seconds and metrics."""
    from deltalake import DeltaTable, write_deltalake

    from sluiceway.spec.materializations import Merge

    data = pq.read_table(args["data"])
    metrics: dict[str, Any] = {}
    lake = _lake(Path(args["root"])) if "root" in args else None
    # A platform process has its modules loaded: import them before the clock starts.
    import sluiceway.lake.materializations.append
    import sluiceway.lake.materializations.merge  # noqa: F401

    start, cpu = time.perf_counter(), time.process_time()
    if op == "write_platform":
        lake.write("bench.t", data, "append", _ctx(1))
    elif op == "write_raw":
        write_deltalake(args["uri"], data, writer_properties=_writer_properties())
    elif op == "merge_platform":
        if "strategy" in args:
            _force_strategy(args["strategy"])
        spec = Merge(type="merge", keys=args["keys"])
        result = lake.write("bench.t", data, spec, _ctx(args["batch"]))
        metrics = {
            k: v for k, v in result.metrics.items() if k.startswith("num_") or k == "strategy"
        }
    elif op == "merge_raw":
        dt = DeltaTable(args["uri"])
        predicate = " AND ".join(f"t.{k} = s.{k}" for k in args["keys"])
        metrics = (
            dt.merge(
                data,
                predicate,
                source_alias="s",
                target_alias="t",
                writer_properties=_writer_properties(),
            )
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
    else:
        raise SystemExit(f"unknown op {op}")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "rss_mb": _peak_rss_mb(), "metrics": metrics}


def _force_strategy(name: str) -> None:
    """Make the merge policy pick ``name`` wherever both strategies apply."""
    from sluiceway.lake import merge_policy

    decision = merge_policy.Decision(merge_policy.Strategy(name), "forced by the benchmark")
    choose = merge_policy.choose

    def forced(refusal: str | None, *args: Any, **kwargs: Any) -> Any:
        return choose(refusal, *args, **kwargs) if refusal else decision

    merge_policy.choose = forced  # type: ignore[assignment]


def measure(op: str, env: dict[str, str] | None = None, **args: Any) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", op, json.dumps(args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{op} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- scenarios


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    return path


def copy_table(src: Path, dst: Path) -> Path:
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    return dst


def alternate(rounds: int, platform: Any, baseline: Any) -> tuple[list[dict], list[dict]]:
    plat: list[dict] = []
    base: list[dict] = []
    for r in range(rounds):
        order = [(platform, plat), (baseline, base)]
        for fn, sink in order if r % 2 == 0 else reversed(order):
            sink.append(fn())
            done = sink[-1]
            print(
                f"  round {r + 1}: {fn.__name__} {done['seconds']:.2f} s, cpu {done['cpu']:.2f} s,"
                f" {done['rss_mb']:.0f} MB, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    return plat, base


def median(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def bench_write(rows: int, rounds: int) -> dict[str, Any]:
    data = WORK / "table.parquet"
    pq.write_table(table_data(rows), data)
    lake_root, raw = WORK / "w-lake", WORK / "w-raw"

    def platform() -> dict:
        return measure("write_platform", root=str(fresh(lake_root)), data=str(data))

    def baseline() -> dict:
        return measure("write_raw", uri=str(fresh(raw)), data=str(data))

    plat, base = alternate(rounds, platform, baseline)
    return {"platform": plat, "baseline": base}


def bench_merge(rows: int, rounds: int) -> dict[str, Any]:
    data, changes = WORK / "table.parquet", WORK / "changes.parquet"
    pq.write_table(change_data(rows, rows // 10), changes)
    # Base tables, built once by each path; every round merges into a fresh copy.
    base_lake, base_raw = fresh(WORK / "m-base-lake"), fresh(WORK / "m-base-raw")
    measure("merge_platform", root=str(base_lake), data=str(data), keys=["id"], batch=1)
    measure("write_raw", uri=str(base_raw), data=str(data))
    lake_root, raw = WORK / "m-lake", WORK / "m-raw"

    def platform() -> dict:
        copy_table(base_lake, lake_root)
        return measure(
            "merge_platform", root=str(lake_root), data=str(changes), keys=["id"], batch=2
        )

    def baseline() -> dict:
        copy_table(base_raw, raw)
        return measure("merge_raw", uri=str(raw), data=str(changes), keys=["id"])

    plat, base = alternate(rounds, platform, baseline)
    return {"platform": plat, "baseline": base}


def update_data(n: int, changes: int) -> pa.Table:
    """``changes`` updates of distinct keys spread over [0, n), every value changed."""
    i = pa.array(range(changes), pa.int64())
    x = pc.add(pc.multiply(i, 1_000_003), 12_345)
    return rows_for(pc.subtract(x, pc.multiply(pc.divide(x, n), n)), 1)


POLICY_SHARES = (0.01, 0.1, 0.5)


def bench_policy(rows: int, rounds: int) -> dict[str, Any]:
    """Copy-on-write vs MERGE, both through ``Lake.write``, on the merge benchmark's table."""
    base_lake, lake_root = WORK / "m-base-lake", WORK / "p-lake"
    out: dict[str, Any] = {}
    for share in POLICY_SHARES:
        changes = WORK / f"updates-{share}.parquet"
        pq.write_table(update_data(rows, int(rows * share)), changes)
        print(f" policy {share:.0%}", flush=True)

        def run(strategy: str, changes: Path = changes) -> dict:
            copy_table(base_lake, lake_root)
            return measure(
                "merge_platform",
                root=str(lake_root),
                data=str(changes),
                keys=["id"],
                batch=2,
                strategy=strategy,
            )

        def copy_on_write() -> dict:
            return run("copy_on_write")

        def merge() -> dict:
            return run("merge")

        cow, mrg = alternate(rounds, copy_on_write, merge)
        out[str(share)] = {"platform": cow, "baseline": mrg}
    return out


def tpch_tables(sf: float) -> pa.Table:
    folder = WORK / f"tpch-sf{sf}"
    if not (folder / "lineitem.parquet").exists():
        tool = Path(sys.executable).with_name("tpchgen-cli")
        subprocess.run(
            [str(tool), "parquet", "-s", str(sf), "--tables=lineitem,orders", "-o", str(folder)],
            check=True,
        )
    lineitem = _plain_strings(pq.read_table(folder / "lineitem.parquet"))
    orders = _plain_strings(pq.read_table(folder / "orders.parquet"))
    joined = lineitem.join(orders, "l_orderkey", "o_orderkey", join_type="inner")
    return joined.sort_by([(k, "ascending") for k in TPCH_KEYS]).combine_chunks()


def _plain_strings(table: pa.Table) -> pa.Table:
    """string_view columns as plain strings (Acero joins do not take string_view)."""
    schema = pa.schema(
        [
            pa.field(f.name, pa.string()) if pa.types.is_string_view(f.type) else f
            for f in table.schema
        ]
    )
    return table.cast(schema)


def tpch_changes(table: pa.Table, kind: str) -> pa.Table:
    """1% of the rows, as whole orders: a contiguous run of orders, or orders spread out."""
    orders = pc.unique(table.column("l_orderkey"))
    want = max(1, len(orders) // 100)
    if kind == "contiguous":
        start = len(orders) // 3
        picked = orders.slice(start, want)
    else:
        step = len(orders) // want
        picked = pc.take(orders, pa.array(range(0, step * want, step), pa.int64()))
    rows = table.filter(pc.is_in(table.column("l_orderkey"), value_set=picked))
    i = rows.column_names.index("l_quantity")
    quantity = pc.add(rows.column("l_quantity"), 1).cast(rows.schema.field(i).type)
    rows = rows.set_column(i, "l_quantity", quantity)
    return rows.set_column(
        rows.column_names.index("l_comment"),
        "l_comment",
        pc.binary_join_element_wise(rows.column("l_comment"), "*", ""),
    )


def bench_tpch(sf: float, rounds: int) -> dict[str, Any]:
    table = tpch_tables(sf)
    data = WORK / "tpch.parquet"
    pq.write_table(table, data)
    env = {"BENCH_FILE_SIZE": str(TPCH_FILE_SIZE)}
    base_lake, base_raw = fresh(WORK / "t-base-lake"), fresh(WORK / "t-base-raw")
    measure("merge_platform", env, root=str(base_lake), data=str(data), keys=TPCH_KEYS, batch=1)
    from deltalake import DeltaTable, write_deltalake

    write_deltalake(
        base_raw, table, target_file_size=TPCH_FILE_SIZE, writer_properties=_writer_properties()
    )
    files = {
        "platform": len(DeltaTable(str(base_lake / "prod" / "bench" / "t")).file_uris()),
        "baseline": len(DeltaTable(str(base_raw)).file_uris()),
    }
    out: dict[str, Any] = {"rows": table.num_rows, "files": files}
    del table
    lake_root, raw = WORK / "t-lake", WORK / "t-raw"
    for kind in ("contiguous", "random"):
        changes = WORK / f"tpch-{kind}.parquet"
        pq.write_table(tpch_changes(pq.read_table(data), kind), changes)
        print(f" TPC-H {kind}", flush=True)

        def platform(changes: Path = changes) -> dict:
            copy_table(base_lake, lake_root)
            return measure(
                "merge_platform",
                env,
                root=str(lake_root),
                data=str(changes),
                keys=TPCH_KEYS,
                batch=2,
            )

        def baseline(changes: Path = changes) -> dict:
            copy_table(base_raw, raw)
            return measure("merge_raw", uri=str(raw), data=str(changes), keys=TPCH_KEYS)

        plat, base = alternate(rounds, platform, baseline)
        out[kind] = {
            "platform": plat,
            "baseline": base,
            "changed": pq.read_metadata(changes).num_rows,
        }
    return out


# ---------------------------------------------------------------- report


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×"


def report(
    args: argparse.Namespace,
    write: dict,
    merge: dict,
    tpch: dict | None,
    load: tuple,
    policy: dict | None = None,
) -> str:
    sys.path.insert(0, str(HERE))
    import deltalake
    from _machine import describe

    lines = [
        "# Lake benchmark: platform paths vs plain delta-rs",
        "",
        f"Produced by `.venv/bin/python benchmarks/lake.py {' '.join(sys.argv[1:])}`"
        f" (medians of {args.rounds} rounds; platform and baseline alternate, each measurement in"
        " a fresh child process). Full run: `.venv/bin/python benchmarks/lake.py --rows 10000000`.",
        "",
        "## Machine",
        "",
        f"- {describe()}",
        f"- deltalake {deltalake.__version__}, pyarrow {pa.__version__}",
        f"- load average (1, 5, 15 min) at the start: {', '.join(f'{x:.1f}' for x in load)};"
        f" at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
        " (the machine is shared: other processes ran during the measurements)",
        "",
        "## Write and merge",
        "",
        "| operation | platform s | baseline s | time ratio | platform CPU s | baseline CPU s"
        " | CPU ratio | platform peak MB | baseline peak MB | memory ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, res in (
        (f"write {args.rows:,} rows × 10 cols", write),
        (f"merge {args.rows // 10:,} changed rows into {args.rows:,}", merge),
    ):
        ps, bs = median(res["platform"], "seconds"), median(res["baseline"], "seconds")
        pc_, bc = median(res["platform"], "cpu"), median(res["baseline"], "cpu")
        pm, bm = median(res["platform"], "rss_mb"), median(res["baseline"], "rss_mb")
        lines.append(
            f"| {label} | {ps:.2f} | {bs:.2f} | {_ratio(ps, bs)} | {pc_:.2f} | {bc:.2f}"
            f" | {_ratio(pc_, bc)} | {pm:,.0f} | {bm:,.0f} | {_ratio(pm, bm)} |"
        )
    m = merge["platform"][0]["metrics"]
    lines += [
        "",
        '- write: platform = `Lake.write(table, data, "append", ctx)` (lineage columns, schema'
        " plan, app transaction); baseline = `write_deltalake(uri, data)`.",
        "- merge: platform = `Lake.write(table, changes, Merge(keys=[id]), ctx)` into a table the"
        ' platform created (so it has `_sw_row_hash`); baseline = `dt.merge(changes, "t.id = s.id")'
        ".when_matched_update_all().when_not_matched_insert_all()` into a table `write_deltalake`"
        " created. Changes: 90% updates of keys spread over the whole key range, 10% new keys,"
        f" every value changed (platform merge: {m.get('num_target_rows_updated', '?'):,} updated,"
        f" {m.get('num_target_rows_inserted', '?'):,} inserted, strategy"
        f" `{m.get('strategy', '?')}`).",
        "- peak MB is the child's VmHWM, which includes reading the input Parquet file; CPU s is"
        " the child's user + system time during the operation (all threads).",
    ]
    if policy:
        lines += [
            "",
            "## Copy-on-write vs MERGE (the merge policy's data)",
            "",
            f"Both through `Lake.write` into the {args.rows:,}-row table of the merge benchmark,"
            " strategy forced; updates of keys spread over every file, every value changed.",
            "",
            "| batch | copy-on-write s | MERGE s | time ratio | copy-on-write CPU s | MERGE CPU s"
            " | CPU ratio | copy-on-write peak MB | MERGE peak MB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for share, res in policy.items():
            ps, bs = median(res["platform"], "seconds"), median(res["baseline"], "seconds")
            pc_, bc = median(res["platform"], "cpu"), median(res["baseline"], "cpu")
            pm, bm = median(res["platform"], "rss_mb"), median(res["baseline"], "rss_mb")
            lines.append(
                f"| {float(share):.0%} of the rows | {ps:.2f} | {bs:.2f} | {_ratio(ps, bs)}"
                f" | {pc_:.2f} | {bc:.2f} | {_ratio(pc_, bc)} | {pm:,.0f} | {bm:,.0f} |"
            )
    if tpch:
        lines += [
            "",
            f"## TPC-H SF {args.sf}: `lineitem ⋈ orders`, merge 1% changed rows",
            "",
            f"{tpch['rows']:,} rows sorted by `l_orderkey, l_linenumber`, keys"
            f" `(l_orderkey, l_linenumber)`, {TPCH_FILE_SIZE // 2**20} MiB target files"
            f" ({tpch['files']['platform']} files platform, {tpch['files']['baseline']} baseline)."
            " Each round merges into a fresh copy of the table.",
            "",
            "| changed rows | platform s | plain MERGE s | time ratio | platform CPU s"
            " | plain CPU s | CPU ratio | platform peak MB | plain peak MB | platform strategy"
            " | platform files removed/added | plain files removed/added |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
        ]
        for kind in ("contiguous", "random"):
            res = tpch[kind]
            ps, bs = median(res["platform"], "seconds"), median(res["baseline"], "seconds")
            pc_, bc = median(res["platform"], "cpu"), median(res["baseline"], "cpu")
            pr, br = median(res["platform"], "rss_mb"), median(res["baseline"], "rss_mb")
            pm, bm = res["platform"][0]["metrics"], res["baseline"][0]["metrics"]
            lines.append(
                f"| {res['changed']:,} ({kind} orders) | {ps:.2f} | {bs:.2f} | {_ratio(ps, bs)}"
                f" | {pc_:.2f} | {bc:.2f} | {_ratio(pc_, bc)} | {pr:,.0f} | {br:,.0f}"
                f" | `{pm.get('strategy', '?')}`"
                f" | {pm['num_target_files_removed']}/{pm['num_target_files_added']}"
                f" | {bm['num_target_files_removed']}/{bm['num_target_files_added']} |"
            )
        lines += [
            "",
            "- contiguous: 1% of the orders, consecutive order keys (a day's late updates);"
            " random: 1% of the orders, evenly spread over the key range.",
            "- copy-on-write reads only the files whose key range (from the log's statistics)"
            " holds a changed key, first their keys and hashes only, then rewrites the files"
            " with a changed row in place; a spread-out change touches every file, a contiguous"
            " one a single file. The plain MERGE is not narrowed (`t.k = s.k` only).",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sf", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true", help="200k rows, TPC-H SF 0.01")
    parser.add_argument("--skip-tpch", action="store_true")
    parser.add_argument("--policy", action="store_true", help="also copy-on-write vs MERGE")
    parser.add_argument("--child", nargs=2, metavar=("OP", "ARGS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], json.loads(args.child[1]))))
        return
    if args.quick:
        args.rows, args.sf = 200_000, 0.01
    WORK.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(f"write {args.rows:,} rows", flush=True)
    write = bench_write(args.rows, args.rounds)
    print(f"merge {args.rows // 10:,} rows", flush=True)
    merge = bench_merge(args.rows, args.rounds)
    tpch = None if args.skip_tpch else bench_tpch(args.sf, args.rounds)
    policy = bench_policy(args.rows, args.rounds) if args.policy else None
    text = report(args, write, merge, tpch, load, policy)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
