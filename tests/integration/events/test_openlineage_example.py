"""The example project's lineage, as a lineage tool receives it: every event valid against
the OpenLineage spec, every run and step started and completed, every dataset named by
its storage location, versioned, linked to its catalog name, with lineage and quality."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from sluiceway.events.sinks import drain_openlineage
from sluiceway.meta.runs import RunRepo
from sluiceway.meta.store import open_project_store
from sluiceway.orchestrate.runner import run_pipeline
from sluiceway.scaffold.sample_data import generate
from sluiceway.spec.project import load_project
from support.openlineage import validate

pytestmark = pytest.mark.slow

PIPELINES = ["ingest_orders", "ingest_customers", "ingest_products", "silver", "gold"]
STEPS = {
    "ingest_orders": ["load"],
    "ingest_customers": ["load"],
    "ingest_products": ["load"],
    "silver": ["orders", "customers", "products"],
    "gold": ["daily_revenue"],
}


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The example project run end to end, its lineage drained to a file."""
    from sluiceway.cli.main import run

    root = tmp_path_factory.mktemp("ol") / "shop"
    assert run(["init", str(root), "--days", "2"]) == 0
    settings = root / "sluiceway.yaml"
    settings.write_text(
        settings.read_text() + "openlineage:\n  file: lineage/events.jsonl\n", encoding="utf-8"
    )
    project = load_project(root, environ={})
    with open_project_store(project, environ={}) as store:
        reports = {name: run_pipeline(project, name, store) for name in PIPELINES}
        report = drain_openlineage(project, store, timeout=60)
        steps = {r.pipeline: RunRepo(store).steps(r.run_id) for r in reports.values()}
    lines = (root / "lineage" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return {
        "root": root,
        "reports": reports,
        "drain": report,
        "events": [json.loads(line) for line in lines],
        "steps": steps,
    }


def _by_job(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        found[event["job"]["name"]].append(event)
    return found


def _complete(events: list[dict[str, Any]], job: str) -> dict[str, Any]:
    return next(e for e in _by_job(events)[job] if e["eventType"] == "COMPLETE")


def _output(event: dict[str, Any], catalog_name: str) -> dict[str, Any]:
    for dataset in event["outputs"]:
        links = dataset["facets"]["symlinks"]["identifiers"]
        if any(link["name"] == catalog_name for link in links):
            return dataset
    raise AssertionError(f"{catalog_name} is not an output of {event['job']['name']}")


def test_every_event_validates_against_the_spec(example: dict[str, Any]) -> None:
    assert example["drain"].complete, example["drain"]
    assert all(r.status == "succeeded" for r in example["reports"].values())
    events = example["events"]
    assert len(events) == 2 * (len(PIPELINES) + sum(map(len, STEPS.values())))
    for event in events:
        problems = validate(event)
        assert not problems, f"{event['eventType']} {event['job']['name']}: {problems}"


def test_each_run_and_step_starts_once_and_completes_once(example: dict[str, Any]) -> None:
    events = example["events"]
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    jobs: dict[str, str] = {}
    for event in events:
        kinds[event["run"]["runId"]][event["eventType"]] += 1
        jobs[event["run"]["runId"]] = event["job"]["name"]
    assert all(c == Counter({"START": 1, "COMPLETE": 1}) for c in kinds.values()), kinds
    expected = set(PIPELINES) | {f"{p}.{s}" for p, steps in STEPS.items() for s in steps}
    assert set(jobs.values()) == expected
    assert {e["job"]["namespace"] for e in events} == {"shop"}
    # A pipeline's run id is the run id `sluiceway runs` shows.
    for name, report in example["reports"].items():
        assert kinds[report.run_id] == Counter({"START": 1, "COMPLETE": 1}), name


def test_steps_name_their_pipeline_run_as_parent(example: dict[str, Any]) -> None:
    for name, report in example["reports"].items():
        for step in STEPS[name]:
            for event in _by_job(example["events"])[f"{name}.{step}"]:
                parent = event["run"]["facets"]["parent"]
                assert parent["run"]["runId"] == report.run_id
                assert parent["job"] == {"namespace": "shop", "name": name}
                assert parent["root"]["run"]["runId"] == report.run_id


def test_datasets_are_storage_locations_with_delta_versions_and_catalog_names(
    example: dict[str, Any],
) -> None:
    lake = (example["root"] / "lake" / "prod").resolve()
    for name, records in example["steps"].items():
        for record in records:
            event = _complete(example["events"], f"{name}.{record.step}")
            dataset = _output(event, record.table)
            layer, table = record.table.split(".")
            assert dataset["namespace"] == "file"
            assert dataset["name"] == str(lake / layer / table)
            assert dataset["facets"]["version"]["datasetVersion"] == str(record.table_version)
            assert dataset["facets"]["symlinks"]["identifiers"] == [
                {"namespace": "sluiceway://shop", "name": record.table, "type": "TABLE"}
            ]
            assert dataset["facets"]["storage"]["storageLayer"] == "delta"
            columns = [f["name"] for f in dataset["facets"]["schema"]["fields"]]
            assert columns and "_sw_run_id" in columns
    # Ingestion also commits its quarantine, and reads the landing folder.
    load = _complete(example["events"], "ingest_orders.load")
    assert _output(load, "raw.orders__quarantine")["facets"]["version"]["datasetVersion"] == "0"
    assert [i["name"] for i in load["inputs"]] == [
        str((example["root"] / "landing" / "orders").resolve())
    ]


def test_inputs_carry_the_versions_the_step_read(example: dict[str, Any]) -> None:
    gold = _complete(example["events"], "gold.daily_revenue")
    read = {
        i["facets"]["symlinks"]["identifiers"][0]["name"]: i["facets"]["version"]["datasetVersion"]
        for i in gold["inputs"]
    }
    assert read == {"silver.customers": "0", "silver.orders": "0", "silver.products": "0"}


def test_silver_and_gold_outputs_have_column_lineage(example: dict[str, Any]) -> None:
    gold = _complete(example["events"], "gold.daily_revenue")
    orders = next(
        i
        for i in gold["inputs"]
        if i["facets"]["symlinks"]["identifiers"][0]["name"] == "silver.orders"
    )
    fields = _output(gold, "gold.daily_revenue")["facets"]["columnLineage"]["fields"]
    assert fields["revenue"]["inputFields"] == [
        {
            "namespace": orders["namespace"],
            "name": orders["name"],
            "field": "amount",
            "transformations": [{"type": "DIRECT"}],
        }
    ]
    for step in ("orders", "customers", "products"):
        silver = _output(_complete(example["events"], f"silver.{step}"), f"silver.{step}")
        lineage = silver["facets"]["columnLineage"]["fields"]
        sources = {f["name"] for inputs in lineage.values() for f in inputs["inputFields"]}
        assert sources == {str((example["root"] / "lake" / "prod" / "raw" / step).resolve())}


def test_checks_and_profiles_become_data_quality_facets(example: dict[str, Any]) -> None:
    orders = _output(_complete(example["events"], "silver.orders"), "silver.orders")
    assertions = {a["name"]: a for a in orders["facets"]["dataQualityAssertions"]["assertions"]}
    assert set(assertions) == {
        "not_null_order_id_customer_id_product_id",
        "unique_order_id",
        "accepted_values_status",
        "range_quantity",
    }
    unique = assertions["unique_order_id"]
    assert (unique["assertion"], unique["success"], unique["severity"]) == (
        "unique",
        True,
        "block",
    )
    assert unique["column"] == "order_id"
    metrics = orders["facets"]["dataQualityMetrics"]
    rows = next(r.rows_out for r in example["steps"]["silver"] if r.step == "orders")
    assert metrics["rowCount"] == rows == 400
    assert metrics["columnMetrics"]["order_id"]["nullCount"] == 0
    assert metrics["columnMetrics"]["order_id"]["distinctCount"] == 400
    gold = _output(_complete(example["events"], "gold.daily_revenue"), "gold.daily_revenue")
    checks = gold["facets"]["dataQualityAssertions"]["assertions"]
    row_count = next(a for a in checks if a["assertion"] == "row_count")
    assert row_count["success"] is True
    assert row_count["actual"] == str(gold["facets"]["dataQualityMetrics"]["rowCount"])
    # Pipelines carry no datasets; steps carry their SQL.
    assert _complete(example["events"], "gold")["outputs"] == []
    sql = _by_job(example["events"])["gold.daily_revenue"][0]["job"]["facets"]["sql"]["query"]
    assert "silver.orders" in sql


def test_a_second_drain_sends_nothing_again(example: dict[str, Any]) -> None:
    project = load_project(example["root"], environ={})
    with open_project_store(project, environ={}) as store:
        report = drain_openlineage(project, store, timeout=5)
    assert report is not None and report.complete and report.delivered == 0
    lines = (example["root"] / "lineage" / "events.jsonl").read_text().splitlines()
    assert len(lines) == len(example["events"])


def test_a_failed_step_fails_its_run_with_the_error(tmp_path: Path) -> None:
    root = tmp_path / "broken"
    (root / "pipelines").mkdir(parents=True)
    (root / "sql").mkdir()
    generate(root / "landing", days=1)
    (root / "sluiceway.yaml").write_text(
        "name: broken\nopenlineage:\n  file: events.jsonl\n  namespace: analytics\n"
    )
    (root / "pipelines" / "p.yaml").write_text(
        "name: p\nsteps:\n"
        "  - {name: ok, type: sql, query: 'select 1 as x', table: raw.ok}\n"
        "  - {name: bad, type: sql, query: 'select x / 0 as y from raw.ok', table: raw.bad,\n"
        "     checks: [{type: row_count, min: 5, severity: block}]}\n"
    )
    (root / "pipelines" / "audit.yaml").write_text(
        "name: audit\nsteps:\n"
        "  - name: ok\n    type: check\n    table: raw.ok\n"
        "    checks: [{type: not_null, columns: [x]}, {type: row_count, min: 2, severity: warn}]\n"
    )
    project = load_project(root, environ={})
    with open_project_store(project, environ={}) as store:
        report = run_pipeline(project, "p", store)
        assert report.status == "failed"
        assert run_pipeline(project, "audit", store).status == "succeeded"
        assert drain_openlineage(project, store, timeout=30).complete  # type: ignore[union-attr]
    events = [json.loads(line) for line in (root / "events.jsonl").read_text().splitlines()]
    assert all(not validate(e) for e in events), [validate(e) for e in events]
    ends = {e["job"]["name"]: e for e in events if e["eventType"] != "START"}
    # A check step reads the table it audits: its checks are on that input.
    (audited,) = ends["audit.ok"]["inputs"]
    assert audited["facets"]["symlinks"]["identifiers"][0]["name"] == "raw.ok"
    checks = audited["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert {(c["name"], c["success"]) for c in checks} == {
        ("not_null_x", True),
        ("row_count", False),
    }
    assert ends["audit.ok"]["outputs"] == []
    assert ends["audit.ok"]["job"]["facets"]["jobType"]["jobType"] == "TEST"
    assert ends["p.ok"]["eventType"] == "COMPLETE"
    assert ends["p.bad"]["eventType"] == "FAIL"
    assert "row_count" in ends["p.bad"]["run"]["facets"]["errorMessage"]["message"]
    assert ends["p"]["eventType"] == "FAIL"
    assert "bad" in ends["p"]["run"]["facets"]["errorMessage"]["message"]
    assert {e["job"]["namespace"] for e in events} == {"analytics"}
