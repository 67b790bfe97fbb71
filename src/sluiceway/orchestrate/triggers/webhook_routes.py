"""Which webhooks a project exposes, and how a request proves it comes from a sender.

``POST /hooks/<name>`` serves the pipelines whose ``webhook`` trigger has that name; all
of them start from one ``webhook.received`` event, so they must agree on the secret (or
all have none): otherwise an unsigned request to an unsigned trigger would also start the
pipelines that asked for a signature. ``s3`` is reserved for S3 event notifications.

A signed request carries ``X-Sluiceway-Signature: sha256=<hex>``, the HMAC-SHA256 of the
raw body under the shared secret (the scheme GitHub and Stripe use, so senders have
libraries for it).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from sluiceway.orchestrate.triggers.errors import TriggerConfigError
from sluiceway.orchestrate.triggers.files import FileFilter
from sluiceway.spec.project import Project
from sluiceway.spec.triggers import WebhookTrigger

S3_HOOK = "s3"
"""The reserved hook name that accepts S3 event notifications."""
SIGNATURE_HEADER = "X-Sluiceway-Signature"
SIGNATURE_PREFIX = "sha256="


@dataclass(frozen=True)
class WebhookRoute:
    """``/hooks/<name>``: the pipelines it starts and the secret reference that signs it."""

    name: str
    pipelines: tuple[str, ...]
    secret: str | None = field(default=None, repr=False)
    """A ``${env:NAME}`` reference, resolved when the server starts."""


@dataclass(frozen=True)
class S3Route:
    """``/hooks/s3``: where notified objects must be, and the optional signing secret."""

    root: str
    filter: FileFilter
    secret: str | None = field(default=None, repr=False)


def webhook_routes(project: Project) -> dict[str, WebhookRoute]:
    """The webhooks ``project``'s pipelines declare, by name.

    Raises:
        TriggerConfigError: a webhook is named ``s3``, or pipelines sharing a webhook name
            disagree on its secret (the message names the pipelines, never a value).
    """
    pipelines: dict[str, list[str]] = {}
    secrets: dict[str, set[str | None]] = {}
    for pipeline in project.pipelines.values():
        for trigger in pipeline.on:
            if not isinstance(trigger, WebhookTrigger):
                continue
            if trigger.name == S3_HOOK:
                raise TriggerConfigError(
                    f"pipeline {pipeline.name}: webhook name '{S3_HOOK}' is reserved for S3 "
                    "event notifications",
                    hint="choose another name",
                )
            names = pipelines.setdefault(trigger.name, [])
            if pipeline.name not in names:
                names.append(pipeline.name)
            secrets.setdefault(trigger.name, set()).add(trigger.secret)
    for name, refs in secrets.items():
        if len(refs) > 1:
            raise TriggerConfigError(
                f"webhook '{name}' has different secrets in pipelines {', '.join(pipelines[name])}",
                hint="one webhook name, one secret: give every trigger of it the same "
                "secret reference, or use different names",
            )
    return {
        name: WebhookRoute(name, tuple(pipelines[name]), next(iter(secrets[name])))
        for name in pipelines
    }


def sign(secret: str | bytes, body: bytes) -> str:
    """The ``X-Sluiceway-Signature`` value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    """True when ``header`` is the signature of ``body`` under ``secret`` (constant time)."""
    if not header:
        return False
    expected = sign(secret, body).encode("ascii")
    return hmac.compare_digest(header.strip().encode("utf-8", "replace"), expected)
