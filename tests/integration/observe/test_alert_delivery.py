"""Alerts delivered for real on loopback: HTTP receivers and an SMTP server (aiosmtpd).

The engine runs as the daemon runs it — its consumer and one worker per channel on their
own threads, on the system clock — and the tests wait for deliveries, not for time.
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sluiceway.events.types import CheckFailed, RunFailed, RunSucceeded
from sluiceway.meta.alert_outbox import OutboxRepo
from sluiceway.observe.alerts import AlertEngine, send_test_message
from sluiceway.observe.alerts.delivery import DeliveryPolicy
from sluiceway.observe.alerts.errors import DeliveryRejected
from sluiceway.orchestrate.triggers.webhook_routes import signature_valid
from support.alerts import alert_project, append, record_lineage
from support.receivers import HttpReceiver, SmtpReceiver, free_port

FAST = DeliveryPolicy(timeout=2.0, first_backoff=0.1, max_backoff=0.3, idle=0.2)


@pytest.fixture
def hook() -> Iterator[HttpReceiver]:
    server = HttpReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    server = SmtpReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def black_hole() -> Iterator[socket.socket]:
    """A listening socket that never answers: the worst kind of down (close it to end it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock


def started(engine: AlertEngine) -> AlertEngine:
    engine.start()
    return engine


def mail_channel(smtp: SmtpReceiver) -> str:
    return (
        f"  mail: {{type: email, host: 127.0.0.1, port: {smtp.port}, tls: none,\n"
        "         sender: alerts@example.com, to: [oncall@example.com, data@example.com]}\n"
    )


def test_webhook_slack_and_email_each_receive_the_failure(
    tmp_path: Path,
    store: Any,
    hook: HttpReceiver,
    smtp: SmtpReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slack = HttpReceiver().start()
    monkeypatch.setenv("HOOK_SECRET", "hook-signing-key")
    monkeypatch.setenv("SLACK_URL", slack.url)
    project = alert_project(
        tmp_path,
        "channels:\n"
        f'  hook: {{type: webhook, url: "{hook.url}", secret: "${{env:HOOK_SECRET}}"}}\n'
        '  slack: {type: slack, url: "${env:SLACK_URL}"}\n'
        + mail_channel(smtp)
        + "rules:\n  - {name: failures, on: [run.failed], channels: [hook, slack, mail]}\n",
    )
    record_lineage(store)
    engine = started(AlertEngine(project, store, policy=FAST))
    try:
        append(store, RunFailed(pipeline="silver", run_id="r-42", error="division by zero"))
        [request] = hook.wait_for(1)
        [posted] = slack.wait_for(1)
        [(recipients, mail)] = smtp.wait_for(1)
    finally:
        engine.stop()
        slack.stop()

    assert signature_valid(
        b"hook-signing-key", request.body, request.headers["X-Sluiceway-Signature"]
    )
    body = request.json()
    assert (body["kind"], body["rule"], body["project"], body["env"]) == (
        "alert", "failures", "shop", "prod",
    )  # fmt: skip
    [item] = body["alerts"]
    assert (item["type"], item["pipeline"], item["run_id"]) == ("run.failed", "silver", "r-42")
    assert [d["table"] for d in item["downstream"]] == ["gold.daily_revenue", "gold.weekly_report"]

    slack_body = posted.json()
    title = "[shop/prod] FIRING run.failed — pipeline silver failed: division by zero"
    assert slack_body["blocks"][0]["text"]["text"] == title
    assert "downstream: gold.daily_revenue (pipeline gold)" in slack_body["text"]

    assert recipients == ["oncall@example.com", "data@example.com"]
    assert mail["Subject"] == title
    text = mail.get_payload(decode=True).decode()
    assert "affects: silver.orders" in text
    assert "downstream: gold.daily_revenue (pipeline gold), gold.weekly_report" in text


@pytest.mark.slow
def test_a_channel_that_is_down_delays_nothing_else_and_is_retried(
    tmp_path: Path, store: Any, hook: HttpReceiver, smtp: SmtpReceiver, black_hole: socket.socket
) -> None:
    closed = free_port()
    hanging = black_hole.getsockname()[1]
    project = alert_project(
        tmp_path,
        "channels:\n"
        f'  hanging: {{type: webhook, url: "http://127.0.0.1:{hanging}/hook"}}\n'
        f'  refused: {{type: webhook, url: "http://127.0.0.1:{closed}/hook"}}\n'
        f'  hook: {{type: webhook, url: "{hook.url}"}}\n' + mail_channel(smtp) + "rules:\n"
        "  - {name: failures, on: [run.failed], channels: [hanging, refused, hook, mail]}\n",
    )
    policy = replace(FAST, timeout=4.0)
    engine = started(AlertEngine(project, store, policy=policy))
    later = HttpReceiver(port=closed)
    try:
        began = time.monotonic()
        append(store, RunFailed(pipeline="silver", error="boom"))
        assert len(hook.wait_for(1, timeout=5)) == 1
        assert len(smtp.wait_for(1, timeout=5)) == 1
        # both arrived while one channel hangs for its whole 4 s timeout
        assert time.monotonic() - began < 2.5

        repo = OutboxRepo(store)
        deadline = time.monotonic() + 5
        while (head := repo.head("refused")) is None or head.attempts < 2:
            assert time.monotonic() < deadline, "the refused channel was not retried"
            time.sleep(0.05)
        assert "Connection refused" in (head.last_error or "")

        later.start()  # the channel comes back on the same port
        [request] = later.wait_for(1, timeout=5)
        assert request.json()["alerts"][0]["subject"] == "run:silver"

        deadline = time.monotonic() + 8
        while not (hung := repo.notifications(channel="hanging")[0]).last_error:
            assert time.monotonic() < deadline, "the hanging channel never timed out"
            time.sleep(0.05)
    finally:
        black_hole.close()  # resets the connection its retry is waiting on
        engine.stop()
        later.stop()
    [delivered] = repo.notifications(channel="refused")
    assert delivered.status == "sent" and delivered.attempts >= 3
    assert hung.status == "pending" and "timed out" in (hung.last_error or "")


def test_an_engine_restarted_on_the_store_resumes_without_resending(
    tmp_path: Path, store: Any, hook: HttpReceiver
) -> None:
    closed = free_port()
    project = alert_project(
        tmp_path,
        "channels:\n"
        f'  hook: {{type: webhook, url: "{hook.url}"}}\n'
        f'  later: {{type: webhook, url: "http://127.0.0.1:{closed}/hook"}}\n'
        "rules:\n  - {name: failures, on: [run.failed], channels: [hook, later],"
        " group_window: 0s}\n",
    )
    first = started(AlertEngine(project, store, policy=FAST))
    try:
        append(store, RunFailed(pipeline="silver", error="boom"))
        hook.wait_for(1)
    finally:
        first.stop()
    later = HttpReceiver(port=closed).start()  # comes up while no engine runs
    second = started(AlertEngine(project, store, policy=FAST))
    try:
        [left_over] = later.wait_for(1)
        assert left_over.json()["alerts"][0]["state"] == "firing"
        append(store, RunSucceeded(pipeline="silver"))
        assert len(hook.wait_for(2)) == 2
        assert len(later.wait_for(2)) == 2
        time.sleep(0.5)  # time enough for a duplicate to show up
    finally:
        second.stop()
        later.stop()
    states = [r.json()["alerts"][0]["state"] for r in hook.delivered()]
    assert states == ["firing", "resolved"]
    assert [r.json()["alerts"][0]["state"] for r in later.delivered()] == states
    assert (
        hook.requests[0].headers["X-Sluiceway-Delivery"]
        != (hook.requests[1].headers["X-Sluiceway-Delivery"])
    )


def test_secrets_stay_out_of_logs_and_errors(
    tmp_path: Path,
    store: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token, slack_token, password = "tok-8c1f0e", "T000/B000/xoxb-9d2e", "pw-41b7aa"
    refusing = HttpReceiver(statuses=[404] * 10, echo=True).start()
    authenticating = SmtpReceiver(login=("alerts", "the-real-password")).start()
    monkeypatch.setenv("HOOK_TOKEN", token)
    monkeypatch.setenv("SLACK_URL", f"http://127.0.0.1:{free_port()}/services/{slack_token}")
    monkeypatch.setenv("SMTP_PASSWORD", password)
    project = alert_project(
        tmp_path,
        "channels:\n"
        f'  hook: {{type: webhook, url: "{refusing.url}/${{env:HOOK_TOKEN}}",\n'
        '         headers: {Authorization: "Bearer ${env:HOOK_TOKEN}"}}\n'
        '  slack: {type: slack, url: "${env:SLACK_URL}"}\n'
        f"  mail: {{type: email, host: 127.0.0.1, port: {authenticating.port}, tls: none,\n"
        '         username: alerts, password: "${env:SMTP_PASSWORD}",\n'
        "         sender: alerts@example.com, to: [oncall@example.com]}\n"
        "rules:\n  - {name: failures, on: [run.failed], channels: [hook, slack, mail]}\n",
    )
    caplog.set_level(logging.DEBUG)
    engine = started(AlertEngine(project, store, policy=FAST))
    repo = OutboxRepo(store)
    try:
        append(store, RunFailed(pipeline="silver", error="boom"))
        deadline = time.monotonic() + 10
        while True:
            notes = repo.notifications()
            if len(notes) == 3 and all(n.last_error for n in notes):
                break
            assert time.monotonic() < deadline, notes
            time.sleep(0.05)
    finally:
        engine.stop()
        refusing.stop()
        authenticating.stop()
    assert token in refusing.requests[0].path  # the receiver did see it and echoed it back
    errors = {n.channel: n.last_error or "" for n in repo.notifications()}
    assert "answered HTTP 404" in errors["hook"]
    assert "login as alerts refused (535)" in errors["mail"]
    assert "Connection refused" in errors["slack"]
    shown = "\n".join([*errors.values(), caplog.text])
    for secret in (token, slack_token, password):
        assert secret not in shown


def test_a_missing_secret_stops_the_engine_at_start_naming_the_variable(
    tmp_path: Path, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_URL", raising=False)
    project = alert_project(
        tmp_path,
        'channels:\n  slack: {type: slack, url: "${env:SLACK_URL}"}\n'
        "rules:\n  - {name: failures, on: [run.failed], channels: [slack]}\n",
    )
    from sluiceway.observe.alerts.errors import AlertConfigError

    with pytest.raises(AlertConfigError, match="channel 'slack': environment variable SLACK_URL"):
        AlertEngine(project, store).start()


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    from ipaddress import IPv4Address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = folder / "smtp.crt", folder / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_email_over_starttls_with_a_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("cryptography")
    cert_file, key_file = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    server = SmtpReceiver(login=("alerts", "s3cret-pw"), tls_context=context).start()
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret-pw")
    project = alert_project(
        tmp_path / "project",
        "channels:\n"
        f"  mail: {{type: email, host: 127.0.0.1, port: {server.port}, tls: starttls,\n"
        f'         ca_file: "{cert_file}", username: alerts, password: "${{env:SMTP_PASSWORD}}",\n'
        "         sender: alerts@example.com, to: [oncall@example.com]}\n"
        "rules:\n  - {name: failures, on: [check.failed], channels: [mail]}\n",
    )
    try:
        send_test_message(project, "mail")
        [(recipients, mail)] = server.wait_for(1)
    finally:
        server.stop()
    assert server.logins == ["alerts"]
    assert recipients == ["oncall@example.com"]
    assert mail["Subject"] == "[shop/prod] test message to channel mail"


def test_a_server_that_does_not_offer_starttls_is_refused_not_sent_in_clear(
    tmp_path: Path, smtp: SmtpReceiver
) -> None:
    project = alert_project(
        tmp_path,
        "channels:\n"
        f"  mail: {{type: email, host: 127.0.0.1, port: {smtp.port},\n"
        "         sender: alerts@example.com, to: [oncall@example.com]}\n"
        "rules:\n  - {name: failures, on: [check.failed], channels: [mail]}\n",
    )
    with pytest.raises(DeliveryRejected, match="STARTTLS"):
        send_test_message(project, "mail")
    assert smtp.messages == []


def test_check_failures_reach_a_channel_with_their_severity(
    tmp_path: Path, store: Any, hook: HttpReceiver
) -> None:
    project = alert_project(
        tmp_path,
        f'channels:\n  hook: {{type: webhook, url: "{hook.url}"}}\n'
        "rules:\n  - {name: blocking, on: [check.failed], severity: block, channels: [hook]}\n",
    )
    engine = started(AlertEngine(project, store, policy=FAST))
    try:
        common = {"pipeline": "silver", "table": "silver.orders", "check_type": "unique"}
        append(
            store,
            CheckFailed(**common, check="warned", severity="warn"),
            CheckFailed(**common, check="unique_order_id", severity="block", failing_rows=3),
        )
        [request] = hook.wait_for(1)
    finally:
        engine.stop()
    [item] = request.json()["alerts"]
    assert item["details"]["severity"] == "block" and item["details"]["failing_rows"] == "3"


def test_a_run_failing_beside_the_running_engine_is_alerted(
    tmp_path: Path, hook: HttpReceiver
) -> None:
    from sluiceway.meta.store import open_project_store
    from sluiceway.orchestrate.runner import run_pipeline
    from sluiceway.spec.project import load_project

    (tmp_path / "pipelines").mkdir()
    (tmp_path / "sluiceway.yaml").write_text(
        "name: shop\nalerts:\n"
        f'  channels: {{hook: {{type: webhook, url: "{hook.url}"}}}}\n'
        "  rules: [{name: failures, on: [run.failed, step.failed], channels: [hook],"
        " group_wait: 1s}]\n",
        encoding="utf-8",
    )
    (tmp_path / "pipelines" / "orders.yaml").write_text(
        "name: orders\nsteps:\n"
        "  - {name: load, type: sql, query: \"SELECT error('feed is empty') AS id\","
        " table: silver.orders}\n",
        encoding="utf-8",
    )
    project = load_project(tmp_path)
    with open_project_store(project) as store:
        engine = started(AlertEngine(project, store, policy=FAST))
        try:
            assert run_pipeline(project, "orders", store).status == "failed"
            requests = hook.wait_for(1)
            time.sleep(0.3)  # group_wait gathered the step's and the run's failure: one message
        finally:
            engine.stop()
    [request] = hook.delivered()
    assert requests == [request]
    subjects = sorted(a["subject"] for a in request.json()["alerts"])
    assert subjects == ["run:orders", "step:orders.load"]
