"""The project-wide dependency graph: ``build_graph`` on one template × N rows.

Target (issue: dependency graph): 1,000 pipelines, each an ingest step and a sql step whose
SQL reads its own raw table, build in well under 5 s. The baseline is ``load_project`` of
the same project (parse, expand, validate), which every command pays before the graph; the
graph's own cost is rendering and parsing each step's SQL, as a run infers what it reads.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe

from sluiceway.orchestrate.graph_build import build_graph
from sluiceway.spec import load_project

ROUNDS = 5
SIZES = (100, 1000)
TEMPLATE = """\
name: p_{{ source }}
parameters: params/sources.csv
steps:
  - name: load
    type: ingest
    table: raw.{{ source }}
    source: {type: files, glob: "{{ source }}/*.csv", format: csv}
  - name: clean
    type: sql
    sql: sql/clean.sql
    table: silver.{{ source }}
"""
SQL = """\
SELECT id, lower(trim(name)) AS name, amount
FROM raw.{{ params.source }}
WHERE amount >= 0
"""


def build(root: Path, rows: int) -> Path:
    """Write a project of one template with ``rows`` parameter rows."""
    for folder in ("pipelines", "params", "sql"):
        (root / folder).mkdir(parents=True)
    (root / "sluiceway.yaml").write_text("name: bench\n")
    (root / "sql" / "clean.sql").write_text(SQL)
    lines = ["source", *(f"source_{i:04d}" for i in range(rows))]
    (root / "params" / "sources.csv").write_text("\n".join(lines) + "\n")
    (root / "pipelines" / "template.yaml").write_text(TEMPLATE)
    return root


def timed(root: Path, rows: int) -> tuple[float, float]:
    """Seconds for ``load_project``, then for ``build_graph`` of the loaded project."""
    started = time.perf_counter()
    project = load_project(root)
    loaded = time.perf_counter()
    graph = build_graph(project)
    built = time.perf_counter()
    assert len(graph.pipelines) == rows and len(graph.steps) == 2 * rows, len(graph.steps)
    return loaded - started, built - loaded


def main() -> None:
    """Measure each size ROUNDS times after one warm-up, and report medians."""
    lines = [
        "# Dependency graph",
        "",
        f"Machine: {describe()}. One template × N rows (an ingest and a sql step each), "
        f"{ROUNDS} rounds after one warm-up, medians. `build_graph` renders and parses every "
        "sql step's SQL to infer what it reads; `load_project` is the baseline.",
        "",
        "| pipelines | `load_project` (baseline) | `build_graph` | ratio | per pipeline |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for rows in SIZES:
            root = build(Path(tmp) / f"p{rows}", rows)
            timed(root, rows)
            samples = [timed(root, rows) for _ in range(ROUNDS)]
            load = statistics.median(s[0] for s in samples)
            graph = statistics.median(s[1] for s in samples)
            lines.append(
                f"| {rows} | {load * 1000:.0f} ms | {graph * 1000:.0f} ms | "
                f"{graph / load:.2f}× | {graph / rows * 1000:.2f} ms |"
            )
    lines += ["", "Target: 1,000 pipelines well under 5 s."]
    report = "\n".join(lines) + "\n"
    print(report)
    out = Path(__file__).parent / "results" / "graph.md"
    out.write_text(report)


if __name__ == "__main__":
    main()
