"""docs/monitoring.md stays true: its YAML loads, its series are the ones served (all of
them), its alert rules name real series, and its `sluiceway metrics` output is real."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from sluiceway.meta.runs import RunRepo
from sluiceway.meta.store import MetaStore
from sluiceway.observe.metrics_export import render_metrics
from sluiceway.spec.settings import ProjectSettings
from sluiceway.spec.tables import TableMeta
from support.metrics import BROKEN, make_shop, parse, record_attempt

DOC = Path(__file__).resolve().parents[3] / "docs" / "monitoring.md"


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def documented_series() -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    return set(re.findall(r"^\| `(sluiceway_[a-z_]+)` \|", text, re.M)) | set(
        re.findall(r"`(sluiceway_collector_[a-z]+)`", text)
    )


def test_the_yaml_examples_are_valid() -> None:
    gold, serve_sla, serve_metrics, scrape, rules = (yaml.safe_load(b) for b in blocks("yaml"))
    slas = {name: TableMeta.model_validate(meta).sla for name, meta in gold["tables"].items()}
    assert slas["gold.kpis"] is not None and slas["gold.kpis"].zone == "Europe/Paris"
    settings = ProjectSettings.model_validate(
        {"name": "shop", "daemon": {**serve_sla["daemon"], **serve_metrics["daemon"]}}
    )
    assert settings.daemon.metrics_port == 9464
    assert scrape["scrape_configs"][0]["static_configs"][0]["targets"] == ["127.0.0.1:9464"]
    named = {
        re.sub(r"_(bucket|total)$", "", m)
        for rule in rules["groups"][0]["rules"]
        for m in re.findall(r"sluiceway_[a-z_]+", rule["expr"])
    }
    assert named <= {re.sub(r"_total$", "", s) for s in documented_series()}


def test_every_series_served_is_documented_and_every_documented_one_served(
    store: MetaStore, tmp_path: Path
) -> None:
    shop = make_shop(tmp_path / "shop", store)
    shop.run("raw")
    shop.run("silver")
    shop.add("broken", BROKEN)
    shop.run("broken")
    record_attempt(store, "raw", "orders", rows_in=4, rows_out=4, rows_quarantined=0)
    RunRepo(store).create("silver")  # one run waiting
    text = render_metrics(shop.project(), store)
    types, _ = parse(text)
    served = {name + ("_total" if kind == "counter" else "") for name, kind in types.items()}
    assert served == documented_series()


def test_the_console_example_is_real_output(store: MetaStore, tmp_path: Path) -> None:
    shop = make_shop(tmp_path / "shop", store)
    shop.run("raw")
    shop.run("silver")
    text = render_metrics(shop.project(), store)
    example = next(b for b in blocks("console") if "sluiceway metrics |" in b)
    shown = example.split("\n$ ")[0].splitlines()[1:]
    grep = [line for line in text.splitlines() if "sluiceway_table_rows" in line]
    assert shown == grep
