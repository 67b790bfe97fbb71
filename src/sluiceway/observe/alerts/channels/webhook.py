"""The generic webhook: the message's JSON, POSTed, optionally signed.

The body is :meth:`Message.to_json` plus ``text``. Headers: ``X-Sluiceway-Delivery`` (the
outbox id: the same for every retry of one message, so a receiver can drop a redelivery),
``X-Sluiceway-Kind`` (``alert``, ``summary`` or ``test``) and, with a ``secret``,
``X-Sluiceway-Signature: sha256=<hex HMAC-SHA256 of the body>`` — the format Sluiceway's
own inbound webhooks check, so one verification routine serves both directions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sluiceway.observe.alerts.channels.http import host_of, post_json
from sluiceway.observe.alerts.channels.secrets import reference_values, resolved
from sluiceway.spec.secrets import references

if TYPE_CHECKING:
    from sluiceway.observe.alerts.messages import Message
    from sluiceway.spec.alerts import WebhookChannel

SIGNATURE_HEADER = "X-Sluiceway-Signature"
SIGNATURE_PREFIX = "sha256="


def sign(secret: str | bytes, body: bytes) -> str:
    """The ``X-Sluiceway-Signature`` value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def webhook_body(message: Message) -> bytes:
    """The JSON document a webhook receives."""
    return json.dumps({**message.to_json(), "text": message.text()}).encode("utf-8")


class WebhookSender:
    """POSTs messages to a generic JSON webhook."""

    def __init__(
        self,
        name: str,
        spec: WebhookChannel,
        *,
        timeout: float,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self._spec = spec
        self._timeout = timeout
        self._environ = environ

    def check(self) -> None:
        """Resolve the URL, secret and headers once, so a missing variable shows at start."""
        self._resolve()

    def send(self, message: Message, delivery_id: int) -> None:
        """POST ``message``."""
        url, secret, configured = self._resolve()
        body = webhook_body(message)
        headers = {
            **configured,
            "X-Sluiceway-Delivery": str(delivery_id),
            "X-Sluiceway-Kind": message.kind,
        }
        if secret is not None:
            headers[SIGNATURE_HEADER] = sign(secret, body)
        spec = self._spec
        hidden = reference_values([spec.url, spec.secret, *spec.headers.values()], self._environ)
        hidden += [configured[k] for k, v in spec.headers.items() if references(v)]
        post_json(
            url,
            body,
            headers=headers,
            timeout=self._timeout,
            where=f"channel '{self.name}' ({host_of(url)})",
            secrets=hidden,
        )

    def _resolve(self) -> tuple[str, str | None, dict[str, str]]:
        url = resolved(self.name, self._spec.url, self._environ)
        secret = (
            None
            if self._spec.secret is None
            else resolved(self.name, self._spec.secret, self._environ)
        )
        headers = {
            key: resolved(self.name, value, self._environ)
            for key, value in self._spec.headers.items()
        }
        return url, secret, headers
