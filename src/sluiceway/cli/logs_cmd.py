"""``sluiceway logs RUN_ID``: what a run's steps logged and printed, as it happens."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

FOLLOW_POLL = 0.5
"""Seconds between looks at the log files while following a run."""


def register(app: typer.Typer) -> None:
    """Add the ``logs`` command to ``app``."""
    app.command("logs")(logs)


def logs(
    run_id: Annotated[str, typer.Argument(help="A run id (or its first characters).")],
    step: Annotated[str | None, typer.Option("--step", "-s", help="Only this step.")] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing until the run ends.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the JSON lines as stored.")
    ] = False,
) -> None:
    """Print a run's step logs (records and what python steps printed), oldest first."""
    from sluiceway.cli.context import state
    from sluiceway.cli.render import console
    from sluiceway.cli.runs_cmd import _find
    from sluiceway.meta.runs import RunRepo
    from sluiceway.orchestrate.step_run import logs_folder

    repo = RunRepo(state.store())
    run = _find(repo, run_id)
    base = logs_folder(state.project()) / run.id
    offsets: dict[Path, int] = {}
    printed = 0
    while True:
        lines = _new_lines(base, step, offsets)
        for path, line in lines:
            _print(path, line, as_json)
        printed += len(lines)
        if not follow or repo.require(run.id).status not in ("queued", "running"):
            if follow:  # the run ended: what its last step wrote meanwhile
                for path, line in _new_lines(base, step, offsets):
                    _print(path, line, as_json)
                    printed += 1
            break
        time.sleep(FOLLOW_POLL)
    if not printed and not as_json:
        console.print(f"run {run.id[:8]} logged nothing" + (f" in step {step}" if step else ""))


def _new_lines(base: Path, step: str | None, offsets: dict[Path, int]) -> list[tuple[Path, str]]:
    """Whole lines appended to the run's log files since the last look, in time order."""
    if not base.is_dir():
        return []
    found: list[tuple[str, Path, str]] = []
    for path in sorted(base.glob("*.jsonl")):
        if step is not None and path.stem.rpartition(".")[0] != step:
            continue
        with path.open("rb") as handle:
            handle.seek(offsets.get(path, 0))
            data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits
        offsets[path] = offsets.get(path, 0) + len(complete)
        for raw in complete.decode("utf-8", errors="replace").splitlines():
            if raw.strip():
                found.append((_time(raw), path, raw))
    return [(path, raw) for _, path, raw in sorted(found, key=lambda f: f[0])]


def _time(raw: str) -> str:
    try:
        return str(json.loads(raw).get("time", ""))
    except json.JSONDecodeError:
        return ""


def _print(path: Path, raw: str, as_json: bool) -> None:
    from sluiceway.cli.render import console

    if as_json:
        console.print(raw, markup=False, highlight=False, soft_wrap=True)
        return
    try:
        entry: dict[str, Any] = json.loads(raw)
    except json.JSONDecodeError:
        return
    where = path.stem.replace(".", "#", 1) if path.stem.count(".") else path.stem
    level = str(entry.get("level", ""))
    style = {"ERROR": "red", "WARNING": "yellow", "CRITICAL": "bold red"}.get(level, "")
    stamp = str(entry.get("time", ""))[11:23]
    text = f"{stamp} {level:<7} {where:<20} {entry.get('message', '')}"
    console.print(text, style=style, markup=False, highlight=False, soft_wrap=True)
    if entry.get("exception"):
        console.print(str(entry["exception"]), markup=False, highlight=False, soft_wrap=True)
