"""The webhook server over real HTTP on loopback, appending to a real event log."""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from sluiceway.events.types import FileArrived, WebhookReceived
from sluiceway.orchestrate.triggers.files import FileFilter
from sluiceway.orchestrate.triggers.webhook import WebhookServer
from sluiceway.orchestrate.triggers.webhook_routes import S3Route, WebhookRoute, sign
from sluiceway.spec.secrets import SecretNotSetError
from support.triggers import events_of

SECRET = "correct-horse-battery-staple"
S3_SECRET = "s3-notification-secret"
ENV = {"ORDERS_SECRET": SECRET, "S3_SECRET": S3_SECRET}
ROOT = "s3://landing-bucket/in"


@pytest.fixture
def server(store) -> Iterator[WebhookServer]:
    routes = {
        "orders_ready": WebhookRoute("orders_ready", ("orders",), "${env:ORDERS_SECRET}"),
        "open": WebhookRoute("open", ("refunds", "audit")),
    }
    s3 = S3Route(ROOT, FileFilter(("orders/*.csv",)), "${env:S3_SECRET}")
    webhook = WebhookServer(store, routes, s3=s3, port=0, max_body=4096, environ=ENV)
    webhook.start()
    try:
        yield webhook
    finally:
        webhook.stop()
        webhook.stop()  # idempotent


def post(
    server: WebhookServer, path: str, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("POST", path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-Sluiceway-Signature": sign(secret, body), "Content-Type": "application/json"}


def received(store) -> list[WebhookReceived]:
    found = events_of(store, "webhook.received")
    assert all(isinstance(e, WebhookReceived) for e in found)
    return found  # type: ignore[return-value]


def test_a_signed_request_is_recorded_and_answered_202(server, store) -> None:
    body = json.dumps({"batch": "2026-01-05", "rows": 12}).encode()
    status, answer = post(server, "/hooks/orders_ready", body, signed(body))
    assert status == 202
    [event] = received(store)
    assert answer == {"event_id": event.id}
    assert (event.source, event.body) == ("orders_ready", {"batch": "2026-01-05", "rows": 12})


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Sluiceway-Signature": "sha256=" + "0" * 64},
        {"X-Sluiceway-Signature": sign("wrong-secret", b'{"a": 1}')},
        {"X-Sluiceway-Signature": sign(SECRET, b'{"a": 1}')[len("sha256=") :]},
    ],
    ids=["missing", "zeros", "other-secret", "no-prefix"],
)
def test_a_bad_signature_is_refused_with_401(server, store, headers) -> None:
    status, answer = post(server, "/hooks/orders_ready", b'{"a": 1}', headers)
    assert status == 401 and "X-Sluiceway-Signature" in answer["error"]
    assert received(store) == []


def test_a_signature_over_another_body_is_refused(server, store) -> None:
    status, _ = post(server, "/hooks/orders_ready", b'{"a": 2}', signed(b'{"a": 1}'))
    assert status == 401


def test_a_webhook_without_a_secret_needs_no_signature(server, store) -> None:
    status, _ = post(server, "/hooks/open", b"{}")
    assert status == 202
    assert [e.source for e in received(store)] == ["open"]


def test_an_unknown_name_is_404(server, store) -> None:
    status, answer = post(server, "/hooks/nope", b"{}")
    assert status == 404 and "nope" in answer["error"]
    assert post(server, "/elsewhere", b"{}")[0] == 404


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_400(server, store, body: bytes) -> None:
    status, answer = post(server, "/hooks/orders_ready", body, signed(body))
    assert status == 400 and "JSON" in answer["error"]
    assert received(store) == []


def test_a_body_over_the_limit_is_413(server, store) -> None:
    body = json.dumps({"blob": "x" * 5000}).encode()
    status, answer = post(server, "/hooks/orders_ready", body, signed(body))
    assert status == 413 and "4096" in answer["error"]
    assert received(store) == []


def test_a_repeated_idempotency_key_is_recorded_once(server, store) -> None:
    body = b'{"delivery": 1}'
    headers = {**signed(body), "Idempotency-Key": "delivery-7f3a"}
    first_status, first = post(server, "/hooks/orders_ready", body, headers)
    again_status, again = post(server, "/hooks/orders_ready", body, headers)
    assert (first_status, again_status) == (202, 200)
    assert again == {"event_id": first["event_id"], "duplicate": True}
    assert len(received(store)) == 1


def test_an_s3_notification_becomes_file_arrived_events(server, store) -> None:
    record = {
        "eventName": "ObjectCreated:Put",
        "s3": {
            "bucket": {"name": "landing-bucket"},
            "object": {"key": "in/orders/day1.csv", "size": 120, "eTag": "9f2c"},
        },
    }
    body = json.dumps({"Records": [record]}).encode()
    assert post(server, "/hooks/s3", body)[0] == 401  # the setting asks for a signature
    status, answer = post(server, "/hooks/s3", body, signed(body, S3_SECRET))
    assert status == 202
    [event] = events_of(store, "file.arrived")
    assert isinstance(event, FileArrived)
    assert answer == {"event_ids": [event.id]}
    assert (event.uri, event.path, event.size, event.etag) == (
        f"{ROOT}/orders/day1.csv",
        "orders/day1.csv",
        120,
        "9f2c",
    )
    # S3 may deliver a notification twice: the object is appended once.
    assert post(server, "/hooks/s3", body, signed(body, S3_SECRET)) == (202, {"event_ids": []})
    bad = b'{"Records": {}}'
    assert post(server, "/hooks/s3", bad, signed(bad, S3_SECRET))[0] == 400


def test_health_answers_200(server) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/health")
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())) == (200, {"status": "ok"})
    connection.close()


def test_neither_secrets_nor_signatures_reach_the_logs(server, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="sluiceway")
    body = b'{"a": 1}'
    post(server, "/hooks/orders_ready?token=query-secret", body, signed(body))
    post(server, "/hooks/orders_ready", body, {"X-Sluiceway-Signature": "sha256=bad"})
    assert caplog.records  # the access log did run
    for text in (SECRET, sign(SECRET, body), "sha256=bad", "query-secret"):
        assert text not in caplog.text


def test_a_missing_secret_variable_stops_the_start_and_is_named(store) -> None:
    routes = {"r": WebhookRoute("r", ("p",), "${env:NOT_SET_ANYWHERE}")}
    webhook = WebhookServer(store, routes, port=0, environ={})
    with pytest.raises(SecretNotSetError, match="NOT_SET_ANYWHERE"):
        webhook.start()
    webhook.stop()
