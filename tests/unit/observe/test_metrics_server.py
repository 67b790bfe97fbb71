"""``/metrics`` and ``/healthz`` over real HTTP on 127.0.0.1, and ``sluiceway metrics``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from sluiceway.cli import metrics_cmd, sla_cmd
from sluiceway.cli.context import state
from sluiceway.events.log import EventLog
from sluiceway.meta.store import MetaStore
from sluiceway.observe.metrics_server import metrics_server
from support.metrics import make_shop, parse, value


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def unreachable(*args: object) -> int:
    raise ConnectionError("connection refused")


def test_metrics_are_served_over_http(
    store: MetaStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = make_shop(tmp_path / "shop", store)
    shop.run("raw")
    shop.run("silver")
    server = metrics_server(shop.project, store, "127.0.0.1", 0)
    server.start()
    try:
        assert server.port != 0 and server.url == f"http://127.0.0.1:{server.port}"
        status, content_type, body = get(server.url + "/metrics")
        assert status == 200 and content_type == "text/plain; version=0.0.4; charset=utf-8"
        types, samples = parse(body)
        assert value(samples, "sluiceway_step_last_rows_out", pipeline="silver", step="orders") == 3
        assert value(samples, "sluiceway_table_rows", table="silver.orders") == 3
        assert types["sluiceway_step_duration_seconds"] == "histogram"
        assert get(server.url + "/healthz")[::2] == (200, '{"status": "ok"}')
        assert get(server.url + "/readyz")[::2] == (200, '{"status": "ok"}')
        status, _, body = get(server.url + "/nothing")
        assert status == 404 and "GET /metrics" in json.loads(body)["error"]
        monkeypatch.setattr(EventLog, "latest_id", unreachable)  # the store goes away…
        status, _, body = get(server.url + "/readyz")  # …unready, but alive
        assert json.loads(body) == {
            "status": "unavailable",
            "error": "metadata store: connection refused",
        }
        assert status == 503
        assert get(server.url + "/healthz")[0] == 200
    finally:
        server.stop()
        server.stop()  # idempotent
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(server.url + "/healthz", timeout=2)


def test_the_port_and_host_come_from_the_daemon_settings(store: MetaStore, tmp_path: Path) -> None:
    shop = make_shop(tmp_path / "shop", store)
    (shop.root / "sluiceway.yaml").write_text(
        "name: shop\ndaemon:\n  metrics_host: 127.0.0.1\n  metrics_port: 0\n", encoding="utf-8"
    )
    server = metrics_server(shop.project(), store)
    assert (server.host, server.port) == ("127.0.0.1", 0)
    server.start()
    try:
        assert get(server.url + "/healthz")[0] == 200
    finally:
        server.stop()


def _cli(shop: Any, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """The commands under test."""

    metrics_cmd.register(app)
    sla_cmd.register(app)
    monkeypatch.setattr(state, "project_dir", shop.root)
    monkeypatch.setattr(state, "env", None)
    monkeypatch.setattr(state, "_project", None)
    monkeypatch.setattr(state, "_store", shop.store)
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_the_metrics_command_prints_the_same_series(
    store: MetaStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = make_shop(tmp_path / "shop", store)
    shop.run("raw")
    result = _cli(shop, monkeypatch, "metrics")
    assert result.exit_code == 0, result.output
    _, samples = parse(result.output)
    assert value(samples, "sluiceway_step_last_rows_out", pipeline="raw", step="orders") == 4
    assert value(samples, "sluiceway_table_version", table="raw.orders") == 0

    target = tmp_path / "textfile" / "sluiceway.prom"
    target.parent.mkdir()
    assert _cli(shop, monkeypatch, "metrics", "--output", str(target)).exit_code == 0
    _, written = parse(target.read_text(encoding="utf-8"))
    assert value(written, "sluiceway_table_rows", table="raw.orders") == 4
    assert [p.name for p in target.parent.iterdir()] == ["sluiceway.prom"]  # no leftovers


def test_the_sla_command_lists_each_table(
    store: MetaStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = make_shop(tmp_path / "shop", store)
    result = _cli(shop, monkeypatch, "sla", "--json")
    [row] = json.loads(result.output)
    assert (row["table"], row["sla"], row["state"]) == (
        "silver.orders",
        "fresh_within 2h",
        "missed",
    )
    assert row["detail"] == "silver.orders has never been committed; it must be fresh within 2h"
    assert row["breach_since"] is None  # no watchdog has recorded the breach yet
    shop.run("raw")
    shop.run("silver")
    [row] = json.loads(_cli(shop, monkeypatch, "sla", "--json").output)
    assert row["state"] == "met" and row["last_commit"] is not None
    table = _cli(shop, monkeypatch, "sla").output
    assert "silver.orders" in table and "fresh_within 2h" in table and "met" in table
