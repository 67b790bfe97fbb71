"""``sluiceway events``: show the event log, or follow it as it grows."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from sluiceway.events.base import Event
    from sluiceway.events.log import EventLog

COLUMNS = ("id", "time", "type", "subject", "details")
FOLLOW_WAIT = 0.25  # seconds between checks for Ctrl-C while following


def register(app: typer.Typer) -> None:
    """Add the ``events`` command to ``app``."""
    app.command("events")(events)


def events(
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events until Ctrl-C.")
    ] = False,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", "-t", help="Only events of this type (repeatable)."),
    ] = None,
    since: Annotated[
        int | None,
        typer.Option("--since", help="Only events with an id above this one.", min=0),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", help="At most this many events.", min=1)
    ] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON output (one object per line with --follow).")
    ] = False,
) -> None:
    """Show the event log: the last events, or those after --since; --follow waits for more."""
    from sluiceway.cli.context import state
    from sluiceway.events import EventLog

    log = EventLog(state.store())
    if since is None:
        shown = log.tail(limit, types)
    else:
        shown = log.read(after_id=since, types=types, limit=limit)
    if not follow:
        _print_batch(shown, as_json)
        return
    for event in shown:
        _print_one(event, as_json)
    last_shown = shown[-1].id if shown else None
    position = last_shown or (since if since is not None else log.latest_id())
    with _until_interrupted() as stop:
        _follow(log, position, types, as_json, stop)


@contextmanager
def _until_interrupted() -> Iterator[threading.Event]:
    """Turn Ctrl-C into a flag the follow loop checks between waits.

    Raising KeyboardInterrupt wherever the signal lands could interrupt a query halfway,
    and the driver then fails while cleaning up the connection with an error that is no
    longer a KeyboardInterrupt; a flag lets the loop finish its step and end cleanly.
    """
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signals only reach the main thread; nothing to install
        return
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def _follow(
    log: EventLog,
    position: int,
    types: list[str] | None,
    as_json: bool,
    stop: threading.Event,
) -> None:
    from sluiceway.events.notify import Subscription

    with Subscription(log.store) as subscription:
        while not stop.is_set():
            latest = log.latest_id()
            batch = log.read(after_id=position, types=types, limit=500)
            for event in batch:
                _print_one(event, as_json)
                position = event.id or position
            if not batch:
                subscription.wait(max(latest, position), FOLLOW_WAIT)


def _row(event: Event) -> dict[str, Any]:
    """A compact row: the subject is the table, else pipeline.step; the run goes in details."""
    step = ".".join(p for p in (event.pipeline, event.step) if p)
    details = {"run": event.run_id[:8] if event.run_id else None, **event.payload()}
    return {
        "id": event.id,
        "time": event.time.strftime("%Y-%m-%d %H:%M:%S"),
        "type": event.type,
        "subject": event.table or step,
        "details": " ".join(f"{k}={v}" for k, v in details.items() if v not in (None, "", {})),
    }


def _as_json(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "time": event.time.isoformat(),
        "run_id": event.run_id,
        "pipeline": event.pipeline,
        "step": event.step,
        "table": event.table,
        "payload": event.payload(),
    }


def _print_batch(shown: list[Event], as_json: bool) -> None:
    from sluiceway.cli.render import console, print_json, print_rows

    if as_json:
        print_json([_as_json(e) for e in shown])
    elif not shown:
        console.print("no events")
    else:
        print_rows([_row(e) for e in shown], COLUMNS)


def _print_one(event: Event, as_json: bool) -> None:
    from rich.markup import escape

    from sluiceway.cli.render import console, print_json

    if as_json:
        print_json(_as_json(event))
        return
    row = _row(event)
    text = escape(f"{row['type']}  {row['subject']}  {row['details']}".replace("    ", "  "))
    console.print(
        f"[dim]{row['id']:>8}  {row['time']}[/]  [bold]{text}[/]",
        markup=True,
        soft_wrap=True,
        highlight=False,
    )
