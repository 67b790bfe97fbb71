"""Reachability of the real services tests use, with one skip-or-fail rule.

On a developer's laptop a missing service skips the test with the reason; under ``CI=true``
it fails, so CI cannot go green by skipping everything.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def in_ci() -> bool:
    """True when running under CI (``CI=true``), where missing services are failures."""
    return os.environ.get("CI", "").lower() == "true"


def require_service(name: str, probe: Callable[[], T], *, hint: str = "") -> T:
    """Return ``probe()``; if it raises, skip the test (fail it under ``CI=true``).

    Args:
        name: the service, as the message shows it ("PostgreSQL on 127.0.0.1:5432").
        probe: connects to the service; its return value is passed back.
        hint: how to make the service available.
    """
    try:
        return probe()
    except Exception as exc:
        reason = f"{name} is not available: {type(exc).__name__}: {exc}".strip()
        if hint:
            reason += f" ({hint})"
        if in_ci():
            pytest.fail(f"{reason} [CI=true: services are required]", pytrace=False)
        pytest.skip(reason)


def tcp_probe(host: str, port: int, timeout: float = 1.0) -> Callable[[], None]:
    """A probe that succeeds when something accepts TCP connections on host:port."""

    def probe() -> None:
        with socket.create_connection((host, port), timeout=timeout):
            pass

    return probe
