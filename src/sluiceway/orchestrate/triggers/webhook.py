"""The webhook listener: ``POST /hooks/<name>`` becomes a durable ``webhook.received`` event.

A small standard-library HTTP server (one thread per request) on a configurable address,
127.0.0.1:8787 by default: webhooks are usually exposed through a reverse proxy or an
ingress that terminates TLS. The server only records the request: it answers 202 once the
event is committed, and the dispatcher decides what runs. Nothing here logs a header, so
neither a secret nor a signature can reach the logs; the access log (debug level) leaves
out query strings too.

Answers: 202 once the event is committed (200 for a repeated ``Idempotency-Key``), 401 for a
missing or wrong signature, 404 for an unknown name, 400 for a body that is not a JSON
object, 411 without ``Content-Length``, 413 over the size limit (1 MiB), 503 when the event
log is unavailable. ``GET /health`` answers 200. The details are in ``docs/triggers.md``.
"""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sluiceway.errors import SluicewayError
from sluiceway.events import EventLog, emit
from sluiceway.events.types import WebhookReceived
from sluiceway.orchestrate.triggers.errors import NotificationError
from sluiceway.orchestrate.triggers.files import emit_arrivals
from sluiceway.orchestrate.triggers.s3_notifications import arrivals_from_notification
from sluiceway.orchestrate.triggers.webhook_routes import (
    S3_HOOK,
    SIGNATURE_HEADER,
    S3Route,
    WebhookRoute,
    signature_valid,
)
from sluiceway.serving import Serving
from sluiceway.spec.secrets import resolve

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
MAX_BODY = 1024 * 1024
DRAIN_LIMIT = 8 * 1024 * 1024  # past this, an oversized body is not read, the socket just closes
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 200
REQUEST_TIMEOUT = 10.0  # seconds a client may take to send its request

_HOOK_PATH = re.compile(r"^/hooks/([A-Za-z0-9_][A-Za-z0-9_-]*)/?$")
_QUERY = re.compile(r"\?\S*")


