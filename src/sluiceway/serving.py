"""An HTTP server serving on a daemon thread, for the daemon's small listeners.

The webhook listener and the metrics endpoint each bind a ``ThreadingHTTPServer`` at
start and close it at stop; this holds that life cycle once: safe to start and stop
twice, and stopping joins the thread after the socket is closed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer

POLL_INTERVAL = 0.2
"""Seconds between the server's checks for shutdown."""


class Serving:
    """One server on one daemon thread named ``sluiceway-<name>``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self, bind: Callable[[], ThreadingHTTPServer]) -> int | None:
        """Bind with ``bind()`` and serve; the bound port, or None if already serving.

        Raises:
            OSError: the address cannot be bound (e.g. the port is in use).
        """
        with self._lock:
            if self._server is not None:
                return None
            server = bind()
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": POLL_INTERVAL},
                name=f"sluiceway-{self.name}",
                daemon=True,
            )
            self._thread.start()
            return int(server.server_address[1])

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, close the socket and join the thread (up to ``timeout`` s)."""
        with self._lock:
            server, self._server = self._server, None
            thread, self._thread = self._thread, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout)
