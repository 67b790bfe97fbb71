"""``sluiceway sla``: each table's SLA, judged now, and the breach the log holds open."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from sluiceway.observe.sla import SlaState

COLUMNS = ("table", "sla", "state", "last_commit", "due", "breach_since", "detail")


def register(app: typer.Typer) -> None:
    """Add the ``sla`` command to ``app``."""
    app.command("sla")(sla)


def sla(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show each table's SLA: met or missed now, when it is due, and any open breach."""
    from sluiceway.cli.context import state
    from sluiceway.cli.render import console, print_json, print_rows
    from sluiceway.observe.sla import sla_report

    states = sla_report(state.project(), state.store(), datetime.now(UTC))
    rows = [_row(s) for s in states]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no table declares an SLA (tables: <name>: sla: in a pipeline file)")
        return
    print_rows([_text(r) for r in rows], COLUMNS, title="SLAs")


def _row(item: SlaState) -> dict[str, Any]:
    status = item.status
    mark = item.mark if item.breach_open else None
    return {
        "table": item.target.table,
        "pipeline": item.target.pipeline,
        "sla": item.target.description,
        "state": "met" if status.met else "missed",
        "last_commit": item.last_commit,
        "due": status.next_check if status.met else status.expected_by,
        "breach_since": mark.time if mark else None,
        "breach_event": mark.id if mark else None,
        "detail": status.detail,
    }


def _text(row: dict[str, Any]) -> dict[str, Any]:
    """Instants to the minute, in UTC: what a person compares with a clock."""
    shown = dict(row)
    for key in ("last_commit", "due", "breach_since"):
        value = row[key]
        if isinstance(value, datetime):
            shown[key] = f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return shown
