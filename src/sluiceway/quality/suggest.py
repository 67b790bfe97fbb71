"""Expectations learned from a table's profile history: checks that have always held.

From the profiles of the table's recent commits (at least ``min_profiles``):

* ``not_null`` for each column that never had a null;
* ``accepted_values`` for a column whose every value, in every commit, was one of a few
  (all its values were counted, and together they are at most ``max_values``);
* ``range`` for a number column, from the lowest minimum to the highest maximum seen, widened
  by ``margin`` of that span on each side (a bound at zero stays at zero);
* ``unique`` for a column whose values were all distinct in every commit profiled whole
  (a sampled profile cannot tell, so at least one exact profile is needed);
* ``row_count`` from half the smallest to twice the largest commit seen.

Every suggestion is in ``mode: shadow``: it is recorded on every run but acts on nothing, so
it can prove itself on production data before someone removes the mode to enforce it.
Checks the table already declares (same name) are not suggested again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NUMBER_TYPES = ("tinyint", "smallint", "integer", "bigint", "float", "double", "decimal")


@dataclass(frozen=True)
class Suggestion:
    """One proposed check, as its YAML mapping, and the evidence for it."""

    check: dict[str, Any]
    name: str
    because: str


def suggest(
    profiles: Sequence[Mapping[str, Any]],
    *,
    declared: Sequence[str] = (),
    min_profiles: int = 3,
    margin: float = 0.1,
    max_values: int = 20,
) -> list[Suggestion]:
    """Checks that held in every one of ``profiles`` (each: ``rows``, ``sampled_rows``,
    ``columns``), minus those named in ``declared``."""
    if len(profiles) < min_profiles:
        return []
    found: list[Suggestion] = []
    names = _common_columns(profiles)
    count = len(profiles)
    for name in names:
        columns = [_column(p, name) for p in profiles]
        if all(c["nulls"] == 0 for c in columns):
            found.append(
                Suggestion(
                    {"type": "not_null", "columns": [name]},
                    f"not_null_{name}",
                    f"no null in {count} commits",
                )
            )
        values = _value_set(profiles, columns, max_values)
        if values is not None:
            found.append(
                Suggestion(
                    {"type": "accepted_values", "column": name, "values": values},
                    f"accepted_values_{name}",
                    f"only these {len(values)} values in {count} commits",
                )
            )
        bounds = _bounds(columns, margin)
        if bounds is not None:
            low, high = bounds
            found.append(
                Suggestion(
                    {"type": "range", "column": name, "min": low, "max": high},
                    f"range_{name}",
                    f"values within {low} to {high} (the span seen, plus {margin:.0%})",
                )
            )
        exact = [
            (p, c) for p, c in zip(profiles, columns, strict=True) if p["sampled_rows"] >= p["rows"]
        ]
        if exact and all(
            c.get("distinct") == p["rows"] - c["nulls"] and p["rows"] > 1 for p, c in exact
        ):
            found.append(
                Suggestion(
                    {"type": "unique", "columns": [name]},
                    f"unique_{name}",
                    f"all values distinct in the {len(exact)} commits profiled whole",
                )
            )
    rows = [int(p["rows"]) for p in profiles]
    if min(rows) > 0:
        low, high = min(rows) // 2, max(rows) * 2
        found.append(
            Suggestion(
                {"type": "row_count", "min": low, "max": high},
                "row_count",
                f"{min(rows):,} to {max(rows):,} rows per commit",
            )
        )
    skip = set(declared)
    return [
        Suggestion({**s.check, "mode": "shadow"}, s.name, s.because)
        for s in found
        if s.name not in skip
    ]


def as_yaml(table: str, suggestions: Sequence[Suggestion], *, profiles: int) -> str:
    """The suggestions as a pipeline file's ``tables:`` section, commented."""
    lines = [
        f"# Suggested for {table} from {profiles} profiles. They run in shadow mode (recorded,",
        "# never acted on): remove `mode: shadow` from a check to enforce it.",
        "tables:",
        f"  {table}:",
        "    checks:",
    ]
    for s in suggestions:
        lines.append(f"      # {s.because}")
        lines.append(f"      - {_flow(s.check)}")
    return "\n".join(lines) + "\n"


def _flow(check: Mapping[str, Any]) -> str:
    parts = [f"{key}: {_scalar(value)}" for key, value in check.items()]
    return "{" + ", ".join(parts) + "}"


def _scalar(value: Any) -> str:
    import json

    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    plain = bool(text) and text[0].isalpha() and all(c.isalnum() or c in "_-." for c in text)
    reserved = text.lower() in ("true", "false", "null", "yes", "no", "on", "off")
    return text if plain and not reserved else json.dumps(text)


def _common_columns(profiles: Sequence[Mapping[str, Any]]) -> list[str]:
    first = [c["name"] for c in profiles[0]["columns"]]
    present = [{c["name"] for c in p["columns"]} for p in profiles]
    return [name for name in first if all(name in names for names in present)]


def _column(profile: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    return next(c for c in profile["columns"] if c["name"] == name)


def _value_set(
    profiles: Sequence[Mapping[str, Any]], columns: Sequence[Mapping[str, Any]], limit: int
) -> list[Any] | None:
    """Every value seen, when each commit's values were all counted and there are few."""
    seen: set[Any] = set()
    for profile, column in zip(profiles, columns, strict=True):
        top = column.get("top")
        if not top or column["type"] in ("double", "float"):
            return None
        counted = sum(int(n) for _, n in top)
        present = int(profile["rows"]) - int(column["nulls"])
        if column.get("distinct") is None or column["distinct"] > len(top) or counted < present:
            return None  # some values were not counted
        seen.update(value for value, _ in top)
    if not seen or len(seen) > limit:
        return None
    return sorted(seen, key=str)


def _bounds(columns: Sequence[Mapping[str, Any]], margin: float) -> tuple[Any, Any] | None:
    """The span of a number column's minimums and maximums, widened by ``margin``."""
    kind = str(columns[0]["type"])
    if not kind.startswith(NUMBER_TYPES) or any(
        c.get("min") is None or c.get("max") is None for c in columns
    ):
        return None
    low = min(float(c["min"]) for c in columns)
    high = max(float(c["max"]) for c in columns)
    pad = (high - low) * margin or abs(high) * margin
    lower = low - pad
    if low >= 0 > lower:
        lower = 0.0  # amounts, counts and the like: never suggest a negative bound
    upper = high + pad
    if kind.startswith(("tinyint", "smallint", "integer", "bigint")):
        return math.floor(lower), math.ceil(upper)
    return _round(lower, math.floor), _round(upper, math.ceil)


def _round(value: float, direction: Any) -> float:
    """``value`` to 3 significant figures, away from the data (bounds stay readable)."""
    if value == 0:
        return 0.0
    digits = max(0, 3 - math.floor(math.log10(abs(value))) - 1)
    scale = 10**digits
    return float(direction(value * scale) / scale)
