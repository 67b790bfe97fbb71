"""``sluiceway alerts``: the rules, recent alerts, the delivery outbox, and a test message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from sluiceway.meta.alert_outbox import Notification
    from sluiceway.meta.alerts import AlertRecord
    from sluiceway.spec.alerts import AlertRule

alerts_app = typer.Typer(
    name="alerts",
    help="Alert rules, recent alerts, deliveries, and test messages to channels.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

RULE_COLUMNS = ["rule", "on", "only", "channels", "grouping", "repeat_after", "resolve"]
ALERT_COLUMNS = ["id", "status", "rule", "subject", "occurrences", "opened_at", "last_seen_at",
                 "resolved_at", "messages", "summary"]  # fmt: skip
DELIVERY_COLUMNS = ["id", "created_at", "channel", "kind", "status", "attempts", "sent_at",
                    "title", "last_error"]  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add the ``alerts`` command group to ``app``."""
    app.add_typer(alerts_app, name="alerts")


@alerts_app.command("rules")
def rules(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show the alert rules of sluiceway.yaml and the channels they send to."""
    from sluiceway.cli.context import state
    from sluiceway.cli.render import console, print_rows

    settings = state.project().settings.alerts
    if as_json:
        from sluiceway.cli.render import print_json

        print_json(settings.model_dump(mode="json"))
        return
    if not settings.rules:
        console.print("no alert rules: add them under alerts.rules in sluiceway.yaml")
        return
    print_rows([_rule_row(rule) for rule in settings.rules], RULE_COLUMNS, title="alert rules")
    channels = [
        {"channel": name, "type": spec.type, "rate_limit": settings.channel_rate_limit(name)}
        for name, spec in sorted(settings.channels.items())
    ]
    print_rows(channels, ["channel", "type", "rate_limit"], title="channels")


@alerts_app.command("list")
def list_alerts(
    firing: Annotated[bool, typer.Option("--firing", help="Only alerts still firing.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show recent alerts, newest first: what fired, how often, and whether it cleared."""
    from sluiceway.cli.context import state
    from sluiceway.cli.render import console, print_rows
    from sluiceway.meta.alerts import AlertRepo

    found = AlertRepo(state.store()).alerts(status="firing" if firing else None, limit=limit)
    rows = [_alert_row(alert) for alert in found]
    if not rows and not as_json:
        console.print("no alerts firing" if firing else "no alerts")
        return
    print_rows(rows, ALERT_COLUMNS, title="alerts", as_json=as_json)


@alerts_app.command("deliveries")
def deliveries(
    channel: Annotated[str | None, typer.Option("--channel", help="Only this channel.")] = None,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="pending, sent, failed, held or summarized (repeatable)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the messages written for channels, newest first, and how their delivery went."""
    from sluiceway.cli.context import state
    from sluiceway.cli.render import console, print_rows
    from sluiceway.meta.alert_outbox import OutboxRepo

    found = OutboxRepo(state.store()).notifications(channel=channel, statuses=status, limit=limit)
    rows = [_delivery_row(n) for n in found]
    if not rows and not as_json:
        console.print("no messages")
        return
    print_rows(rows, DELIVERY_COLUMNS, title="alert deliveries", as_json=as_json)


@alerts_app.command("test")
def test(
    channel: Annotated[str, typer.Argument(help="The channel, as named under alerts.channels.")],
) -> None:
    """Send a test message to a channel now, and say whether it was delivered."""
    from sluiceway.cli.context import state
    from sluiceway.cli.render import console
    from sluiceway.observe.alerts import send_test_message

    project = state.project()
    send_test_message(project, channel)
    kind = project.settings.alerts.channels[channel].type
    console.print(f"sent a test message to channel {channel} ({kind})")


def _rule_row(rule: AlertRule) -> dict[str, Any]:
    from sluiceway.spec.durations import format_duration

    only = [f"severity ≥ {rule.severity}"] if rule.severity else []
    only += [f"pipelines {', '.join(rule.pipelines)}"] if rule.pipelines else []
    only += [f"tables {', '.join(rule.tables)}"] if rule.tables else []
    grouping = (
        f"wait {format_duration(rule.group_wait)}, window {format_duration(rule.group_window)}"
    )
    if rule.group_by:
        grouping = f"by {', '.join(rule.group_by)}; {grouping}"
    return {
        "rule": rule.name,
        "on": ", ".join(rule.on),
        "only": "; ".join(only),
        "channels": ", ".join(rule.channels),
        "grouping": grouping,
        "repeat_after": "never"
        if rule.repeat_after is None
        else format_duration(rule.repeat_after),
        "resolve": "yes" if rule.resolve else "no",
    }


def _alert_row(alert: AlertRecord) -> dict[str, Any]:
    return {
        "id": alert.id,
        "status": alert.status,
        "rule": alert.rule,
        "subject": alert.subject,
        "occurrences": alert.occurrences,
        "opened_at": alert.opened_at,
        "last_seen_at": alert.last_seen_at,
        "resolved_at": alert.resolved_at,
        "messages": alert.messages,
        "summary": alert.context.get("summary"),
    }


def _delivery_row(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.id,
        "created_at": notification.created_at,
        "channel": notification.channel,
        "kind": notification.kind,
        "status": notification.status,
        "attempts": notification.attempts,
        "sent_at": notification.sent_at,
        "title": notification.title,
        "last_error": notification.last_error,
    }
