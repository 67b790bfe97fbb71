"""Where OpenLineage events go: an HTTP receiver (Marquez and compatibles) or a file.

A transport sends one event per call and says how it went by what it raises:
:class:`DeliveryError` when trying again may work (the receiver is down, slow, busy or
refuses our credentials — nothing is dropped for those), :class:`RejectedError` when the
receiver refuses the event itself (400, 413, 422), which no retry can change. Retrying,
backing off and keeping events are the sink's business, not the transport's.

We post with the standard library instead of the OpenLineage client's transports: the
client retries inside ``emit`` (the sink must be able to stop in between), and its
configuration holds the API key as a plain value for its whole life; here the key stays a
``${env:NAME}`` reference until the moment a request is built, and no message ever
contains it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from sluiceway.errors import TerminalError, TransientError
from sluiceway.spec.secrets import SecretNotSetError, mask_url, resolve

#: HTTP statuses worth retrying besides 5xx: timeouts, throttling, and refusals that
#: configuration (a key, a path) fixes, after which the kept events go through.
RETRY_STATUSES = frozenset({401, 403, 404, 408, 409, 425, 429})

_BODY_EXCERPT = 200
_BODY_READ = 64 * 1024


class DeliveryError(TransientError):
    """The event was not delivered, and may be on another try."""


class RejectedError(TerminalError):
    """The receiver refused the event itself: sending it again cannot succeed."""


class Transport(Protocol):
    """Sends OpenLineage events somewhere, one per call."""

    name: str

    def send(self, event: Mapping[str, Any]) -> None:
        """Deliver one event; returns once the receiver has it.

        Raises:
            DeliveryError: not delivered; another try may work.
            RejectedError: the receiver refused this event for good.
        """
        ...

    def flush(self) -> None:
        """Make what was sent durable (before the sink moves its cursor past it)."""
        ...

    def close(self) -> None:
        """Release what the transport holds; it may be used again afterwards."""
        ...


def encode(event: Mapping[str, Any]) -> bytes:
    """One event as compact UTF-8 JSON (keys sorted: the same event, the same bytes)."""
    return json.dumps(event, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


class HttpTransport:
    """POSTs each event as JSON to ``{url}/{endpoint}``, as Marquez expects.

    Args:
        url: the receiver's base URL (``http://marquez:5000``).
        endpoint: the path under it (``api/v1/lineage``).
        api_key: a ``${env:NAME}`` reference, resolved for each request and sent as
            ``Authorization: Bearer …``; None to send no credentials.
        timeout: the longest wait for one request, in seconds.
        environ: where references are resolved (the process environment by default).
    """

    name = "http"

    def __init__(
        self,
        url: str,
        endpoint: str = "api/v1/lineage",
        *,
        api_key: str | None = None,
        timeout: float = 5.0,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.target = f"{url.rstrip('/')}/{endpoint.lstrip('/')}" if endpoint else url
        self.shown = mask_url(self.target)
        self.api_key = api_key
        self.timeout = timeout
        self.environ = environ
        # A receiver on this machine is never reached through a proxy from the environment.
        handlers = [urllib.request.ProxyHandler({})] if _loopback(self.target) else []
        self._opener = urllib.request.build_opener(*handlers)

    def send(self, event: Mapping[str, Any]) -> None:
        """POST one event; a 2xx answer is a delivery."""
        token = self._token()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(  # noqa: S310 - the URL is the project's setting
            self.target, data=encode(event), method="POST", headers=headers
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            detail = _excerpt(exc, token)
            message = f"{self.shown} answered {status} {exc.reason}{detail}"
            if status >= 500 or status in RETRY_STATUSES:
                raise DeliveryError(message) from None
            raise RejectedError(message) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"{self.shown} unreachable: {reason}") from None

    def _token(self) -> str | None:
        """The API key's value, resolved per request: it is held no longer than one."""
        if not self.api_key:
            return None
        try:
            return resolve(self.api_key, self.environ)
        except SecretNotSetError as exc:  # names the variable, never a value
            raise DeliveryError(str(exc)) from None

    def flush(self) -> None:
        """Nothing to do: a 2xx answer means the receiver has the event."""

    def close(self) -> None:
        """Nothing is held between requests."""


class FileTransport:
    """Appends each event to a file as one line of JSON.

    Each line is one ``write`` to a file opened for appending, so lines of two processes
    never interleave; :meth:`flush` syncs the file to disk before the sink's cursor
    moves past what it holds.
    """

    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._lock = threading.Lock()

    def send(self, event: Mapping[str, Any]) -> None:
        """Append one line."""
        line = encode(event) + b"\n"
        with self._lock:
            try:
                fd = self._open()
                written = os.write(fd, line)
                if written != len(line):
                    raise OSError(f"short write ({written} of {len(line)} bytes)")
            except OSError as exc:
                self._close()
                raise DeliveryError(f"cannot append to {self.path}: {exc}") from None

    def flush(self) -> None:
        """fsync what was appended."""
        with self._lock:
            if self._fd is None:
                return
            try:
                os.fsync(self._fd)
            except OSError as exc:
                self._close()
                raise DeliveryError(f"cannot sync {self.path}: {exc}") from None

    def close(self) -> None:
        """Close the file (it is opened again by the next send)."""
        with self._lock:
            self._close()

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        return self._fd

    def _close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):  # closing is best effort after a failure
                os.close(fd)


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _excerpt(exc: urllib.error.HTTPError, token: str | None) -> str:
    """The start of an error answer's body, for the message; the key masked in it.

    A receiver may quote the request back. The key is masked in the whole body read
    before it is cut short, so no prefix of it can survive at the cut.
    """
    try:
        body = exc.read(_BODY_READ).decode("utf-8", "replace").strip()
    except Exception:
        return ""
    if token:
        body = body.replace(token, "***")
    if not body:
        return ""
    return ": " + (body[:_BODY_EXCERPT] + "…" if len(body) > _BODY_EXCERPT else body)
