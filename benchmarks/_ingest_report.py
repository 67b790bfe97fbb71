"""The Markdown results of the ingest benchmark (``benchmarks/ingest.py``)."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
"""The repository's root: stripped from the paths shown in the results."""
OVERHEAD = 1.15
"""Target: the platform's total ≤ 1.15 × the baseline's (overhead ≤ 15%)."""
PEAK_MIB = 2048
"""Target: peak RSS ≤ 2 GB at the big scale (read as 2 GiB; ``VmHWM`` is in KiB)."""
SIDES = {
    "platform": "platform",
    "zstd": "baseline, zstd 3 + 128 MiB files",
    "default": "baseline, delta-rs defaults",
    "snappy": "platform, `compression: snappy`",
}
SAME_OUTPUT = {"zstd": "platform", "default": "snappy"}
"""Which platform side writes what each baseline writes (codec and file size)."""


def median(results: list[dict], key: str) -> float:
    return statistics.median(r["total"][key] for r in results)


def report(args: argparse.Namespace, found: dict[str, Any]) -> str:
    runs: dict[str, list[dict]] = found["runs"]
    lines = [
        "# Ingest benchmark: TPC-H lineitem.csv into Delta, platform vs raw DuckDB + delta-rs",
        "",
        f"Produced by `.venv/bin/python benchmarks/ingest.py {' '.join(sys.argv[1:])}`"
        f" (medians of {args.rounds} rounds; the sides take turns, the order rotated"
        " every round, each measurement in a fresh child process on a fresh output).",
        "",
        *_machine(args, found),
        "",
        f"## TPC-H SF {args.scale:g}: `lineitem.csv` ({found['csv_bytes'] / 2**20:,.0f} MiB)"
        " into a Delta table",
        "",
        *_time_table(runs),
        "",
        *_verdicts(runs),
        "",
        *_round_table(runs),
        "",
        '- platform: `run_pipeline(load_project(root), "ingest", open_project_store(project))`'
        " on a fresh project (new lake and metadata store; the landing file shared,"
        " `on_processed: keep`); one `ingest` step, `source: {type: files, glob:"
        ' "lineitem/*.csv", format: csv}`, no contract (types inferred by DuckDB\'s sniffer);'
        " total = from `load_project` to the store closed.",
        "- baselines: `duckdb.connect()` with the engine's settings"
        " (`preserve_insertion_order=false`),"
        " `rel = con.sql(\"SELECT * FROM read_csv('…/lineitem.csv', header=true)\")`,"
        " `write_deltalake(uri, rel.to_arrow_reader(), …)` (`to_arrow_reader` is DuckDB 2.0's"
        " name for the deprecated `fetch_record_batch`: the same stream of record batches):"
        " with zstd level 3 and 128 MiB target files (what the platform writes), and with"
        " delta-rs's defaults (snappy). Total = from `duckdb.connect` to the commit written.",
        "- Modules are imported before the clock starts on every side. CPU s: user + system"
        " time of the child process, every thread. Peak MiB: the child's `VmHWM` (DuckDB's"
        " memory is in the process).",
        "- Checked after every measurement: the Delta log holds exactly the file's rows"
        " (6,001,215 at SF 1); for the platform the ledger records the file as loaded with"
        " `rows_read = rows_loaded + rows_quarantined`.",
    ]
    if found.get("contract"):
        lines += _contract_lines(found["contract"], runs)
    if found.get("profile"):
        lines += _profile_lines(found["profile"])
    if found.get("variants"):
        lines += _variant_lines(found["variants"])
    if found.get("big"):
        lines += _big_lines(found["big"])
    return "\n".join(lines) + "\n"


def _machine(args: argparse.Namespace, found: dict[str, Any]) -> list[str]:
    import deltalake
    import duckdb  # noqa: TID251
    import pyarrow as pa
    from _machine import describe

    import sluiceway

    measured = [r for side in found["runs"].values() for r in side]
    for key in ("contract", "profile"):
        if found.get(key):
            measured.append(found[key])
    measured += found.get("variants", []) + found.get("big", {}).get("runs", [])
    loads = [r["load"] for r in measured]
    others = [r["others"] for r in measured]
    waits = [r["waited"] for r in measured]
    return [
        "## Machine",
        "",
        f"- {describe()}",
        f"- duckdb {duckdb.__version__}, deltalake {deltalake.__version__},"
        f" pyarrow {pa.__version__}",
        f"- sluiceway measured: {_source(Path(sluiceway.__file__).parent)}"
        + (f"; {args.note}" if args.note else ""),
        f"- the machine is shared: 1-minute load average when each measurement started"
        f" {min(loads):.1f}–{max(loads):.1f} (at the end: {os.getloadavg()[0]:.1f}); other"
        f" processes kept {min(others):.2f}–{max(others):.2f} of the {os.cpu_count()} cores"
        f" busy on average during a measurement (median {statistics.median(others):.2f})."
        f" Each measurement waited (at most {max(waits):.0f} s here, limit"
        f" {args.quiet_wait:.0f} s) for other processes to use < {args.quiet_cores} cores.",
    ]


