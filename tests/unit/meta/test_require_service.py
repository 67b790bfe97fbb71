"""The shared "require a service" rule: skip on a laptop, fail under CI=true."""

from __future__ import annotations

import pytest

from support.services import require_service, tcp_probe


def _unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_missing_service_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"PostgreSQL on 127\.0\.0\.1"):
        require_service("PostgreSQL on 127.0.0.1", tcp_probe("127.0.0.1", _unused_port()))


def test_missing_service_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_service("PostgreSQL on 127.0.0.1", tcp_probe("127.0.0.1", _unused_port()))


def test_available_service_returns_the_probe_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert require_service("anything", lambda: 42) == 42
