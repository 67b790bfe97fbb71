"""OpenLineage for tests: the spec's JSON schemas as a validator, and a real HTTP receiver.

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
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
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
