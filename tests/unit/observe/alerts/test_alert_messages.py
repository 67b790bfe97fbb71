"""What messages say, and how each channel lays them out."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from sluiceway.meta.alerts import AlertRecord
from sluiceway.observe.alerts.channels.slack import slack_body
from sluiceway.observe.alerts.channels.smtp import email_message
from sluiceway.observe.alerts.channels.webhook import sign, webhook_body
from sluiceway.observe.alerts.messages import Message, alert_message, summary_message
from sluiceway.orchestrate.triggers.webhook_routes import sign as inbound_sign

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
CONTEXT = {
    "summary": "pipeline silver failed: division by zero",
    "details": {"run_id": "r1", "error": "division by zero\n  at step orders\n  at line 3"},
    "tables": ["silver.orders"],
    "downstream": [
        {"table": "gold.daily_revenue", "depth": 1, "pipeline": "gold", "owner": "finance"},
        {"table": "gold.weekly_report", "depth": 2, "pipeline": "report", "owner": None},
    ],
    "downstream_more": 3,
}


def alert(pending: str = "firing", **fields: object) -> AlertRecord:
    values: dict[str, object] = {
        "rule": "failures", "subject": "run:silver", "group_key": "", "event_type": "run.failed",
        "first_event_id": 1, "last_event_id": 1, "opened_at": T0, "last_seen_at": T0,
        "pipeline": "silver", "run_id": "r1", "pending": pending, "context": CONTEXT, "id": 1,
    }  # fmt: skip
    return AlertRecord(**{**values, **fields})  # type: ignore[arg-type]


def test_a_message_names_the_failure_and_what_is_downstream_of_it() -> None:
    message = alert_message("shop", "prod", "failures", [alert()], T0)
    assert (
        message.title == "[shop/prod] FIRING run.failed — pipeline silver failed: division by zero"
    )
    text = message.text()
    assert "pipeline silver · run r1 · at 2026-12-07 08:00:00 UTC" in text
    assert "  affects: silver.orders" in text
    assert (
        "  downstream: gold.daily_revenue (pipeline gold, owner finance), "
        "gold.weekly_report (pipeline report) and 3 more"
    ) in text
    assert "  error:\n    division by zero\n      at step orders" in text
    assert text.endswith("rule failures · sluiceway project shop (prod)")


def test_a_group_message_counts_its_alerts_by_state() -> None:
    alerts = [
        alert(),
        alert("resolved", id=2, subject="run:gold", resolved_at=T0 + timedelta(minutes=3)),
        alert("reminder", id=3, subject="run:report", occurrences=7),
    ]
    message = alert_message("shop", "prod", "failures", alerts, T0)
    assert message.title == "[shop/prod] failures: 1 firing, 1 still firing, 1 resolved"
    text = message.text()
    assert "RESOLVED run.failed" in text and "resolved at 2026-12-07 08:03:00 UTC" in text
    assert "STILL FIRING run.failed" in text and "7 times" in text


def test_a_message_survives_its_round_trip_through_the_outbox() -> None:
    message = alert_message("shop", "prod", "failures", [alert()], T0)
    stored = json.loads(json.dumps(message.to_json()))
    assert Message.from_json(stored) == message
    assert Message.from_json(stored).text() == message.text()


def test_the_webhook_body_is_the_message_json_with_its_text() -> None:
    message = alert_message("shop", "prod", "failures", [alert()], T0)
    body = json.loads(webhook_body(message))
    assert body["kind"] == "alert" and body["rule"] == "failures" and body["version"] == 1
    assert body["alerts"][0]["downstream"][0]["table"] == "gold.daily_revenue"
    assert body["text"] == message.text()


def test_outbound_signatures_use_the_inbound_webhook_format() -> None:
    body = b'{"kind": "alert"}'
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert sign("s3cret", body) == inbound_sign("s3cret", body) == expected


def test_slack_gets_text_and_blocks_with_escaped_mrkdwn() -> None:
    context = {**CONTEXT, "summary": "check a<b & c>d on silver.orders failed"}
    message = alert_message("shop", "prod", "failures", [alert(context=context)], T0)
    body = slack_body(message)
    assert body["text"] == message.text()
    kinds = [block["type"] for block in body["blocks"]]
    assert kinds == ["header", "section", "context"]
    section = body["blocks"][1]["text"]["text"]
    assert "a&lt;b &amp; c&gt;d" in section and "<" not in section
    assert "downstream: gold.daily_revenue" in section


def test_slack_lists_at_most_ten_alerts_then_counts_the_rest() -> None:
    many = [alert(id=i, subject=f"run:p{i}") for i in range(1, 14)]
    body = slack_body(alert_message("shop", "prod", "failures", many, T0))
    sections = [b for b in body["blocks"] if b["type"] == "section"]
    assert len(sections) == 11
    assert sections[-1]["text"]["text"] == "… and 3 more alerts"


def test_an_email_carries_the_title_as_subject_and_the_rest_as_body() -> None:
    message = alert_message("shop", "prod", "failures", [alert()], T0)
    mail = email_message(message, "alerts@example.com", ["a@example.com", "b@example.com"], 42)
    assert mail["Subject"] == message.title
    assert mail["To"] == "a@example.com, b@example.com"
    assert mail["X-Sluiceway-Delivery"] == "42"
    assert mail.get_content().rstrip("\n") == message.body()
    assert message.text() == f"{message.title}\n\n{message.body()}"


def test_a_rate_limit_summary_lists_what_it_held_back() -> None:
    from sluiceway.meta.alert_outbox import Notification

    held = [
        Notification(id=i, channel="ops", kind="alert", status="held", title=f"alert {i}",
                     message={}, attempts=0, next_attempt_at=T0, created_at=T0)
        for i in range(25)
    ]  # fmt: skip
    message = summary_message("shop", "prod", "ops", held, T0)
    assert message.title == (
        "[shop/prod] 25 alert messages held back by the rate limit of channel ops"
    )
    text = message.text()
    assert "- alert 0" in text and "- alert 19" in text and "- alert 20" not in text
    assert "- … and 5 more" in text


def test_details_the_summary_already_says_are_not_repeated() -> None:
    context = {
        "summary": "check unique_id on silver.orders failed (block): 3 duplicate keys",
        "details": {"check": "unique_id", "check_type": "unique", "severity": "block",
                    "observed": "3", "failing_rows": "6", "message": "3 duplicate keys"},
    }  # fmt: skip
    item = alert(event_type="check.failed", context=context)
    text = alert_message("shop", "prod", "checks", [item], T0).text()
    assert "  check_type: unique, observed: 3, failing_rows: 6\n" in text
    assert "severity:" not in text and "message:" not in text