def _source(package: Path) -> str:
    """Where sluiceway was imported from, and the repository's commit."""
    repo = Path(__file__).resolve().parent.parent

    def git(*argv: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(repo), *argv], capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    changed = len(git("status", "--porcelain", "src").splitlines())
    if package.is_relative_to(repo / "src"):
        where = "the working tree's `src/`"
        state = f", {changed} uncommitted change(s) under `src/`" if changed else ", clean"
        return f"{where} at commit {commit}{state}"
    shown = package.relative_to(repo) if package.is_relative_to(repo) else package
    return (
        f"`{shown}` (via PYTHONPATH), not the working tree; the repository is at commit"
        f" {commit}, with {changed} uncommitted change(s) under `src/` at the end of the run"
    )


def _time_table(runs: dict[str, list[dict]]) -> list[str]:
    platform = median(runs["platform"], "seconds")
    platform_cpu = median(runs["platform"], "cpu")
    lines = [
        "| side | total s | CPU s | peak MiB | platform ÷ side (time) | platform ÷ side (CPU) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for side, label in SIDES.items():
        seconds, cpu = median(runs[side], "seconds"), median(runs[side], "cpu")
        peak = median(runs[side], "rss_mb")
        mine = side in ("platform", "snappy")
        ratio = "—" if mine else f"{platform / seconds:.2f}×"
        cpu_ratio = "—" if mine else f"{platform_cpu / cpu:.2f}×"
        lines.append(
            f"| {label} | {seconds:.2f} | {cpu:.1f} | {peak:,.0f} | {ratio} | {cpu_ratio} |"
        )
    return lines


def _verdicts(runs: dict[str, list[dict]]) -> list[str]:
    lines = [f"Target: overhead ≤ {100 * (OVERHEAD - 1):.0f}% (platform ≤ {OVERHEAD}× baseline)."]
    for side, mine in [("zstd", "platform"), ("default", "platform"), ("default", "snappy")]:
        platform = median(runs[mine], "seconds")
        ratio = platform / median(runs[side], "seconds")
        best = min(r["total"]["seconds"] for r in runs[mine]) / min(
            r["total"]["seconds"] for r in runs[side]
        )
        verdict = (
            f"**met** ({100 * (ratio - 1):+.0f}%)"
            if ratio <= OVERHEAD
            else f"**missed**: overhead {100 * (ratio - 1):.0f}%; the platform would need"
            f" {100 * (1 - OVERHEAD / ratio):.0f}% less time"
        )
        cpu = median(runs[mine], "cpu") / median(runs[side], "cpu")
        same = " (the same codec and files)" if SAME_OUTPUT[side] == mine else ""
        lines.append(
            f"- {SIDES[mine]} against the {SIDES[side]}{same}: {verdict}"
            f" (best run against best run {best:.2f}×;"
            f" CPU time, which other processes disturb less, {cpu:.2f}×)"
        )
    return lines


def _round_table(runs: dict[str, list[dict]]) -> list[str]:
    lines = [
        "Every measurement (s; CPU s; peak MiB; cores other processes kept busy):",
        "",
        "| round | " + " | ".join(SIDES.values()) + " |",
        "|---|" + "---:|" * len(SIDES),
    ]
    for r in range(len(runs["platform"])):
        cells = []
        for side in SIDES:
            x = runs[side][r]
            t = x["total"]
            cells.append(
                f"{t['seconds']:.2f}; {t['cpu']:.1f}; {t['rss_mb']:,.0f}; {x['others']:.2f}"
            )
        lines.append(f"| {r + 1} | " + " | ".join(cells) + " |")
    return lines


def _contract_lines(contract: dict[str, Any], runs: dict[str, list[dict]]) -> list[str]:
    t = contract["total"]
    inferred = median(runs["platform"], "seconds")
    zstd = median(runs["zstd"], "seconds")
    default = median(runs["default"], "seconds")
    return [
        "",
        "## With a declared contract (once)",
        "",
        "The same step with `contract:` listing the 16 lineitem columns (`bigint` keys"
        " `required`, `decimal(15,2)` amounts, `date`s, `varchar`s):"
        f" {t['seconds']:.2f} s, {t['cpu']:.1f} CPU s, peak {t['rss_mb']:,.0f} MiB,"
        f" {contract['rows']:,} rows, {contract['mb']:.0f} MiB in the table"
        f" (inferred types: median {inferred:.2f} s). Against the baselines' medians:"
        f" {t['seconds'] / zstd:.2f}× (zstd 3) and {t['seconds'] / default:.2f}× (defaults);"
        f" others kept {contract['others']:.2f} cores busy.",
    ]


def _profile_lines(profile: dict[str, Any]) -> list[str]:
    run, timings = profile["run"], profile["timings"]
    total = run["total"]["seconds"]
    lines = [
        "",
        "## Where the platform's time goes (one profiled run)",
        "",
        f"Total {total:.2f} s ({run['total']['cpu']:.1f} CPU s, peak"
        f" {run['total']['rss_mb']:,.0f} MiB; others kept {profile['others']:.2f} cores busy)."
        " Inclusive wall times of the wrapped functions; indented rows are inside the row"
        " above. The hash runs on its own thread while DuckDB parses: its time overlaps the"
        f" COPY's (its CPU time: {profile['hash_cpu']:.1f} s).",
        "",
        "| part | s | share |",
        "|---|---:|---:|",
    ]
    seen = set()
    for label, depth in profile["rows"]:
        if label in seen or label not in timings:
            continue
        seen.add(label)
        indent = "&nbsp;&nbsp;" * depth
        seconds = timings[label]
        lines.append(f"| {indent}{label} | {seconds:.2f} | {100 * seconds / total:.0f}% |")
    if profile.get("missing"):
        lines += ["", f"Not found in this source (not timed): {', '.join(profile['missing'])}."]
    lines += [
        "",
        "DuckDB statements the step ran (wall s, CPU s of the process meanwhile):",
        "",
        "| statement | s | CPU s |",
        "|---|---:|---:|",
    ]
    for statement in profile["statements"]:
        # Paths as the repository names them, not where this checkout happens to be.
        sql = " ".join(statement["sql"].split()).replace(f"{REPO}/", "")
        shown = sql if len(sql) <= 110 else sql[:70] + " … " + sql[-35:]
        shown = shown.replace("|", "\\|")
        lines.append(f"| `{shown}` | {statement['seconds']:.2f} | {statement['cpu']:.1f} |")
    return lines


def _variant_lines(variants: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "## The platform's parse-and-stage `COPY`, taken apart (once each)",
        "",
        "Run alone in raw DuckDB (a fresh process each; the types the sniffer infers, given"
        " as `columns` with `auto_detect=false`, as the platform does; zstd 3, 128 MiB files)."
        " Each row drops one more ingredient than the row above.",
        "",
        "| COPY | s | CPU s | peak MiB | MiB written |",
        "|---|---:|---:|---:|---:|",
    ]
    for v in variants:
        lines.append(
            f"| {v['label']} | {v['seconds']:.2f} | {v['cpu']:.1f} | {v['rss_mb']:,.0f}"
            f" | {v['mb']:.0f} |"
        )
    return lines


def _big_lines(big: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"## TPC-H SF {big['scale']:g}: memory",
        "",
        f"`lineitem.csv` at SF {big['scale']:g}: {big['csv_bytes'] / 2**30:.2f} GiB"
        f" ({big['csv_bytes']:,} bytes; generated in {big['generate_seconds']:.0f} s,"
        f" {big['free_gib_before']:.0f} GiB free before; deleted after the measurements)."
        f" Target: peak RSS ≤ 2 GB (read as {PEAK_MIB:,} MiB of `VmHWM`).",
        "",
        "| run | memory_limit | s | CPU s | peak MiB | target | rows | table MiB | others |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for run in big["runs"]:
        t = run["total"]
        verdict = "**met**" if t["rss_mb"] <= PEAK_MIB else "**missed**"
        lines.append(
            f"| platform | {run['memory_limit'] or 'DuckDB default (80% of RAM)'}"
            f" | {t['seconds']:.1f} | {t['cpu']:.1f} | {t['rss_mb']:,.0f} | {verdict}"
            f" | {run['rows']:,} | {run['table_mb']:.0f} | {run['others']:.2f} |"
        )
    if big.get("baseline"):
        b = big["baseline"]
        t = b["total"]
        lines.append(
            f"| baseline zstd 3 | DuckDB default | {t['seconds']:.1f} | {t['cpu']:.1f}"
            f" | {t['rss_mb']:,.0f} | — | {b['rows']:,} | {b['mb']:.0f} | {b['others']:.2f} |"
        )
    for run in big["runs"]:
        trace = run.get("rss_trace") or []
        if not trace:
            continue
        step = max(1, len(trace) // 12)
        points = ", ".join(f"{s:.0f} s {mb:,.0f}" for s, mb in trace[::step])
        lines += [
            "",
            f"RSS over time, memory_limit {run['memory_limit'] or 'default'} (s MiB): {points}.",
        ]
    return lines
