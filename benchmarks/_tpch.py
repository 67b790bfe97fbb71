"""TPC-H data and the Sluiceway project the transform benchmark runs.

``generate`` writes the Parquet files once per scale factor with ``tpchgen-cli`` (installed
next to this Python); ``build_project`` writes a project folder whose ``tpch`` pipeline has a
``silver`` step (``lineitem ⋈ orders ⋈ customer ⋈ nation``, overwrite) and a ``gold`` step
(revenue per nation per month), and ingests the four raw tables into its lake through the
platform (DuckDB stages the files, the lake commits them and registers the tables). The
catalog as it stands after ingestion is kept aside, so every round can start from it with
no silver or gold table.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

TABLES = ("lineitem", "orders", "customer", "nation")
PIPELINE = "tpch"
STEPS = ("silver", "gold")
OUTPUTS = {"silver": "silver.sales", "gold": "gold.revenue_by_nation_month"}

SETTINGS = """\
name: tpch_bench
lake: ./lake
metadata: sqlite:///.sluiceway/metadata.db
engine: duckdb
layers: [raw, silver, gold]
"""

PIPELINE_YAML = """\
name: tpch
description: TPC-H line items joined to their order, customer and nation; revenue per month.
steps:
  - name: silver
    type: sql
    sql: sql/silver/sales.sql
    table: silver.sales
    materialization: overwrite
  - name: gold
    type: sql
    sql: sql/gold/revenue_by_nation_month.sql
    table: gold.revenue_by_nation_month
    materialization: overwrite
"""

SILVER_SQL = """\
SELECT
    l.l_orderkey, l.l_linenumber, l.l_partkey, l.l_suppkey,
    l.l_quantity, l.l_extendedprice, l.l_discount, l.l_tax,
    l.l_extendedprice * (1 - l.l_discount) AS revenue,
    l.l_returnflag, l.l_linestatus, l.l_shipdate, l.l_commitdate, l.l_receiptdate,
    l.l_shipinstruct, l.l_shipmode, l.l_comment,
    o.o_orderdate, o.o_orderstatus, o.o_orderpriority, o.o_totalprice, o.o_clerk,
    c.c_custkey, c.c_name, c.c_mktsegment,
    n.n_nationkey, n.n_name
FROM raw.lineitem AS l
JOIN raw.orders AS o ON o.o_orderkey = l.l_orderkey
JOIN raw.customer AS c ON c.c_custkey = o.o_custkey
JOIN raw.nation AS n ON n.n_nationkey = c.c_nationkey
"""

GOLD_SQL = """\
SELECT
    n_name AS nation,
    date_trunc('month', o_orderdate) AS month,
    sum(revenue) AS revenue,
    count(*) AS line_items,
    count(DISTINCT l_orderkey) AS orders
FROM silver.sales
GROUP BY n_name, date_trunc('month', o_orderdate)
"""

SQL_FILES = {
    "silver": ("sql/silver/sales.sql", SILVER_SQL),
    "gold": ("sql/gold/revenue_by_nation_month.sql", GOLD_SQL),
}
CATALOG = ".sluiceway"
RAW_CATALOG = ".sluiceway-raw"


def generate(scale: float, folder: Path) -> Path:
    """The four tables' Parquet files at ``scale`` in ``folder`` (generated once)."""
    if all((folder / f"{t}.parquet").exists() for t in TABLES):
        return folder
    tool = Path(sys.executable).with_name("tpchgen-cli")
    subprocess.run(
        [
            str(tool),
            "parquet",
            "--scale-factor",
            str(scale),
            f"--tables={','.join(TABLES)}",
            "--output-dir",
            str(folder),
            "--no-progress",
            "--quiet",
        ],
        check=True,
    )
    return folder


def table_path(root: Path, name: str) -> Path:
    """The folder of table ``layer.name`` in the project's lake (environment prod)."""
    layer, _, table = name.partition(".")
    return root / "lake" / "prod" / layer / table


def build_project(root: Path, data: Path) -> None:
    """Write the project and ingest the raw tables into its lake (skipped when done)."""
    if (root / RAW_CATALOG).is_dir():
        return
    shutil.rmtree(root, ignore_errors=True)
    (root / "pipelines").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text(SETTINGS)
    (root / "pipelines" / f"{PIPELINE}.yaml").write_text(PIPELINE_YAML)
    for path, text in SQL_FILES.values():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    _ingest(root, data)
    shutil.copytree(root / CATALOG, root / RAW_CATALOG)


def _ingest(root: Path, data: Path) -> None:
    """Each raw table staged by DuckDB from its Parquet file, committed and registered."""
    from sqlglot import exp

    from sluiceway.engines.duckdb.engine import DuckDBEngine
    from sluiceway.lake.commit import WriteContext
    from sluiceway.lake.service import Lake
    from sluiceway.meta.store import open_project_store
    from sluiceway.spec.project import load_project

    project = load_project(root)
    with open_project_store(project) as store, DuckDBEngine() as engine:
        lake = Lake.for_project(project, store)
        for name in TABLES:
            ctx = WriteContext(run_id="ingest", app_id=f"bench/{name}", batch=1)
            scan = exp.func("read_parquet", exp.Literal.string(str(data / f"{name}.parquet")))
            select = exp.select("*").from_(scan).sql("duckdb")
            with lake.staging(f"raw.{name}", ctx) as output:
                staged = engine.stage(select, {}, output)
                lake.commit_staged(f"raw.{name}", staged, "overwrite", ctx)


def reset_outputs(root: Path) -> None:
    """No silver or gold table, and the catalog as it was right after ingestion."""
    for name in OUTPUTS.values():
        shutil.rmtree(table_path(root, name), ignore_errors=True)
    shutil.rmtree(root / CATALOG, ignore_errors=True)
    shutil.copytree(root / RAW_CATALOG, root / CATALOG)
