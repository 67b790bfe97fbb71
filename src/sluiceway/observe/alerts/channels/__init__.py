"""Channels: one sender per channel type, behind the small :class:`Sender` protocol."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sluiceway.observe.alerts.channels.base import Sender
from sluiceway.spec.alerts import EmailChannel, SlackChannel, WebhookChannel


def sender_for(
    name: str,
    spec: WebhookChannel | SlackChannel | EmailChannel,
    *,
    timeout: float,
    root: Path,
    environ: Mapping[str, str] | None = None,
) -> Sender:
    """The sender for channel ``name`` as configured by ``spec``."""
    if isinstance(spec, WebhookChannel):
        from sluiceway.observe.alerts.channels.webhook import WebhookSender

        return WebhookSender(name, spec, timeout=timeout, environ=environ)
    if isinstance(spec, SlackChannel):
        from sluiceway.observe.alerts.channels.slack import SlackSender

        return SlackSender(name, spec, timeout=timeout, environ=environ)
    from sluiceway.observe.alerts.channels.smtp import EmailSender

    return EmailSender(name, spec, timeout=timeout, root=root, environ=environ)


__all__ = ["Sender", "sender_for"]
