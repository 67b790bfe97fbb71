"""Problems found in a project, each with a file, line, column, field and a fix.

Validation collects every problem in one pass and raises a single :class:`SpecError`, so a
user fixes a project in one edit instead of one re-run per mistake. A problem found in every
row of a template is reported once, for the template, not forty times.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sluiceway.errors import TerminalError
from sluiceway.spec.yamlpos import Path


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a project file; ``line``/``column`` are 1-based, None when not in a file."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a project, and where.

    ``file`` is relative to the project root; a problem that comes from an environment
    variable has ``file="environment variable SLUICEWAY_X"`` and no line. ``value`` is the
    offending value with secrets masked.
    """

    file: str
    line: int | None
    column: int | None
    field: str
    value: Any
    message: str
    hint: str | None = None

    @classmethod
    def at(
        cls,
        where: Location,
        message: str,
        *,
        field: str = "",
        value: Any = None,
        hint: str | None = None,
    ) -> Problem:
        """A problem at ``where``; the short way to build one outside pydantic errors."""
        return cls(where.file, where.line, where.column, field, value, message, hint)

    @property
    def location(self) -> Location:
        """Where the problem is, as a :class:`Location`."""
        return Location(self.file, self.line, self.column)

    def __str__(self) -> str:
        where = str(self.location)
        text = (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )
        return f"{text} — {self.hint}" if self.hint else text

    def as_dict(self) -> dict[str, Any]:
        """The problem as JSON-ready data (``validate --json``)."""
        value = self.value if isinstance(self.value, str | int | float | bool) else None
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "value": value,
            "message": self.message,
            "hint": self.hint,
        }


def sort_key(problem: Problem) -> tuple[Any, ...]:
    """File, then line, then column; problems without a line come first in their file."""
    return (problem.file, problem.line or 0, problem.column or 0, problem.field, problem.message)


class SpecError(TerminalError):
    """The project has problems; ``problems`` lists all of them, sorted by file and line."""

    exit_code = 2

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(set(problems), key=sort_key)
        files = {p.file for p in self.problems}
        count = len(self.problems)
        self.summary = (
            f"{count} problem{'s' if count != 1 else ''} in "
            f"{len(files)} file{'s' if len(files) != 1 else ''}"
        )
        super().__init__("\n".join([*map(str, self.problems), self.summary]))


def format_path(path: Path) -> str:
    """``('steps', 0, 'table')`` → ``steps[0].table``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def did_you_mean(value: object, choices: Iterable[str]) -> str | None:
    """``did you mean 'merge'?`` when ``value`` is close to one of ``choices``, else None."""
    if not isinstance(value, str):
        return None
    options = sorted(set(choices))
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    if not close:
        close = [c for c in options if c.lower() == value.lower()]
    return f"did you mean '{close[0]}'?" if close else None


def quoted(choices: Iterable[str]) -> str:
    """``'a', 'b' or 'c'``: how messages list allowed values."""
    items = [f"'{c}'" for c in choices]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


@dataclass(frozen=True, slots=True)
class RowRef:
    """Which template row a problem came from: 1-based ``number`` of ``total``."""

    file: str
    number: int
    total: int
    label: str


def collapse_rows(found: Iterable[tuple[Problem, RowRef | None]]) -> list[Problem]:
    """Merge a template's identical problems across rows, and say which rows have the rest.

    A problem in every row is the template's own and carries no row; one in some rows says
    ``row 3 (source=refunds): ...`` or ``rows 2, 5 (of 40): ...``.
    """
    groups: dict[tuple[Any, ...], list[tuple[Problem, RowRef]]] = {}
    plain: list[Problem] = []
    for problem, row in found:
        if row is None:
            plain.append(problem)
            continue
        key = (problem.file, problem.line, problem.column, problem.field, problem.message)
        groups.setdefault(key, []).append((problem, row))
    for members in groups.values():
        problem, row = members[0]
        numbers = sorted({r.number for _, r in members})
        if len(numbers) == row.total and row.total > 1:
            plain.append(problem)
        elif len(numbers) == 1:
            plain.append(replace(problem, message=f"{row.label}: {problem.message}"))
        else:
            shown = ", ".join(map(str, numbers[:5])) + (", …" if len(numbers) > 5 else "")
            prefix = f"rows {shown} (of {row.total})"
            plain.append(replace(problem, message=f"{prefix}: {problem.message}"))
    return plain
