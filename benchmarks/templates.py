"""Template expansion: one template × N parameter rows vs N hand-written pipeline files.

Targets (issue: foundation): 40 rows expand to 40 valid pipelines in under 1 s; a 1,000-row
project validates in ≤ 5 s. The baseline is the same N pipelines written out as plain files,
so the ratio is what parametrization costs over writing everything by hand. Both are loaded
with ``load_project`` (parse, expand, validate every model and reference), alternating.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe

from sluiceway.spec import load_project

ROUNDS = 7
SIZES = (40, 1000)
SETTINGS = "name: bench\n"
TEMPLATE = """\
name: ingest_{{ source }}
description: Load {{ source }} from the landing zone
parameters: params/sources.csv
on:
  - {type: files, glob: "{{ source }}/*.csv"}
  - {type: schedule, cron: "0 {{ hour }} * * *", timezone: Europe/Paris}
steps:
  - name: load
    type: ingest
    table: raw.{{ source }}
    source: {type: files, glob: "{{ source }}/*.csv", format: csv}
  - name: clean
    type: sql
    sql: sql/clean.sql
    table: silver.{{ source }}
    materialization: {type: merge, keys: [id]}
    checks:
      - {type: not_null, columns: [id]}
      - {type: unique, columns: [id], severity: block}
      - {type: range, column: amount, min: 0}
"""


def _plain(source: str, hour: int) -> str:
    text = TEMPLATE.replace("parameters: params/sources.csv\n", "")
    return text.replace("{{ source }}", source).replace("{{ hour }}", str(hour))


def build(root: Path, rows: int, *, template: bool) -> Path:
    """Write a project with ``rows`` ingestion pipelines, as one template or as plain files."""
    (root / "pipelines").mkdir(parents=True)
    (root / "sql").mkdir()
    (root / "sluiceway.yaml").write_text(SETTINGS)
    (root / "sql" / "clean.sql").write_text("SELECT * FROM raw.orders\n")
    sources = [(f"source_{i:04d}", i % 24) for i in range(rows)]
    if template:
        (root / "params").mkdir()
        lines = ["source,hour", *(f"{s},{h}" for s, h in sources)]
        (root / "params" / "sources.csv").write_text("\n".join(lines) + "\n")
        (root / "pipelines" / "ingest.yaml").write_text(TEMPLATE)
    else:
        for source, hour in sources:
            (root / "pipelines" / f"{source}.yaml").write_text(_plain(source, hour))
    return root


def timed(root: Path, rows: int) -> float:
    """Seconds for one ``load_project``, checking it produced ``rows`` pipelines."""
    started = time.perf_counter()
    project = load_project(root)
    elapsed = time.perf_counter() - started
    assert len(project.pipelines) == rows, len(project.pipelines)
    return elapsed


def main() -> None:
    """Measure each size, template and plain files alternately, and report medians."""
    lines = [
        "# Template expansion",
        "",
        f"Machine: {describe()}. `load_project` (parse, expand, validate), {ROUNDS} alternating"
        " rounds after one warm-up, medians.",
        "",
        "| pipelines | one template + CSV | N plain files (baseline) | ratio |",
        "|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for rows in SIZES:
            template = build(Path(tmp) / f"t{rows}", rows, template=True)
            plain = build(Path(tmp) / f"p{rows}", rows, template=False)
            timed(template, rows), timed(plain, rows)
            samples: dict[str, list[float]] = {"template": [], "plain": []}
            for _ in range(ROUNDS):
                samples["template"].append(timed(template, rows))
                samples["plain"].append(timed(plain, rows))
            t, p = (statistics.median(samples[k]) for k in ("template", "plain"))
            lines.append(f"| {rows} | {t * 1000:.0f} ms | {p * 1000:.0f} ms | {t / p:.2f}× |")
    lines += ["", "Targets: 40 pipelines < 1 s; 1,000 pipelines ≤ 5 s."]
    report = "\n".join(lines) + "\n"
    print(report)
    out = Path(__file__).parent / "results" / "templates.md"
    out.write_text(report)


if __name__ == "__main__":
    main()
