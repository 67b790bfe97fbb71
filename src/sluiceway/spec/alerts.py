"""``alerts:`` in ``sluiceway.yaml``: which events alert whom, through which channels.

A *rule* selects events (by type, severity, pipeline, table) and routes them to
*channels*: a generic webhook (JSON), a Slack-compatible webhook, or e-mail over SMTP.
Repeats of an alert that is still firing are de-duplicated, new alerts of a rule are
grouped into one message per window, a rule sends a resolution notice when the condition
clears, and each channel is rate-limited. Channel secrets are ``${env:NAME}`` references,
resolved only when a message is sent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from sluiceway.spec.base import Identifier, SpecModel
from sluiceway.spec.durations import Duration
from sluiceway.spec.secrets import SecretRef, references

AlertEvent = Literal[
    "run.failed",
    "step.failed",
    "check.failed",
    "anomaly.detected",
    "sla.missed",
    "file.failed",
]
"""The events a rule may alert on."""

AlertSeverity = Literal["warn", "error", "block"]
GroupBy = Literal["pipeline", "table", "type"]


def _http_url(value: str) -> str:
    """A URL the channel can POST to: ``http(s)://…``, or text made of references."""
    if value.startswith(("http://", "https://")) or (references(value) and "://" not in value):
        return value
    raise PydanticCustomError(
        "url_scheme",
        "'{value}' is not an http:// or https:// URL",
        {"value": value, "hint": "write the full URL, e.g. https://hooks.example.com/alerts"},
    )


class ChannelBase(SpecModel):
    """What every channel shares."""

    rate_limit: int | None = Field(
        None, ge=1, description="Messages per hour for this channel (default: `alerts.rate_limit`)."
    )


class WebhookChannel(ChannelBase):
    """POST a JSON document to a URL, optionally signed with HMAC-SHA256."""

    type: Literal["webhook"] = Field(description="A generic JSON webhook.")
    url: str = Field(
        description="Where to POST; may contain `${env:NAME}` references (e.g. for a token)."
    )
    secret: SecretRef | None = Field(
        None, description="Signs the body (`X-Sluiceway-Signature`), only as `${env:NAME}`."
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Extra request headers; values may contain `${env:NAME}` references.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)


class SlackChannel(ChannelBase):
    """POST a Slack-compatible message (`text` and `blocks`) to an incoming-webhook URL."""

    type: Literal["slack"] = Field(description="A Slack-compatible incoming webhook.")
    url: SecretRef = Field(description="The webhook URL, a secret: only as `${env:NAME}`.")


class EmailChannel(ChannelBase):
    """Send an e-mail over SMTP."""

    type: Literal["email"] = Field(description="E-mail over SMTP.")
    host: str = Field(description="SMTP server.")
    port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    tls: Literal["starttls", "ssl", "none"] = Field(
        "starttls",
        description="`starttls` upgrades the connection (port 587), `ssl` connects with TLS "
        "(port 465), `none` sends in clear (a relay on the same host).",
    )
    ca_file: str | None = Field(
        None,
        description="CA certificates to verify the server with (a private CA), relative to "
        "the project; default: the system's.",
    )
    username: str | None = Field(None, description="Login, if the server wants one.")
    password: SecretRef | None = Field(None, description="Password, only as `${env:NAME}`.")
    sender: str = Field(description="The From address.")
    to: list[str] = Field(min_length=1, description="Recipients.")


Channel = Annotated[WebhookChannel | SlackChannel | EmailChannel, Field(discriminator="type")]


class AlertRule(SpecModel):
    """Which events alert, and where they go."""

    name: Identifier = Field(description="Rule name, shown in every alert it sends.")
    on: list[AlertEvent] = Field(min_length=1, description="Event types that alert.")
    severity: AlertSeverity | None = Field(
        None, description="For `check.failed`: only checks of this severity or worse."
    )
    pipelines: list[str] = Field(
        default_factory=list,
        description="Only events of these pipelines; globs like `ingest_*` (default: all).",
    )
    tables: list[str] = Field(
        default_factory=list,
        description="Only events about these tables, or of pipelines writing them; globs like "
        "`gold.*` (default: all).",
    )
    channels: list[Identifier] = Field(min_length=1, description="Channels to notify.")
    group_by: list[GroupBy] = Field(
        default_factory=list,
        description="Alerts of the rule differing in these fields go in separate messages "
        "(default: one stream of messages per rule).",
    )
    group_wait: Duration = Field(
        timedelta(0),
        description="How long a first alert waits for others to join its message.",
    )
    group_window: Duration = Field(
        timedelta(minutes=5),
        description="After a message, new alerts of its group are gathered this long into "
        "the next one; an alert that recurs within it is counted, not sent again.",
    )
    repeat_after: Duration | None = Field(
        timedelta(hours=4),
        description="An alert still recurring this long after its last message is sent again "
        "as a reminder (null: never).",
    )
    resolve: bool = Field(True, description="Send a notice when the condition clears.")

    @model_validator(mode="after")
    def _severity_needs_checks(self) -> Self:
        if self.severity is not None and "check.failed" not in self.on:
            raise PydanticCustomError(
                "severity_without_checks",
                "rule '{rule}': severity only filters check.failed, which the rule is not on",
                {"rule": self.name, "hint": "add check.failed to `on`, or remove `severity`"},
            )
        return self


class DeliverySettings(SpecModel):
    """How hard a channel is tried before a message is given up."""

    timeout: Duration = Field(timedelta(seconds=10), description="One attempt's time limit.")
    retry_for: Duration = Field(
        timedelta(hours=24),
        description="A message that still cannot be delivered this long after it was "
        "written is recorded as failed.",
    )


class AlertSettings(SpecModel):
    """Channels, rules, and how often a channel may be used."""

    channels: dict[Identifier, Channel] = Field(default_factory=dict, description="Named channels.")
    rules: list[AlertRule] = Field(default_factory=list, description="Alert rules.")
    rate_limit: int = Field(
        20, ge=1, description="Messages a channel may send per hour; the rest are summarized."
    )
    delivery: DeliverySettings = Field(
        default_factory=DeliverySettings, description="Delivery timeouts and retries."
    )

    @model_validator(mode="after")
    def _rules_name_channels(self) -> Self:
        from sluiceway.spec.problems import did_you_mean

        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise PydanticCustomError(
                    "duplicate_rule",
                    "two alert rules are named '{rule}'",
                    {"rule": rule.name, "hint": "give each rule its own name"},
                )
            seen.add(rule.name)
            for channel in rule.channels:
                if channel not in self.channels:
                    defined = ", ".join(sorted(self.channels)) or "none"
                    hint = did_you_mean(channel, self.channels) or (
                        f"define it under alerts.channels (defined: {defined})"
                    )
                    raise PydanticCustomError(
                        "unknown_channel",
                        "alert rule '{rule}' sends to channel '{channel}', which is not "
                        "defined under alerts.channels",
                        {"rule": rule.name, "channel": channel, "hint": hint},
                    )
        return self

    def channel_rate_limit(self, name: str) -> int:
        """Messages per hour channel ``name`` may send."""
        return self.channels[name].rate_limit or self.rate_limit
