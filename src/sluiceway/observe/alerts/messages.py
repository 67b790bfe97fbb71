"""Messages: what a group of alerts says, as data (JSON) and as text.

A message is built once, when its group is due, and stored in the outbox as JSON; every
channel renders it from that JSON, so a message retried after a restart says exactly what
it said when it was written. The webhook sends the JSON itself (plus ``text``); Slack and
e-mail render the text, with each alert's downstream tables — what the failure breaks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from sluiceway.meta.alert_outbox import Notification
    from sluiceway.meta.alerts import AlertRecord

FORMAT_VERSION = 1
MAX_ITEMS = 20  # alerts shown in a message's text; the JSON keeps them all
MAX_HELD = 20  # held messages listed in a rate-limit summary
MAX_DETAIL_LINES = 10  # lines of a long detail (an error's traceback) shown in the text

State = Literal["firing", "reminder", "resolved"]
Kind = Literal["alert", "summary", "test"]
_LABEL = {"firing": "FIRING", "reminder": "STILL FIRING", "resolved": "RESOLVED"}


@dataclass(frozen=True)
class AlertItem:
    """One alert in a message."""

    state: State
    type: str
    subject: str
    summary: str
    first_seen: datetime
    last_seen: datetime
    occurrences: int = 1
    pipeline: str | None = None
    step: str | None = None
    table: str | None = None
    run_id: str | None = None
    resolved_at: datetime | None = None
    latest: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)
    tables: Sequence[str] = ()
    downstream: Sequence[Mapping[str, Any]] = ()
    downstream_more: int = 0

    @classmethod
    def of(cls, alert: AlertRecord) -> AlertItem:
        """The item for an alert that owes a message."""
        context = alert.context
        state: State = alert.pending if alert.pending in _LABEL else "firing"  # type: ignore[assignment]
        return cls(
            state=state,
            type=alert.event_type,
            subject=alert.subject,
            summary=str(context.get("summary", alert.event_type)),
            first_seen=alert.opened_at,
            last_seen=alert.last_seen_at,
            occurrences=alert.occurrences,
            pipeline=alert.pipeline,
            step=alert.step,
            table=alert.table,
            run_id=alert.run_id,
            resolved_at=alert.resolved_at,
            latest=context.get("latest"),
            details=dict(context.get("details", {})),
            tables=tuple(context.get("tables", ())),
            downstream=tuple(context.get("downstream", ())),
            downstream_more=int(context.get("downstream_more", 0)),
        )

    def to_json(self) -> dict[str, Any]:
        """The item as JSON."""
        return {
            "state": self.state,
            "type": self.type,
            "subject": self.subject,
            "summary": self.summary,
            "pipeline": self.pipeline,
            "step": self.step,
            "table": self.table,
            "run_id": self.run_id,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "resolved_at": None if self.resolved_at is None else self.resolved_at.isoformat(),
            "occurrences": self.occurrences,
            "latest": self.latest,
            "details": dict(self.details),
            "tables": list(self.tables),
            "downstream": [dict(d) for d in self.downstream],
            "downstream_more": self.downstream_more,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AlertItem:
        """The item from its JSON."""
        resolved = data.get("resolved_at")
        return cls(
            state=data["state"],
            type=data["type"],
            subject=data["subject"],
            summary=data["summary"],
            pipeline=data.get("pipeline"),
            step=data.get("step"),
            table=data.get("table"),
            run_id=data.get("run_id"),
            first_seen=datetime.fromisoformat(data["first_seen"]),
            last_seen=datetime.fromisoformat(data["last_seen"]),
            resolved_at=None if resolved is None else datetime.fromisoformat(resolved),
            occurrences=int(data.get("occurrences", 1)),
            latest=data.get("latest"),
            details=dict(data.get("details", {})),
            tables=tuple(data.get("tables", ())),
            downstream=tuple(data.get("downstream", ())),
            downstream_more=int(data.get("downstream_more", 0)),
        )

    def headline(self) -> str:
        """``FIRING run.failed — pipeline silver failed: …``."""
        return f"{_LABEL[self.state]} {self.type} — {self.summary}"

    def lines(self) -> list[str]:
        """The item's text: its headline, then indented facts."""
        facts = [f"pipeline {self.pipeline}" if self.pipeline else None]
        facts.append(f"table {self.table}" if self.table else None)
        facts.append(f"run {self.run_id}" if self.run_id else None)
        facts.append(f"at {_when(self.first_seen)}")
        if self.occurrences > 1:
            facts.append(f"{self.occurrences} times, last at {_when(self.last_seen)}")
        out = [self.headline(), "  " + " · ".join(f for f in facts if f)]
        if self.state == "resolved":
            if self.resolved_at is not None:
                out.append(f"  resolved at {_when(self.resolved_at)}")
            return out
        if self.latest and self.latest != self.summary:
            out.append(f"  latest: {self.latest}")
        out.extend(self._detail_lines())
        out.extend(self._lineage_lines())
        return out

    def _detail_lines(self) -> list[str]:
        """Details the headline does not already say; long text on indented lines."""
        short, long = [], []
        for key, value in self.details.items():
            if key in _IN_FACTS:
                continue
            lines = value.splitlines() or [""]
            if len(lines) == 1:
                if value and key not in _IN_SUMMARY.get(self.type, ()):
                    short.append(f"{key}: {value}")
                continue
            long.append(f"  {key}:")
            long.extend(f"    {line}" for line in lines[:MAX_DETAIL_LINES])
            if len(lines) > MAX_DETAIL_LINES:
                long.append(f"    … {len(lines) - MAX_DETAIL_LINES} more lines")
        return ([f"  {', '.join(short)}"] if short else []) + long

    def downstream_text(self) -> str:
        """``gold.daily (pipeline gold, owner finance), … and 3 more``; empty if none."""
        names = []
        for d in self.downstream:
            notes = [f"pipeline {d['pipeline']}" if d.get("pipeline") else None]
            notes.append(f"owner {d['owner']}" if d.get("owner") else None)
            kept = [n for n in notes if n]
            names.append(f"{d['table']} ({', '.join(kept)})" if kept else str(d["table"]))
        text = ", ".join(names)
        if self.downstream_more:
            text += f" and {self.downstream_more} more"
        return text

    def _lineage_lines(self) -> list[str]:
        out = []
        if self.tables:
            out.append(f"  affects: {', '.join(self.tables)}")
        if self.downstream:
            out.append(f"  downstream: {self.downstream_text()}")
        elif self.tables:
            out.append("  downstream: nothing recorded")
        return out


