"""OpenLineage for tests: the spec's JSON schemas as a validator, a real HTTP receiver, and
a project whose runs a test records by hand.

The schemas are the OpenLineage repository's, kept in ``../shared/specs/openlineage``
beside the repository (every file keyed by its ``$id`` in a ``referencing`` registry, so
the ``$ref`` s between them resolve offline).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from sluiceway.events import emit
from sluiceway.events.log import staged
from sluiceway.events.types import (
    CheckPassed,
    RunStarted,
    RunSucceeded,
    StepFailed,
    StepStarted,
    StepSucceeded,
    TableCommitted,
)
from sluiceway.meta.catalog import TableDefinition
from sluiceway.meta.checks import CheckRepo, CheckResult
from sluiceway.meta.profiles import ProfileRepo, StoredProfile
from sluiceway.meta.runs import Run, RunRepo
from sluiceway.meta.schema_diff import Column
from sluiceway.meta.store import MetaStore, open_project_store
from sluiceway.spec.project import Project, load_project

SPEC_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "specs" / "openlineage"
RUN_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


@cache
def schemas() -> dict[str, dict[str, Any]]:
    """Every schema of the spec by its ``$id``."""
    found = {}
    for path in [SPEC_DIR / "OpenLineage.json", *sorted((SPEC_DIR / "facets").glob("*.json"))]:
        schema = json.loads(path.read_text(encoding="utf-8"))
        found[schema["$id"]] = schema
    return found


@cache
def registry() -> Registry[Any]:
    """A registry holding every schema, so cross-file ``$ref`` s resolve."""
    return Registry().with_resources(
        (uri, Resource.from_contents(schema)) for uri, schema in schemas().items()
    )


def _errors(instance: Any, ref: str) -> list[str]:
    validator = Draft202012Validator(
        {"$ref": ref}, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def _facet_maps(event: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    yield "run.facets", event.get("run", {}).get("facets") or {}
    yield "job.facets", event.get("job", {}).get("facets") or {}
    for side in ("inputs", "outputs"):
        for i, dataset in enumerate(event.get(side) or []):
            for key in ("facets", "inputFacets", "outputFacets"):
                if key in dataset:
                    yield f"{side}[{i}].{key}", dataset[key] or {}


def validate(event: Mapping[str, Any]) -> list[str]:
    """Every way ``event`` breaks the spec: as a RunEvent, and each facet by its own schema.

    A facet is checked against the schema its ``_schemaURL`` names, which must be one of
    the spec's, and under the key that schema defines it for (``schema``, ``symlinks``…).
    """
    problems = [f"RunEvent {p}" for p in _errors(event, RUN_EVENT)]
    for where, facets in _facet_maps(event):
        for key, facet in facets.items():
            url = str(facet.get("_schemaURL", ""))
            document = url.partition("#")[0]
            schema = schemas().get(document)
            if schema is None:
                problems.append(f"{where}.{key}: schema {url!r} is not in the spec")
                continue
            if key not in schema.get("properties", {}):
                problems.append(f"{where}.{key}: {document} defines no facet named {key!r}")
            problems += [f"{where}.{key} {p}" for p in _errors({key: facet}, document)]
            problems += [f"{where}.{key} {p}" for p in _errors(facet, url)]
    return problems


class Receiver:
    """An OpenLineage HTTP receiver on 127.0.0.1, in a thread: it keeps what it is sent.

    Attributes:
        events: the JSON bodies received, in order.
        headers: the request headers, in the same order.
        status: the status it answers with (change it to make it refuse).
    """

    def __init__(self, port: int = 0, status: int = 201) -> None:
        self.events: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.status = status
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    status = receiver.status
                    if 200 <= status < 300:
                        receiver.events.append(json.loads(body))
                        receiver.headers.append(dict(self.headers.items()))
                        receiver.arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until at least ``count`` events arrived."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.events) >= count, timeout)

    def close(self) -> None:
        """Stop listening (the port is free again)."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


def free_port() -> int:
    """A port nothing listens on now (for a receiver that is down)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Hub:
    """A project with one pipeline, whose runs the test records step by step."""

    def __init__(self, root: Path, openlineage: str | None, metadata: str | None = None) -> None:
        (root / "pipelines").mkdir(parents=True)
        settings = "name: hub\n" + (f"metadata: {metadata}\n" if metadata else "")
        settings += f"openlineage:\n{openlineage}" if openlineage else ""
        (root / "sluiceway.yaml").write_text(settings)
        (root / "pipelines" / "chain.yaml").write_text(
            "name: chain\nowner: team-a\nsteps:\n"
            "  - {name: first, type: sql, query: 'select 1 as n', table: raw.a}\n"
        )
        self.root = root
        self.project: Project = load_project(root, environ={})
        self.store: MetaStore = open_project_store(self.project, environ={})
        self.store.catalog.register(
            TableDefinition(
                "prod", "raw", "a", str(root / "lake/prod/raw/a"), (Column("n", "int64"),)
            )
        )

    def start_run(self) -> Run:
        runs = RunRepo(self.store)
        run = runs.create("chain", "prod")
        runs.transition(run.id, "running")
        emit(self.store, RunStarted(run_id=run.id, pipeline="chain"))
        return run

    def begin_step(self, run: Run, attempt: int = 1) -> int:
        """Step ``first`` starts (as the orchestrator records it); returns its record id."""
        where = {"run_id": run.id, "pipeline": "chain", "step": "first", "table": "raw.a"}
        events, appended = staged(self.store, StepStarted(**where, batch=1))
        record = RunRepo(self.store).start_step(
            run.id, "first", attempt=attempt, events=events, appended=appended
        )
        return record.id

    def fail_step(self, run: Run, record: int, error: str) -> None:
        """The attempt ``record`` of step ``first`` fails."""
        where = {"run_id": run.id, "pipeline": "chain", "step": "first", "table": "raw.a"}
        events, appended = staged(self.store, StepFailed(**where, error=error))
        RunRepo(self.store).finish_step(
            record, "failed", error=error, events=events, appended=appended
        )

    def step(self, run: Run, version: int, attempt: int = 1) -> None:
        """Step ``first`` commits raw.a at ``version`` (its profile not recorded)."""
        runs = RunRepo(self.store)
        where = {"run_id": run.id, "pipeline": "chain", "step": "first", "table": "raw.a"}
        record = self.begin_step(run, attempt)
        emit(self.store, TableCommitted(**where, version=version, operation="append", rows=3))
        # The quality gate records each result and appends its event.
        result = CheckResult("raw.a", "n", "not_null", "error", "passed", run.id, "first", 0)
        CheckRepo(self.store).record([result])
        emit(self.store, CheckPassed(**where, check="n", check_type="not_null", severity="error"))
        events, appended = staged(self.store, StepSucceeded(**where, rows_out=3))
        runs.finish_step(
            record,
            "succeeded",
            table="raw.a",
            table_version=version,
            rows_out=3,
            metrics={"inputs": {}},
            events=events,
            appended=appended,
        )

    def profile(self, version: int) -> None:
        column = {"name": "n", "type": "bigint", "nulls": 0, "distinct": 3, "min": 1, "max": 3}
        ProfileRepo(self.store).record(
            StoredProfile(
                "prod", "raw.a", rows=3, sampled_rows=3, columns=[column], delta_version=version
            )
        )

    def finish(self, run: Run) -> None:
        RunRepo(self.store).transition(run.id, "succeeded")
        emit(self.store, RunSucceeded(run_id=run.id, pipeline="chain"))

    def lines(self) -> list[dict[str, Any]]:
        path = self.root / "lineage.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]
