"""Shared rendering for CLI commands: Rich tables for people, JSON for scripts."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

PIPED_WIDTH = 160
"""Columns of output written to a pipe or a file, where no terminal width applies: wide
enough that tables keep their names whole (``COLUMNS`` still wins)."""


def _width(stream: object) -> int | None:
    isatty = getattr(stream, "isatty", None)
    if "COLUMNS" in os.environ or (isatty is not None and isatty()):
        return None  # Rich reads the terminal's width (or COLUMNS)
    return PIPED_WIDTH


console = Console(highlight=False, width=_width(sys.stdout))
err_console = Console(stderr=True, highlight=False, width=_width(sys.stderr))


def _default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def to_json(value: object) -> str:
    """Serialise CLI output as JSON: datetimes as ISO 8601, anything else by ``str``."""
    return json.dumps(value, default=_default, ensure_ascii=False)


def print_json(value: object) -> None:
    """Write one JSON document to stdout, unstyled, so scripts can parse it."""
    sys.stdout.write(to_json(value) + "\n")
    sys.stdout.flush()


def print_rows(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    title: str | None = None,
    as_json: bool = False,
) -> None:
    """Print rows as a Rich table, or as a JSON list of objects with ``as_json``."""
    materialized = list(rows)
    if as_json:
        print_json([{c: row.get(c) for c in columns} for row in materialized])
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column)
    for row in materialized:
        # Cell text is data, never markup: a message containing "[bold]" prints as written.
        table.add_row(*(Text("" if row.get(c) is None else _default(row.get(c))) for c in columns))
    console.print(table)


def error_line(message: str) -> None:
    """Print one red line to stderr: how every known error reaches the user."""
    err_console.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
