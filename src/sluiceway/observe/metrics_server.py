"""The daemon's metrics endpoint: ``GET /metrics`` for Prometheus, ``/healthz`` and ``/readyz``.

A small standard-library HTTP server (one thread per request) on 127.0.0.1:9464 by default
(``daemon.metrics_host`` / ``metrics_port``; 9464 is the port commonly used by Prometheus
exporters). Scrapes are serialized in the collector, so two Prometheus replicas scraping at
once cost two collections, one after the other, never a race on the caches.

``/healthz`` (liveness) answers 200 ``{"status": "ok"}`` while the process serves at all.
``/readyz`` (readiness) answers 200 when the metadata store answers a query, 503 with the
error otherwise. The two differ on purpose: restarting a daemon does not bring its database
back, so a store outage must make it unready (no traffic, an alert), not restart it in a loop.
"""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from sluiceway.observe.metrics_export import MetricsCollector, ProjectSource
from sluiceway.observe.prometheus import CONTENT_TYPE
from sluiceway.serving import Serving

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.orchestrate.triggers.clock import Clock
    from sluiceway.spec.project import Project

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9464
REQUEST_TIMEOUT = 10.0  # seconds a client may take to send its request


class MetricsServer:
    """Serves ``/metrics``, ``/healthz`` and ``/readyz`` until stopped; the daemon's component shape
    (``name``, ``start()``, ``stop()``), like the trigger watchers."""

    name = "metrics"

    def __init__(
        self,
        collector: MetricsCollector,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
    ) -> None:
        """Args:
        collector: builds the exposition text.
        host: address to listen on.
        port: port to listen on; 0 picks a free one (see :attr:`url` once started).
        """
        self.collector = collector
        self.host = host
        self.port = port
        self._serving = Serving("metrics")

    @property
    def url(self) -> str:
        """The server's base URL (with the actual port once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Bind and serve on a daemon thread; returns at once.

        Raises:
            OSError: the address cannot be bound (e.g. the port is in use).
        """
        port = self._serving.start(lambda: _Server((self.host, self.port), _Handler, app=self))
        if port is not None:
            self.port = port
            log.info("metrics on %s/metrics", self.url)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and close the socket; safe to call twice."""
        self._serving.stop(timeout)

    def readiness(self) -> tuple[int, dict[str, Any]]:
        """The answer of ``/readyz``: the metadata store must answer a query."""
        from sluiceway.events.log import EventLog

        try:
            EventLog(self.collector.store).latest_id()
        except Exception as exc:
            return 503, {"status": "unavailable", "error": f"metadata store: {exc}"}
        return 200, {"status": "ok"}


def metrics_server(
    project: Project | ProjectSource,
    store: MetaStore,
    host: str | None = None,
    port: int | None = None,
    *,
    clock: Clock | None = None,
) -> MetricsServer:
    """The daemon's metrics endpoint, not started; host and port default to the project's
    ``daemon.metrics_host`` and ``daemon.metrics_port``."""
    current = project() if callable(project) else project
    settings = current.settings.daemon
    return MetricsServer(
        MetricsCollector(project, store, clock=clock),
        host=settings.metrics_host if host is None else host,
        port=settings.metrics_port if port is None else port,
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], *, app: MetricsServer):
        self.app = app
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = REQUEST_TIMEOUT
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        if path == "/metrics":
            try:
                body = self.server.app.collector.render().encode("utf-8")
            except Exception as exc:  # the parts catch their own errors; this is a bug
                log.exception("rendering /metrics failed")
                self._json(500, {"error": f"collecting metrics failed: {exc}"})
                return
            self._send(200, CONTENT_TYPE, body)
        elif path == "/healthz":
            self._json(200, {"status": "ok"})
        elif path == "/readyz":
            status, answer = self.server.app.readiness()
            self._json(status, answer)
        else:
            self._json(404, {"error": "not found: GET /metrics, /healthz or /readyz"})

    def _json(self, status: int, value: dict[str, Any]) -> None:
        self._send(status, "application/json", json.dumps(value).encode("utf-8"))

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("metrics %s - %s", self.address_string(), format % args)
