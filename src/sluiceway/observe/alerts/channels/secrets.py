"""Resolving a channel's ``${env:NAME}`` references at the moment of use."""

from __future__ import annotations

import os
from collections.abc import Mapping

from sluiceway.observe.alerts.errors import AlertConfigError
from sluiceway.spec.secrets import SecretNotSetError, references, resolve


def resolved(channel: str, text: str, environ: Mapping[str, str] | None) -> str:
    """``text`` with its references replaced.

    Raises:
        AlertConfigError: a referenced variable is not set; the message names the channel
            and the variable, never a value.
    """
    try:
        return resolve(text, environ)
    except SecretNotSetError as exc:
        raise AlertConfigError(f"channel '{channel}': {exc.message}", hint=exc.hint) from None


def reference_values(texts: list[str | None], environ: Mapping[str, str] | None) -> list[str]:
    """The values of every variable ``texts`` reference: what an error must never show."""
    env = os.environ if environ is None else environ
    names = {name for text in texts if text for name in references(text)}
    return [env[name] for name in names if env.get(name)]
