"""Lineage after a command that ran pipelines without the daemon (run, resume, backfill).

The runs only appended their events; what the project's ``openlineage:`` settings ask
for is sent here, bounded in time, and never changes the command's exit code: what could
not be sent stays in the log for the next command or ``sluiceway serve``.
"""

from __future__ import annotations

from sluiceway.cli.context import state
from sluiceway.cli.render import err_console

DRAIN_SECONDS = 10.0


def send_lineage() -> None:
    """Send the OpenLineage events the log holds; say on stderr what was left unsent."""
    from sluiceway.events.sinks import drain_openlineage

    report = drain_openlineage(state.project(), state.store(), timeout=DRAIN_SECONDS)
    if report is None or report.complete:
        return
    left = "some" if report.pending is None else str(report.pending)
    reason = f": {report.error}" if report.error else ""
    err_console.print(
        f"lineage: {report.delivered} event(s) sent, {left} left for the next run or "
        f"`sluiceway serve`{reason}",
        style="yellow",
        markup=False,
        highlight=False,
    )
