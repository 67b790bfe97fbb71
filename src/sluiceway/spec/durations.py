"""Durations as people write them in YAML: ``500ms``, ``10s``, ``30m``, ``2h``, ``7d``.

One annotated type, :data:`Duration`, so every model that takes a timeout or a delay parses,
serialises and documents it the same way. A bare integer means seconds, because that is what
a number next to "timeout" means to most people.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

_UNITS: dict[str, timedelta] = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
DURATION_PATTERN = r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|d|w)\s*$"


def parse_duration(value: object) -> timedelta:
    """Turn ``"10s"``, ``"2h"``, ``90`` (seconds) or a ``timedelta`` into a ``timedelta``.

    Raises:
        ValueError: the value is not a duration; the message shows the accepted forms.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return timedelta(seconds=value)
    if isinstance(value, str):
        match = _PATTERN.match(value)
        if match:
            return float(match.group(1)) * _UNITS[match.group(2)]
        if value.strip().isdigit():
            return timedelta(seconds=int(value))
    raise ValueError(f"{value!r} is not a duration")


def format_duration(value: timedelta) -> str:
    """The exact spelling of ``value`` in its largest whole unit: 2 hours → ``2h``."""
    total_ms = round(value.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    for unit in ("w", "d", "h", "m", "s"):
        unit_ms = round(_UNITS[unit].total_seconds() * 1000)
        if total_ms and total_ms % unit_ms == 0:
            return f"{total_ms // unit_ms}{unit}"
    return f"{total_ms}ms"


def _validate(value: Any) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise PydanticCustomError(
            "duration",
            "{error}: write a number and a unit, e.g. 500ms, 10s, 30m, 2h, 7d",
            {"error": str(exc)},
        ) from None


Duration = Annotated[
    timedelta,
    BeforeValidator(_validate),
    PlainSerializer(format_duration, return_type=str, when_used="json-unless-none"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": DURATION_PATTERN, "examples": ["10s", "30m", "2h"]},
                {"type": "integer", "minimum": 0, "description": "seconds"},
            ]
        }
    ),
]
"""A ``timedelta`` written as ``500ms``/``10s``/``30m``/``2h``/``7d``/``1w`` or integer seconds."""
