"""Slack-compatible incoming webhooks: ``{"text": …, "blocks": […]}``.

``text`` is the whole message as plain text (what notifications and clients without
blocks show); ``blocks`` lay it out: a header with the title, one section per alert (at
most ten, then a count), and the footer as context. The webhook URL is itself the secret,
so errors name the channel and the host only. Slack-compatible receivers that do not lay
out blocks (Mattermost, Rocket.Chat) show ``text``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sluiceway.observe.alerts.channels.http import host_of, post_json
from sluiceway.observe.alerts.channels.secrets import resolved

if TYPE_CHECKING:
    from sluiceway.observe.alerts.messages import Message
    from sluiceway.spec.alerts import SlackChannel

MAX_SECTIONS = 10
HEADER_LIMIT = 150  # Slack's limit on a header block's text
SECTION_LIMIT = 3000  # and on a section's


def slack_body(message: Message) -> dict[str, Any]:
    """The Slack payload for ``message``."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip(message.title, HEADER_LIMIT)},
        }
    ]
    if message.note:
        blocks.append(_section(_escape(message.note)))
    for item in message.items[:MAX_SECTIONS]:
        lines = item.lines()
        head = f"*{_escape(lines[0])}*"
        blocks.append(_section("\n".join([head, *(_escape(line.strip()) for line in lines[1:])])))
    if len(message.items) > MAX_SECTIONS:
        blocks.append(_section(f"… and {len(message.items) - MAX_SECTIONS} more alerts"))
    if message.held:
        listed = "\n".join(f"• {_escape(title)}" for title in message.held[:20])
        if len(message.held) > 20:
            listed += f"\n• … and {len(message.held) - 20} more"
        blocks.append(_section(listed))
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _escape(message.footer)}]}
    )
    return {"text": message.text(), "blocks": blocks}


class SlackSender:
    """POSTs messages to a Slack-compatible incoming webhook."""

    def __init__(
        self,
        name: str,
        spec: SlackChannel,
        *,
        timeout: float,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self._spec = spec
        self._timeout = timeout
        self._environ = environ

    def check(self) -> None:
        """Resolve the URL once, so a missing variable shows at start."""
        resolved(self.name, self._spec.url, self._environ)

    def send(self, message: Message, delivery_id: int) -> None:
        """POST ``message``."""
        url = resolved(self.name, self._spec.url, self._environ)
        post_json(
            url,
            json.dumps(slack_body(message)).encode("utf-8"),
            headers={"X-Sluiceway-Delivery": str(delivery_id)},
            timeout=self._timeout,
            where=f"channel '{self.name}' ({host_of(url)})",
            secrets=[url],
        )


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, SECTION_LIMIT)}}


def _escape(text: str) -> str:
    """Slack's three control characters, escaped as its API asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
