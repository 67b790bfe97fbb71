"""Real receivers on loopback for the alert tests: an HTTP server and an SMTP server.

Both record what they receive and let a test wait for a number of deliveries, so tests
synchronise on deliveries rather than sleeping.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (closed again at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Request:
    """One POST the HTTP receiver answered."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """A threaded HTTP server on 127.0.0.1 that records POSTs.

    ``statuses`` are answered in turn (then 200), to make a receiver fail some attempts;
    with ``echo``, an error answer quotes the request's path and headers, as careless
    receivers do (a sender must not repeat that in its logs).
    """

    port: int = 0
    statuses: list[int] = field(default_factory=list)
    echo: bool = False
    requests: list[Request] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _condition: threading.Condition = field(default_factory=threading.Condition)

    def start(self) -> HttpReceiver:
        """Listen (on ``port``, or a free one) and serve on a thread."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._condition:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append(
                        Request(self.path, dict(self.headers.items()), body, status)
                    )
                    receiver._condition.notify_all()
                answer = b"ok"
                if receiver.echo and status >= 400:
                    answer = f"no route for {self.path}, headers {dict(self.headers)}".encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        """Where to POST."""
        return f"http://127.0.0.1:{self.port}/hook"

    def delivered(self) -> list[Request]:
        """The requests answered with a 2xx."""
        with self._condition:
            return [r for r in self.requests if 200 <= r.status < 300]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Request]:
        """Block until ``count`` requests were answered with a 2xx; returns them."""
        with self._condition:
            self._condition.wait_for(lambda: len(self.delivered()) >= count, timeout)
        return self.delivered()

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _Collector:
    def __init__(self, receiver: SmtpReceiver) -> None:
        self.receiver = receiver

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.receiver.condition:
            self.receiver.messages.append(
                (
                    list(envelope.rcpt_tos),
                    message_from_bytes(envelope.content, policy=default_policy),
                )
            )
            self.receiver.condition.notify_all()
        return "250 OK"


@dataclass
class SmtpReceiver:
    """aiosmtpd on 127.0.0.1, recording each message with its envelope recipients."""

    port: int = 0
    login: tuple[str, str] | None = None
    tls_context: Any = None
    messages: list[tuple[list[str], Message]] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)
    logins: list[str] = field(default_factory=list)
    _controller: Any = None

    def start(self) -> SmtpReceiver:
        """Listen and serve on aiosmtpd's thread."""
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.port = self.port or free_port()
        options: dict[str, Any] = {}
        if self.login is not None:
            expected = self.login

            def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                             auth_data: Any) -> AuthResult:  # fmt: skip
                user = auth_data.login.decode()
                ok = (user, auth_data.password.decode()) == expected
                if ok:
                    self.logins.append(user)
                return AuthResult(success=ok, handled=False)

            options.update(authenticator=authenticate, auth_require_tls=False)
        if self.tls_context is not None:
            options.update(tls_context=self.tls_context, require_starttls=True)
        self._controller = Controller(
            _Collector(self), hostname="127.0.0.1", port=self.port, **options
        )
        self._controller.start()
        return self

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[list[str], Message]]:
        """Block until ``count`` messages arrived; returns them all."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while len(self.messages) < count and time.monotonic() < deadline:
                self.condition.wait(0.05)
            return list(self.messages)

    def stop(self) -> None:
        """Stop the server."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
