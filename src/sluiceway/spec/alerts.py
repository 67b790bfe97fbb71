"""``alerts:`` in ``sluiceway.yaml``: which events alert whom, through which channels.

A *rule* selects events (by type, severity, pipeline, table) and routes them to
*channels*: a generic webhook (JSON), a Slack-compatible webhook, or e-mail over SMTP.
Alerts about the same thing within a window are grouped into one message, repeats are
de-duplicated, a rule can send a resolution notice when the condition clears, and a
channel is rate-limited. Channel secrets are ``${env:NAME}`` references.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field

from sluiceway.spec.base import Identifier, SpecModel
from sluiceway.spec.durations import Duration
from sluiceway.spec.secrets import SecretRef

AlertEvent = Literal[
    "run.failed",
    "step.failed",
    "check.failed",
    "anomaly.detected",
    "sla.missed",
    "file.failed",
]
"""The events a rule may alert on."""


class WebhookChannel(SpecModel):
    """POST a JSON document to a URL, optionally signed with HMAC-SHA256."""

    type: Literal["webhook"] = Field(description="A generic JSON webhook.")
    url: str = Field(description="Where to POST.")
    secret: SecretRef | None = Field(
        None, description="Signs the body (`X-Sluiceway-Signature`), only as `${env:NAME}`."
    )


class SlackChannel(SpecModel):
    """POST a Slack-compatible message (`text` and `blocks`) to an incoming-webhook URL."""

    type: Literal["slack"] = Field(description="A Slack-compatible incoming webhook.")
    url: SecretRef = Field(description="The webhook URL, a secret: only as `${env:NAME}`.")


class EmailChannel(SpecModel):
    """Send an e-mail over SMTP."""

    type: Literal["email"] = Field(description="E-mail over SMTP.")
    host: str = Field(description="SMTP server.")
    port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    starttls: bool = Field(True, description="Upgrade the connection with STARTTLS.")
    username: str | None = Field(None, description="Login, if the server wants one.")
    password: SecretRef | None = Field(None, description="Password, only as `${env:NAME}`.")
    sender: str = Field(description="The From address.")
    to: list[str] = Field(min_length=1, description="Recipients.")


Channel = Annotated[WebhookChannel | SlackChannel | EmailChannel, Field(discriminator="type")]


class AlertRule(SpecModel):
    """Which events alert, and where they go."""

    name: Identifier = Field(description="Rule name, shown in every alert it sends.")
    on: list[AlertEvent] = Field(min_length=1, description="Event types that alert.")
    severity: Literal["warn", "error", "block"] | None = Field(
        None, description="For `check.failed`: only checks of this severity or worse."
    )
    pipelines: list[str] = Field(
        default_factory=list, description="Only events of these pipelines (default: all)."
    )
    tables: list[str] = Field(
        default_factory=list, description="Only events about these tables (default: all)."
    )
    channels: list[Identifier] = Field(min_length=1, description="Channels to notify.")
    group_window: Duration = Field(
        timedelta(minutes=5),
        description="Alerts about the same subject within this window make one message.",
    )
    resolve: bool = Field(True, description="Send a notice when the condition clears.")


class AlertSettings(SpecModel):
    """Channels, rules, and how often a channel may be used."""

    channels: dict[Identifier, Channel] = Field(default_factory=dict, description="Named channels.")
    rules: list[AlertRule] = Field(default_factory=list, description="Alert rules.")
    rate_limit: int = Field(
        20, ge=1, description="Messages a channel may send per hour; the rest are summarized."
    )
