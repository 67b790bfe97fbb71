"""``sluiceway metrics``: the platform's metrics in the Prometheus text format.

The same text ``sluiceway serve`` serves at ``/metrics``, read once: for a look at the
figures, a cron job feeding node_exporter's textfile collector (``--output``, written
atomically so the collector never reads half a file), or a project with no daemon.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``metrics`` command to ``app``."""
    app.command("metrics")(metrics)


def metrics(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file (replaced atomically) instead of printing.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Print every step, run and table metric in the Prometheus text format."""
    from sluiceway.cli.context import state
    from sluiceway.observe.metrics_export import render_metrics

    text = render_metrics(state.project(), state.store())
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    _write_atomically(output, text)


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` beside ``path``, then rename it over ``path`` (one filesystem)."""
    path = path.resolve()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        Path(temporary).chmod(0o644)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
