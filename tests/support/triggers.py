"""Helpers for trigger watcher tests: a project on disk, and waiting for events in the log."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path
from typing import Any

from sluiceway.events import Event, EventLog
from sluiceway.spec.project import Project, load_project

STEPS = """
steps:
  - {name: load, type: sql, query: "SELECT 1 AS x", table: silver.x_PIPELINE}
"""


def make_project(root: Path, pipelines: dict[str, str], settings: str = "name: shop\n") -> Project:
    """A project in ``root`` whose pipelines have the given ``on:`` blocks (YAML text)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "sluiceway.yaml").write_text(settings, encoding="utf-8")
    folder = root / "pipelines"
    folder.mkdir(exist_ok=True)
    for name, triggers in pipelines.items():
        text = f"name: {name}\non:\n{textwrap.indent(textwrap.dedent(triggers).strip(), '  ')}\n"
        text += STEPS.replace("PIPELINE", name)
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return load_project(root, environ={})


def events_of(store: Any, type_: str, after_id: int = 0) -> list[Event]:
    """Every event of ``type_`` after ``after_id``, oldest first."""
    return EventLog(store).read(after_id=after_id, types=[type_], limit=10_000)


def wait_for_events(
    store: Any, type_: str, count: int, *, after_id: int = 0, timeout: float = 10.0
) -> list[Event]:
    """Poll until at least ``count`` events of ``type_`` are in the log; returns them all."""
    deadline = time.monotonic() + timeout
    while True:
        found = events_of(store, type_, after_id)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)
