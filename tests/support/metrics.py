"""A small project with two pipelines, and reading Prometheus text back with its parser."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from sluiceway.meta.runs import RunRepo
from sluiceway.meta.store import MetaStore
from sluiceway.orchestrate.runner import RunReport, run_pipeline
from sluiceway.spec.project import Project, load_project

RAW = """
name: raw
steps:
  - name: orders
    type: sql
    query: "SELECT * FROM (VALUES (1, 5.0), (2, 7.5), (3, 20.0), (4, 1.0)) AS t(order_id, amount)"
    table: raw.orders
"""

SILVER = """
name: silver
tables:
  silver.orders:
    sla: {fresh_within: 2h}
steps:
  - name: orders
    type: sql
    query: SELECT order_id, amount FROM raw.orders WHERE amount > 2
    table: silver.orders
"""

BROKEN = """
name: broken
steps:
  - {name: boom, type: sql, query: SELECT no_such_column FROM raw.orders, table: gold.boom}
"""


@dataclass
class Shop:
    """A project folder on disk with a metadata store."""

    root: Path
    store: MetaStore

    def project(self) -> Project:
        return load_project(self.root, environ={})

    def run(self, pipeline: str) -> RunReport:
        return run_pipeline(self.project(), pipeline, self.store)

    def add(self, name: str, text: str) -> None:
        path = self.root / "pipelines" / f"{name}.yaml"
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")

    def data_bytes(self, table: str) -> int:
        """Bytes of the Parquet files in the table's folder (one version: all of them)."""
        layer, name = table.split(".")
        folder = self.root / "lake" / "prod" / layer / name
        return sum(p.stat().st_size for p in folder.glob("*.parquet"))


def record_attempt(store: MetaStore, pipeline: str, step: str, **counts: int) -> None:
    """A finished run of ``pipeline`` whose ``step`` recorded ``counts`` (``rows_in``…),
    as the runner records an attempt: for figures the step executors do not all report."""
    runs = RunRepo(store)
    run = runs.create(pipeline)
    runs.transition(run.id, "running")
    attempt = runs.start_step(run.id, step)
    runs.finish_step(attempt.id, "succeeded", **counts)  # type: ignore[arg-type]
    runs.transition(run.id, "succeeded")


def make_shop(root: Path, store: MetaStore) -> Shop:
    root.mkdir(parents=True)
    (root / "sluiceway.yaml").write_text("name: shop\n", encoding="utf-8")
    (root / "pipelines").mkdir()
    shop = Shop(root, store)
    shop.add("raw", RAW)
    shop.add("silver", SILVER)
    return shop


Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> tuple[dict[str, str], Series]:
    """Family types by name, and every sample by (sample name, labels)."""
    types: dict[str, str] = {}
    samples: Series = {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in samples, f"duplicate sample {key}"
            samples[key] = sample.value
    return types, samples


def value(samples: Series, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))
