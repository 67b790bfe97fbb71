"""POSTing JSON over HTTP for the webhook and Slack channels (standard library only).

The outcome is judged like any webhook sender does: 2xx is delivered; 408, 425, 429 and
5xx (and no answer at all) may pass later; any other 4xx is the receiver refusing this
message for good, so the channel moves on instead of blocking behind it. Error messages
name the channel and the host only: a webhook URL often carries its token in the path.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from sluiceway.observe.alerts.errors import DeliveryFailed, DeliveryRejected, scrub

RETRYABLE_STATUS = frozenset({408, 425, 429})
USER_AGENT = "sluiceway-alerts/1"
MAX_REASON = 200


def post_json(
    url: str,
    body: bytes,
    *,
    headers: Mapping[str, str],
    timeout: float,
    where: str,
    secrets: Iterable[str] = (),
) -> None:
    """POST ``body`` as JSON to ``url``.

    Args:
        where: how errors name the destination (``channel 'ops' (hooks.example.com)``).
        secrets: values to remove from any text the receiver sends back.

    Raises:
        DeliveryFailed: no answer, a timeout, or a status worth retrying.
        DeliveryRejected: a 4xx status other than 408, 425 and 429.
    """
    parts = urlsplit(url)
    # A receiver may echo the path or query back; in a Slack-style URL they are the secret.
    hidden = [*secrets, url, parts.path if len(parts.path) > 1 else "", parts.query]
    if parts.scheme not in ("http", "https"):
        raise DeliveryRejected(f"{where}: only http:// and https:// URLs can be posted to")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read(65536)
    except urllib.error.HTTPError as exc:
        reason = _reason(exc, hidden)
        message = f"{where} answered HTTP {exc.code}{reason}"
        if 400 <= exc.code < 500 and exc.code not in RETRYABLE_STATUS:
            raise DeliveryRejected(message) from None
        raise DeliveryFailed(message) from None
    except urllib.error.URLError as exc:
        raise DeliveryFailed(f"{where}: {scrub(str(exc.reason), hidden)}") from None
    except (TimeoutError, OSError) as exc:
        raise DeliveryFailed(f"{where}: {scrub(str(exc) or type(exc).__name__, hidden)}") from None


def host_of(url: str) -> str:
    """The host (and port) of ``url``, the only part of it errors show."""
    return urlsplit(url).netloc.rpartition("@")[2] or "?"


def _reason(exc: urllib.error.HTTPError, hidden: list[str]) -> str:
    try:
        text = exc.read(MAX_REASON * 2).decode("utf-8", "replace").strip()
    except Exception:
        text = ""
    text = scrub(" ".join(text.split()), hidden)[:MAX_REASON]
    return f": {text}" if text else ""