class WebhookServer:
    """Serves the project's webhooks (and ``/hooks/s3``) until stopped."""

    name = "webhook"

    def __init__(
        self,
        store: MetaStore,
        routes: Mapping[str, WebhookRoute],
        *,
        s3: S3Route | None = None,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        max_body: int = MAX_BODY,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        """Args:
        store: where events are appended.
        routes: the named webhooks (see :func:`webhook_routes`).
        s3: accept S3 event notifications at ``/hooks/s3`` (None: 404 there).
        host: address to listen on.
        port: port to listen on; 0 picks a free one (see :attr:`port`).
        max_body: largest request body accepted, in bytes.
        environ: where ``${env:NAME}`` secrets are looked up (default: the process's).
        """
        self.store = store
        self.routes = dict(routes)
        self.s3 = s3
        self.host = host
        self.port = port
        self.max_body = max_body
        self._environ = environ
        self._secrets: dict[str, bytes | None] = {}
        self._serving = Serving("webhook")

    @property
    def url(self) -> str:
        """The server's base URL (with the actual port once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Resolve the secrets, bind, and serve on a daemon thread; returns at once.

        Raises:
            SecretNotSetError: a secret's variable is not set (named, never its value).
            OSError: the address cannot be bound (e.g. the port is in use).
        """
        self._secrets = self._resolve_secrets()
        port = self._serving.start(lambda: _Server((self.host, self.port), _Handler, app=self))
        if port is not None:
            self.port = port
            log.info("webhooks listening on %s", self.url)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and close the socket; safe to call twice."""
        self._serving.stop(timeout)

    def _resolve_secrets(self) -> dict[str, bytes | None]:
        refs: dict[str, str | None] = {name: r.secret for name, r in self.routes.items()}
        if self.s3 is not None:
            refs[S3_HOOK] = self.s3.secret
        return {
            name: None if ref is None else resolve(ref, self._environ).encode("utf-8")
            for name, ref in refs.items()
        }

    def handle(self, name: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, Any]:
        """The answer to ``POST /hooks/<name>`` with ``body``: (status, JSON payload).

        ``headers`` are keyed in lower case.
        """
        known = self.s3 is not None if name == S3_HOOK else name in self.routes
        if not known:
            return 404, {"error": f"no webhook named {name!r}"}
        secret = self._secrets.get(name)
        if secret is not None and not signature_valid(
            secret, body, headers.get(SIGNATURE_HEADER.lower())
        ):
            return 401, {"error": f"missing or invalid {SIGNATURE_HEADER} header"}
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return 400, {"error": "the body is not valid JSON"}
        if not isinstance(payload, dict):
            return 400, {"error": "the body must be a JSON object"}
        if name == S3_HOOK:
            return self._s3(payload)
        return self._received(name, payload, headers.get(IDEMPOTENCY_HEADER.lower()))

    def _received(self, name: str, payload: dict[str, Any], key: str | None) -> tuple[int, Any]:
        event = WebhookReceived(source=name, body=payload)
        if key is None:
            stored = emit(self.store, event)
            return 202, {"event_id": stored.id}
        key = key.strip()
        if not key or len(key) > MAX_IDEMPOTENCY_KEY:
            return 400, {"error": f"{IDEMPOTENCY_HEADER} must be 1 to 200 characters"}
        dedup_key = f"webhook.received:{name}:{key}"
        new = emit(self.store, event, dedup_key=dedup_key)
        if new is not None:
            return 202, {"event_id": new.id}
        earlier = EventLog(self.store).find(dedup_key)
        return 200, {"event_id": None if earlier is None else earlier.id, "duplicate": True}

    def _s3(self, payload: dict[str, Any]) -> tuple[int, Any]:
        assert self.s3 is not None
        try:
            events = arrivals_from_notification(payload, self.s3.root, self.s3.filter)
        except NotificationError as exc:
            return 400, {"error": exc.message}
        appended = emit_arrivals(self.store, events)
        return 202, {"event_ids": [e.id for e in appended]}


class _Server(ThreadingHTTPServer):
    """The HTTP server, holding the app its handlers call."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], *, app: WebhookServer):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    """Parses one request and hands it to :meth:`WebhookServer.handle`."""

    server: _Server
    server_version = "sluiceway"
    sys_version = ""
    timeout = REQUEST_TIMEOUT

    def do_GET(self) -> None:
        """``/health`` only."""
        if urlsplit(self.path).path.rstrip("/") == "/health":
            self._send(200, {"status": "ok"})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        """``/hooks/<name>``."""
        app = self.server.app
        match = _HOOK_PATH.match(urlsplit(self.path).path)
        if match is None:
            self._send(404, {"error": "not found"})
            return
        length = self._content_length()
        if length is None:
            return
        if length > app.max_body:
            self._send(413, {"error": f"the body is larger than {app.max_body} bytes"})
            self._discard(length)
            return
        body = self.rfile.read(length)
        if len(body) < length:
            self._send(400, {"error": "the body is shorter than its Content-Length"})
            return
        try:
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload = app.handle(match.group(1), body, headers)
        except SluicewayError as exc:  # the store: its messages mask credentials
            log.warning("webhook %s not recorded: %s", match.group(1), exc)
            status, payload = 503, {"error": "the event log is unavailable; retry later"}
        except Exception:
            log.exception("webhook %s failed", match.group(1))
            status, payload = 500, {"error": "internal error"}
        self._send(status, payload)

    def _content_length(self) -> int | None:
        """The declared body length; None after answering a request without a usable one."""
        value = self.headers.get("Content-Length")
        if value is None:
            self._send(411, {"error": "Content-Length is required"})
            return None
        try:
            length = int(value)
        except ValueError:
            length = -1
        if length < 0:
            self._send(400, {"error": "Content-Length must be a non-negative integer"})
            return None
        return length

    def _discard(self, length: int) -> None:
        """Read an unwanted body (up to a limit) so the client sees the answer, not a reset."""
        if length > DRAIN_LIMIT:
            return
        remaining = length
        try:
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 64 * 1024))
                if not chunk:
                    return
                remaining -= len(chunk)
        except OSError:
            return

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Access and error lines at debug level, without query strings; never headers."""
        log.debug("%s %s", self.address_string(), _QUERY.sub("?…", format % args))
