"""Errors of the alert engine and its channels.

A channel's failure is either worth retrying (the receiver is down, slow or busy:
:class:`DeliveryFailed`) or not (it answered that it will never take the message, or the
channel is misconfigured: :class:`DeliveryRejected`). The delivery worker reads the marker
class, as the step retry logic does. Messages never contain a secret's value: senders
build them from the channel's name and host only, and :func:`scrub` removes any resolved
secret a driver might echo back.
"""

from __future__ import annotations

from collections.abc import Iterable

from sluiceway.errors import SluicewayError, TerminalError, TransientError


class AlertError(SluicewayError):
    """Base of the alert engine's errors."""


class AlertConfigError(AlertError, TerminalError):
    """The alert settings cannot work as written (a secret not set, an unreadable CA file)."""

    exit_code = 2


class DeliveryFailed(AlertError, TransientError):
    """A message could not be delivered this time; it is tried again later."""


class DeliveryRejected(AlertError, TerminalError):
    """The receiver refused the message for good; retrying would fail the same way."""


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty value of ``secrets`` replaced by ``***``."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
