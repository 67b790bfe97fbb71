"""The transports: what a receiver gets, and how each kind of failure is reported."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sluiceway.events.sinks.openlineage_transports import (
    DeliveryError,
    FileTransport,
    HttpTransport,
    RejectedError,
)
from support.openlineage import Receiver, free_port

EVENT = {"eventType": "START", "run": {"runId": "x"}, "job": {"namespace": "n", "name": "j"}}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def test_http_posts_each_event_to_the_endpoint_with_the_key(receiver: Receiver) -> None:
    transport = HttpTransport(
        receiver.url + "/", "/api/v1/lineage", api_key="${env:OL}", environ={"OL": "abc"}
    )
    transport.send(EVENT)
    transport.send({**EVENT, "eventType": "COMPLETE"})
    assert [e["eventType"] for e in receiver.events] == ["START", "COMPLETE"]
    assert receiver.headers[0]["Authorization"] == "Bearer abc"
    assert receiver.headers[0]["Content-Type"] == "application/json"


def test_http_sends_no_credentials_without_a_key(receiver: Receiver) -> None:
    HttpTransport(receiver.url).send(EVENT)
    assert "Authorization" not in receiver.headers[0]


@pytest.mark.parametrize("status", [500, 503, 429, 401, 404])
def test_answers_worth_retrying_are_delivery_errors(receiver: Receiver, status: int) -> None:
    receiver.status = status
    with pytest.raises(DeliveryError, match=str(status)):
        HttpTransport(receiver.url).send(EVENT)


@pytest.mark.parametrize("status", [400, 413, 422])
def test_a_refused_event_is_rejected_for_good(receiver: Receiver, status: int) -> None:
    receiver.status = status
    with pytest.raises(RejectedError, match=str(status)):
        HttpTransport(receiver.url).send(EVENT)


def test_a_receiver_that_is_down_fails_fast() -> None:
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="unreachable"):
        HttpTransport(f"http://127.0.0.1:{free_port()}", timeout=5).send(EVENT)
    assert time.monotonic() - started < 2


def test_an_unset_key_names_the_variable_and_is_retried_later(receiver: Receiver) -> None:
    with pytest.raises(DeliveryError, match="OL_MISSING"):
        HttpTransport(receiver.url, api_key="${env:OL_MISSING}", environ={}).send(EVENT)
    assert receiver.events == []


@pytest.fixture
def echo() -> Iterator[str]:
    """A receiver that refuses everything (``/<status>/<padding>``), quoting the key back
    after ``padding`` characters."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            _, status, padding = self.path.split("/")
            body = ("x" * int(padding) + f"you sent {self.headers['Authorization']}").encode()
            self.send_response(int(status))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("status", ["401", "400"])
def test_the_key_never_appears_in_an_error(echo: str, status: str) -> None:
    transport = HttpTransport(echo, f"{status}/0", api_key="${env:OL}", environ={"OL": "t0ps3cret"})
    with pytest.raises((DeliveryError, RejectedError)) as raised:
        transport.send(EVENT)
    assert "you sent Bearer ***" in str(raised.value)  # the receiver quoted it: masked
    assert "t0ps3cret" not in str(raised.value)


@pytest.mark.parametrize("padding", [185, 191, 195, 199])
def test_no_part_of_the_key_survives_where_an_answer_is_cut_short(echo: str, padding: int) -> None:
    transport = HttpTransport(
        echo, f"400/{padding}", api_key="${env:OL}", environ={"OL": "t0ps3cret"}
    )
    with pytest.raises(RejectedError) as raised:
        transport.send(EVENT)
    assert "t0p" not in str(raised.value)


def test_the_file_gets_one_json_line_per_event_appended(tmp_path: Path) -> None:
    path = tmp_path / "lineage" / "events.jsonl"
    first = FileTransport(path)
    first.send(EVENT)
    first.flush()
    first.close()
    second = FileTransport(path)
    second.send({**EVENT, "eventType": "COMPLETE", "note": "ünïcode"})
    second.flush()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["eventType"] for line in lines] == ["START", "COMPLETE"]
    assert json.loads(lines[1])["note"] == "ünïcode"


def test_a_file_that_cannot_be_written_is_a_delivery_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(DeliveryError, match="cannot append"):
        FileTransport(tmp_path / "taken" / "events.jsonl").send(EVENT)