_IN_FACTS = frozenset({"run_id", "pipeline", "step"})
_IN_SUMMARY: dict[str, tuple[str, ...]] = {
    "run.failed": ("error",),
    "step.failed": ("error",),
    "check.failed": ("check", "severity", "message"),
    "anomaly.detected": ("metric", "subject", "message"),
    "sla.missed": ("sla", "detail"),
    "file.failed": ("uri", "error"),
}
"""Single-line details each summary already says (a multi-line one is shown whole)."""


@dataclass(frozen=True)
class Message:
    """One message to one or more channels."""

    kind: Kind
    project: str
    env: str
    title: str
    created_at: datetime
    rule: str | None = None
    items: Sequence[AlertItem] = ()
    note: str | None = None
    held: Sequence[str] = ()

    def to_json(self) -> dict[str, Any]:
        """The message as JSON: what the outbox stores and the webhook sends."""
        return {
            "version": FORMAT_VERSION,
            "kind": self.kind,
            "project": self.project,
            "env": self.env,
            "rule": self.rule,
            "title": self.title,
            "created_at": self.created_at.isoformat(),
            "note": self.note,
            "alerts": [item.to_json() for item in self.items],
            "held": list(self.held),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Message:
        """The message from its JSON."""
        return cls(
            kind=data["kind"],
            project=data["project"],
            env=data["env"],
            rule=data.get("rule"),
            title=data["title"],
            created_at=datetime.fromisoformat(data["created_at"]),
            note=data.get("note"),
            items=tuple(AlertItem.from_json(item) for item in data.get("alerts", ())),
            held=tuple(data.get("held", ())),
        )

    @property
    def footer(self) -> str:
        """Where the message comes from."""
        rule = f"rule {self.rule} · " if self.rule else ""
        return f"{rule}sluiceway project {self.project} ({self.env})"

    def text(self) -> str:
        """The message as plain text: its title, then :meth:`body` (Slack, webhooks)."""
        return f"{self.title}\n\n{self.body()}"

    def body(self) -> str:
        """The message as plain text without its title (an e-mail's subject)."""
        out = []
        if self.note:
            out += [self.note, ""]
        for item in self.items[:MAX_ITEMS]:
            out += [*item.lines(), ""]
        if len(self.items) > MAX_ITEMS:
            out += [f"… and {len(self.items) - MAX_ITEMS} more alerts", ""]
        for title in self.held[:MAX_HELD]:
            out.append(f"- {title}")
        if len(self.held) > MAX_HELD:
            out.append(f"- … and {len(self.held) - MAX_HELD} more")
        if self.held:
            out.append("")
        out.append(self.footer)
        return "\n".join(out)


def alert_message(
    project: str, env: str, rule: str, alerts: Iterable[AlertRecord], now: datetime
) -> Message:
    """The message for a group's alerts that owe one."""
    items = tuple(AlertItem.of(alert) for alert in alerts)
    return Message(
        kind="alert",
        project=project,
        env=env,
        rule=rule,
        title=_title(project, env, rule, items),
        created_at=now,
        items=items,
    )


def summary_message(
    project: str, env: str, channel: str, held: Sequence[Notification], now: datetime
) -> Message:
    """The message standing for messages a channel's rate limit held back."""
    count = len(held)
    return Message(
        kind="summary",
        project=project,
        env=env,
        title=f"[{project}/{env}] {count} alert message{'s' if count != 1 else ''} held back "
        f"by the rate limit of channel {channel}",
        created_at=now,
        note=f"Channel {channel} reached its hourly limit; these messages were not sent "
        "one by one (run `sluiceway alerts list` for the alerts):",
        held=tuple(n.title for n in held),
    )


def test_message(project: str, env: str, channel: str, now: datetime) -> Message:
    """A message that only proves the channel works."""
    return Message(
        kind="test",
        project=project,
        env=env,
        title=f"[{project}/{env}] test message to channel {channel}",
        created_at=now,
        note="If you can read this, sluiceway can alert you here.",
    )


def _title(project: str, env: str, rule: str, items: Sequence[AlertItem]) -> str:
    prefix = f"[{project}/{env}]"
    if len(items) == 1:
        return f"{prefix} {items[0].headline()}"[:500]
    counts: dict[str, int] = {}
    for item in items:
        counts[item.state] = counts.get(item.state, 0) + 1
    parts = [
        f"{counts[state]} {_LABEL[state].lower()}"
        for state in ("firing", "reminder", "resolved")
        if state in counts
    ]
    return f"{prefix} {rule}: {', '.join(parts)}"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
