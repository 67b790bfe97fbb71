"""Metadata of the tables a pipeline writes: docs, ownership, layout, retention, SLA, checks."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Literal, Self, get_args

from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from sluiceway.spec.base import Identifier, SpecModel, check_timezone
from sluiceway.spec.checks import Check
from sluiceway.spec.durations import Duration

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_READY_BY = r"^([01][0-9]|2[0-3]):[0-5][0-9]( +\S+)?$"
"""`HH:MM`, optionally followed by an IANA time zone (checked by the validator)."""


class ColumnMeta(SpecModel):
    """Documentation of one column."""

    description: str | None = Field(None, description="What the column holds.")
    tags: list[str] = Field(default_factory=list, description="Labels, e.g. `pii`.")


class Retention(SpecModel):
    """How long rows are kept."""

    days: int = Field(gt=0, description="Rows older than this many days are removed.")
    column: Identifier = Field(description="Date or timestamp column that gives a row's age.")
    archive: bool = Field(False, description="Copy removed rows to the archive first.")


class Sla(SpecModel):
    """A promise about freshness: either `fresh_within`, or `ready_by` a time of day.

    `ready_by` takes the zone in the same string (`"06:00 Europe/Paris"`, as people say
    it) or in `timezone:`; naming two different zones is an error rather than a guess.
    `days` belongs to `ready_by` only: a `fresh_within` promise holds every day.
    """

    fresh_within: Duration | None = Field(
        None, description="The table has new data at most this old."
    )
    ready_by: str | None = Field(
        None,
        json_schema_extra={"pattern": _READY_BY},
        description="Time of day (`HH:MM`, quoted) by which data is in, optionally followed "
        'by its time zone: `"06:00 Europe/Paris"`.',
    )
    timezone: Annotated[str, AfterValidator(check_timezone)] = Field(
        "UTC", description="Time zone of `ready_by` (when `ready_by` names none)."
    )
    days: list[Weekday] = Field(
        default_factory=lambda: list(get_args(Weekday)),
        min_length=1,
        description="Days `ready_by` applies to.",
    )

    @field_validator("ready_by")
    @classmethod
    def _clock_and_zone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.match(_READY_BY, value):
            raise PydanticCustomError(
                "string_pattern_mismatch",
                "String should match pattern '{pattern}'",
                {
                    "pattern": _READY_BY,
                    "hint": 'write the time as HH:MM, e.g. "06:00", optionally followed by '
                    'a time zone: "06:00 Europe/Paris"',
                },
            )
        _, _, zone = value.partition(" ")
        if zone.strip():
            check_timezone(zone.strip())
        return value

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.fresh_within is None) == (self.ready_by is None):
            raise ValueError("an SLA has exactly one of fresh_within or ready_by")
        if self.fresh_within is not None and "days" in self.model_fields_set:
            raise ValueError("days apply to ready_by only: fresh_within holds every day")
        if self.ready_by is not None and "timezone" in self.model_fields_set:
            named = self.ready_by.partition(" ")[2].strip()
            if named and named != self.timezone:
                raise ValueError(
                    f"ready_by names the time zone {named} and timezone is {self.timezone}: "
                    "give the zone once"
                )
        return self

    @property
    def clock_time(self) -> time:
        """The time of day of `ready_by` (midnight for a `fresh_within` SLA)."""
        if self.ready_by is None:
            return time(0, 0)
        hours, minutes = self.ready_by.split(" ", 1)[0].split(":")
        return time(int(hours), int(minutes))

    @property
    def zone(self) -> str:
        """The IANA time zone `ready_by` is read in."""
        named = (self.ready_by or "").partition(" ")[2].strip()
        return named or self.timezone


class TableMeta(SpecModel):
    """What the catalog records about a table this pipeline writes."""

    description: str | None = Field(None, description="What one row is, and what it is for.")
    owner: str | None = Field(None, description="Team or person answering for the table.")
    tags: list[str] = Field(default_factory=list, description="Labels, e.g. `pii`.")
    columns: dict[Identifier, ColumnMeta] = Field(
        default_factory=dict, description="Documentation per column."
    )
    partition_by: list[Identifier] = Field(
        default_factory=list, description="Partition columns of the Delta table."
    )
    zorder_by: list[Identifier] = Field(
        default_factory=list, description="Columns to cluster by when optimizing."
    )
    schema_policy: Literal["evolve", "strict"] = Field(
        "evolve", description="`evolve` adds new columns; `strict` fails on any schema change."
    )
    retention: Retention | None = Field(None, description="How long rows are kept.")
    sla: Sla | None = Field(None, description="Freshness promise, watched and alerted on.")
    checks: list[Check] = Field(
        default_factory=list, description="Checks run on every write of the table."
    )
