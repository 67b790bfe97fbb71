"""TPC-H ``lineitem`` as a CSV landing file, and the project the ingest benchmark runs.

``generate`` writes ``<landing>/lineitem/lineitem.csv`` (with a header) once per scale factor
with ``tpchgen-cli`` (installed next to this Python). ``build_project`` writes a fresh
project folder whose ``ingest`` pipeline has one ``ingest`` step loading that file into
``raw.lineitem``: the landing zone is the shared data folder (``on_processed: keep``), the
lake and the metadata store are new every time.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

PIPELINE = "ingest"
STEP = "lineitem"
TABLE = "raw.lineitem"
ROWS_SF1 = 6_001_215

# The lineitem columns as TPC-H defines them; the keys are required.
CONTRACT = """\
      contract:
        columns:
          - {name: l_orderkey, type: bigint, required: true}
          - {name: l_partkey, type: bigint}
          - {name: l_suppkey, type: bigint}
          - {name: l_linenumber, type: integer, required: true}
          - {name: l_quantity, type: "decimal(15,2)"}
          - {name: l_extendedprice, type: "decimal(15,2)"}
          - {name: l_discount, type: "decimal(15,2)"}
          - {name: l_tax, type: "decimal(15,2)"}
          - {name: l_returnflag, type: varchar}
          - {name: l_linestatus, type: varchar}
          - {name: l_shipdate, type: date}
          - {name: l_commitdate, type: date}
          - {name: l_receiptdate, type: date}
          - {name: l_shipinstruct, type: varchar}
          - {name: l_shipmode, type: varchar}
          - {name: l_comment, type: varchar}
"""

PIPELINE_YAML = """\
name: ingest
description: TPC-H line items from the landing zone's CSV file into the raw layer.
steps:
  - name: lineitem
    type: ingest
    table: raw.lineitem
    source:
      type: files
      glob: "lineitem/*.csv"
      format: csv
      on_processed: keep
{contract}"""


def settings(landing: Path, memory_limit: str | None, compression: str | None = None) -> str:
    """``sluiceway.yaml``: a local lake and SQLite store, the shared landing folder."""
    text = (
        "name: ingest_bench\n"
        "lake: ./lake\n"
        "metadata: sqlite:///.sluiceway/metadata.db\n"
        "engine: duckdb\n"
        f"landing: {landing}\n"
        "layers: [raw]\n"
    )
    if memory_limit:
        text += f"engines:\n  duckdb:\n    memory_limit: {memory_limit}\n"
    if compression:
        text += f"table_defaults:\n  compression: {compression}\n"
    return text


def generate(scale: float, landing: Path) -> Path:
    """``lineitem.csv`` at ``scale`` under ``landing/lineitem/`` (generated once)."""
    target = landing / "lineitem" / "lineitem.csv"
    if target.exists():
        return target
    tool = Path(sys.executable).with_name("tpchgen-cli")
    subprocess.run(
        [
            str(tool),
            "csv",  # comma-delimited, with a header line
            "--scale-factor",
            f"{scale:g}",
            "--tables=lineitem",
            "--output-dir",
            str(target.parent),
            "--no-progress",
            "--quiet",
        ],
        check=True,
    )
    return target


def build_project(
    root: Path,
    landing: Path,
    *,
    contract: bool = False,
    memory_limit: str | None = None,
    compression: str | None = None,
) -> None:
    """A fresh project at ``root``: no lake, no metadata store yet."""
    shutil.rmtree(root, ignore_errors=True)
    (root / "pipelines").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text(settings(landing, memory_limit, compression))
    pipeline = PIPELINE_YAML.format(contract=CONTRACT if contract else "")
    (root / "pipelines" / f"{PIPELINE}.yaml").write_text(pipeline)


def table_path(root: Path) -> Path:
    """The folder of ``raw.lineitem`` in the project's lake (environment prod)."""
    return root / "lake" / "prod" / "raw" / "lineitem"
