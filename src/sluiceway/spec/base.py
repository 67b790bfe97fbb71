"""What every spec model shares: forbidding unknown keys, names, table names, shorthands."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from sluiceway.spec.durations import Duration

IDENTIFIER_PATTERN = r"^[a-z_][a-z0-9_]*$"
TABLE_PATTERN = r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$"

# How pydantic's "should match pattern" errors are explained to people.
PATTERN_MEANINGS = {
    IDENTIFIER_PATTERN: "a name: lower-case letters, digits and _, not starting with a digit",
    TABLE_PATTERN: "a table: layer.name, both lower-case letters, digits and _",
    r"^[a-z][a-z0-9_]*$": "a name: lower-case letters, digits and _, starting with a letter",
}

Identifier = Annotated[str, StringConstraints(pattern=IDENTIFIER_PATTERN)]
"""A pipeline, step or column name: ``^[a-z_][a-z0-9_]*$``."""

TableName = Annotated[str, StringConstraints(pattern=TABLE_PATTERN)]
"""A table, ``layer.name``; the layer must be one of the project's layers."""

EngineName = Literal["duckdb", "spark"]


class SpecModel(BaseModel):
    """Base of every YAML-facing model: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid")


class RunOverrides(SpecModel):
    """Run settings a pipeline or a step may override; unset means "inherit"."""

    engine: EngineName | None = Field(
        None, description="Engine for this pipeline or step; default: the project's `engine`."
    )
    retries: int | None = Field(
        None, ge=0, description="Retries after a failure; default: the project's `defaults`."
    )
    retry_delay: Duration | None = Field(
        None, description="Wait between retries; default: the project's `defaults`."
    )
    timeout: Duration | None = Field(
        None, description="Longest a run may take; default: the project's `defaults`."
    )


def shorthand(value: Any) -> Any:
    """``append`` → ``{type: append}``: a bare string names a variant that needs no options."""
    if isinstance(value, str):
        return {"type": value}
    return value


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(value: str) -> str:
    """Accept an IANA time zone name (``Europe/Paris``), suggesting the closest on a typo."""
    from sluiceway.spec.problems import did_you_mean

    if value in _zones() or value == "UTC":
        return value
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = did_you_mean(value, _zones()) or "use an IANA name such as Europe/Paris or UTC"
        raise PydanticCustomError(
            "timezone", "unknown time zone '{value}'", {"value": value, "hint": hint}
        ) from None
    return value
