"""What a conformance case is, and how a known gap is declared (``notimpl``), never skipped.

A case is one SQL feature in the project's dialect (DuckDB's), run on every engine and
compared with DuckDB's answer. A gap an engine really has is declared with the reason; it
runs as a strict xfail, so the day the gap closes the suite fails until the declaration is
removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass(frozen=True)
class Gap:
    """A declared difference: why, and the exception the case fails with."""

    reason: str
    raises: type[BaseException] = AssertionError


@dataclass(frozen=True)
class Case:
    """One feature: its id, the query, and the engines it is a known gap on."""

    id: str
    sql: str
    gaps: dict[str, Gap] = field(default_factory=dict)
    empty: bool = False
    """The query rightly returns no rows (otherwise an empty reference result is an error:
    two engines agreeing on nothing proves nothing)."""


def notimpl(reason: str, raises: type[BaseException] = AssertionError) -> Any:
    """The mark of a declared gap: a strict xfail that names the reason."""
    return pytest.mark.xfail(strict=True, reason=f"notimpl: {reason}", raises=raises)


def params(cases: Iterable[Case], engine: str) -> list[Any]:
    """``pytest.param`` per case for ``engine``, with its gap (if any) as a notimpl mark."""
    found = []
    for case in cases:
        gap = case.gaps.get(engine)
        marks = [notimpl(gap.reason, gap.raises)] if gap else []
        found.append(pytest.param(case, id=case.id, marks=marks))
    return found
