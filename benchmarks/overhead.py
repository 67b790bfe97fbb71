"""Orchestration overhead: a chain of 100 trivial SQL steps, and a 1,000-pipeline project.

Run: ``.venv/bin/python benchmarks/overhead.py [--steps 100] [--rounds 3] [--pipelines 1000]``.
Writes ``benchmarks/results/overhead.md``.

Targets (issue: event-driven orchestration): per-step orchestration overhead — a run's wall
time minus the time its steps spent in their engines — ≤ 5 ms in-process and ≤ 50 ms in warm
worker processes; a 1,000-pipeline project (one template × 1,000 rows) validates and plans in
≤ 5 s.

- chain: one pipeline whose step ``s000`` writes ``silver.s000`` from ``SELECT 1``, and each
  ``sNNN`` reads the table before it (``SELECT x + 1 AS x FROM silver.s{N-1}``), so the steps
  run strictly one after the other. Each round runs it in-process (``workers=0``) and in two
  warm worker processes (``workers=2``, the pool started before the clock), alternating. The
  tables exist (a warm-up run created them): each run overwrites them, as a scheduled
  pipeline does on every day after its first.
- engine time: what each step measured around its executor (render, DuckDB, staging, the
  Delta commit), summed; overhead is the run's wall time minus that, per step: queueing,
  leases, run and step records, events, the dependency plan, handing steps to workers,
  profiling each commit and recording its metrics.
- baseline: the same 100 statements run by hand in this process: DuckDB over the previous
  Delta table, ``write_deltalake`` of the result — no records, no events, no profile.
- project: ``load_project`` + the SQL analysis ``sluiceway validate`` runs + ``build_graph``
  + each pipeline's step order (the plan), on one template × ``--pipelines`` rows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe  # noqa: E402

RESULTS = HERE / "results" / "overhead.md"


def chain_project(root: Path, steps: int) -> Path:
    """A project with one pipeline of ``steps`` SQL steps, each reading the one before."""
    (root / "pipelines").mkdir(parents=True)
    (root / "sql").mkdir()
    (root / "sluiceway.yaml").write_text("name: overhead\n")
    lines = ["name: chain", "steps:"]
    for i in range(steps):
        sql = "SELECT 1 AS x" if i == 0 else f"SELECT x + 1 AS x FROM silver.s{i - 1:03d}"
        (root / "sql" / f"s{i:03d}.sql").write_text(sql + "\n")
        lines += [
            f"  - name: s{i:03d}",
            "    type: sql",
            f"    sql: sql/s{i:03d}.sql",
            f"    table: silver.s{i:03d}",
        ]
    (root / "pipelines" / "chain.yaml").write_text("\n".join(lines) + "\n")
    return root


def run_chain(root: Path, steps: int, workers: int, pool: Any) -> tuple[float, float]:
    """One run of the chain: (wall seconds, seconds the steps spent in their executors)."""
    from sluiceway.meta.runs import RunRepo
    from sluiceway.meta.store import open_project_store
    from sluiceway.orchestrate.execution import LEASE
    from sluiceway.orchestrate.runner import execute_claimed, owner_id
    from sluiceway.spec import load_project

    project = load_project(root)
    store = open_project_store(project)
    try:
        started = time.perf_counter()
        runs = RunRepo(store)
        run = runs.create("chain", project.env, trigger={"kind": "manual"})
        claimed = runs.claim(run.id, owner_id("bench"), LEASE)
        assert claimed is not None
        report = execute_claimed(project, store, claimed, workers=workers, runner=pool)
        wall = time.perf_counter() - started
    finally:
        store.close()
    assert not report.failed and len(report.steps) == steps, report
    return wall, sum(s.duration_s for s in report.steps)


def run_by_hand(root: Path, steps: int) -> float:
    """The same statements with DuckDB and ``write_deltalake``, nothing else: seconds."""

    import duckdb  # noqa: TID251  (the baseline is DuckDB by hand)
    from deltalake import DeltaTable, write_deltalake
    from pyarrow.fs import LocalFileSystem, SubTreeFileSystem

    out = root / "by_hand"
    started = time.perf_counter()
    con = duckdb.connect()
    for i in range(steps):
        if i == 0:
            result = con.sql("SELECT 1 AS x").to_arrow_table()
        else:
            previous = DeltaTable(str(out / f"s{i - 1:03d}")).to_pyarrow_dataset(
                filesystem=SubTreeFileSystem(str(out / f"s{i - 1:03d}"), LocalFileSystem())
            )
            con.register("previous", previous)
            result = con.sql("SELECT x + 1 AS x FROM previous").to_arrow_table()
            con.unregister("previous")
        write_deltalake(str(out / f"s{i:03d}"), result, mode="overwrite")
    con.close()
    return time.perf_counter() - started


def project_plan(root: Path, pipelines: int) -> tuple[float, float, float]:
    """Seconds to load, to validate (SQL analysis), and to plan (graph + step orders)."""
    from sluiceway.orchestrate.analysis import sql_problems
    from sluiceway.orchestrate.graph_build import build_graph
    from sluiceway.spec import load_project

    started = time.perf_counter()
    project = load_project(root)
    loaded = time.perf_counter()
    problems = sql_problems(project, None)
    validated = time.perf_counter()
    graph = build_graph(project)
    planned = time.perf_counter()
    assert not problems, problems[:3]
    assert len(graph.pipelines) == pipelines
    return loaded - started, validated - loaded, planned - validated


def templated_project(root: Path, rows: int) -> Path:
    """One template (an ingest and a sql step) × ``rows`` parameter rows."""
    for folder in ("pipelines", "params", "sql"):
        (root / folder).mkdir(parents=True)
    (root / "sluiceway.yaml").write_text("name: plan\n")
    (root / "sql" / "clean.sql").write_text(
        "SELECT id, lower(trim(name)) AS name, amount\nFROM raw.{{ params.source }}\n"
        "WHERE amount >= 0\n"
    )
    (root / "params" / "sources.csv").write_text(
        "\n".join(["source", *(f"source_{i:04d}" for i in range(rows))]) + "\n"
    )
    (root / "pipelines" / "template.yaml").write_text(
        "name: p_{{ source }}\nparameters: params/sources.csv\nsteps:\n"
        "  - name: load\n    type: ingest\n    table: raw.{{ source }}\n"
        '    source: {type: files, glob: "{{ source }}/*.csv", format: csv}\n'
        "  - name: clean\n    type: sql\n    sql: sql/clean.sql\n    table: silver.{{ source }}\n"
    )
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pipelines", type=int, default=1000)
    args = parser.parse_args()

    from sluiceway.orchestrate.workers import ProcessSteps

    samples: dict[str, list[tuple[float, float]]] = {"in-process": [], "workers": [], "hand": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = chain_project(Path(tmp) / "chain", args.steps)
        pool = ProcessSteps(2)
        pool.warm()
        try:
            # Warm-up: imports, DuckDB, delta-rs, and the 100 tables created (and, by hand,
            # overwritten): every measured run overwrites tables that exist, as a
            # scheduled pipeline does every day after its first.
            run_chain(root, args.steps, 0, None)
            run_chain(root, args.steps, 2, pool)
            run_by_hand(root, args.steps)
            for round_ in range(args.rounds):
                order = ["in-process", "workers", "hand"]
                order = order[round_ % 3 :] + order[: round_ % 3]
                for side in order:
                    if side == "hand":
                        samples[side].append((run_by_hand(root, args.steps), 0.0))
                    else:
                        workers = 0 if side == "in-process" else 2
                        pool_ = None if workers == 0 else pool
                        samples[side].append(run_chain(root, args.steps, workers, pool_))
                    wall, inside = samples[side][-1]
                    print(f"round {round_ + 1} {side}: {wall:.2f} s wall, {inside:.2f} s in steps")
        finally:
            pool.close()
        plan_root = templated_project(Path(tmp) / "plan", args.pipelines)
        project_plan(plan_root, args.pipelines)
        plans = [project_plan(plan_root, args.pipelines) for _ in range(args.rounds)]

    n = args.steps
    hand = statistics.median(w for w, _ in samples["hand"])
    lines = [
        "# Orchestration overhead",
        "",
        f"Machine: {describe()}. A chain of {n} trivial SQL steps (each reads the table the one "
        f"before wrote), {args.rounds} alternating rounds after one warm-up, medians. Overhead "
        "per step = (run wall time − time the steps spent in their executors) / steps.",
        "",
        "| side | run wall | in steps | overhead per step | wall per step | vs by hand |",
        "|---|---|---|---|---|---|",
    ]
    for side, label in (
        ("in-process", "platform, in-process"),
        ("workers", "platform, 2 warm worker processes"),
    ):
        wall = statistics.median(w for w, _ in samples[side])
        inside = statistics.median(i for _, i in samples[side])
        overhead = statistics.median((w - i) / n for w, i in samples[side])
        lines.append(
            f"| {label} | {wall:.2f} s | {inside:.2f} s | {overhead * 1000:.1f} ms | "
            f"{wall / n * 1000:.1f} ms | {wall / hand:.2f}× |"
        )
    lines.append(
        f"| by hand: DuckDB + `write_deltalake` | {hand:.2f} s | – | – "
        f"| {hand / n * 1000:.1f} ms | 1.00× |"
    )
    load, validate, plan = (statistics.median(p[i] for p in plans) for i in range(3))
    lines += [
        "",
        f"A project of one template × {args.pipelines} rows (an ingest and a sql step each): "
        f"load {load:.2f} s, validate (SQL analysis) {validate:.2f} s, plan (graph) {plan:.2f} s; "
        f"**{load + validate + plan:.2f} s** in all.",
        "",
        "Targets: ≤ 5 ms per step in-process, ≤ 50 ms in worker processes; 1,000 pipelines "
        "validate and plan in ≤ 5 s.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.write_text(report)


if __name__ == "__main__":
    main()
