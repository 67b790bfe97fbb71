"""Metadata of the tables a pipeline writes: docs, ownership, layout, retention, SLA, checks."""

from __future__ import annotations

from typing import Annotated, Literal, Self, get_args

from pydantic import AfterValidator, Field, model_validator

from sluiceway.spec.base import Identifier, SpecModel, check_timezone
from sluiceway.spec.checks import Check
from sluiceway.spec.durations import Duration

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


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
    """A promise about freshness: either `fresh_within`, or `ready_by` a time of day."""

    fresh_within: Duration | None = Field(
        None, description="The table has new data at most this old."
    )
    ready_by: str | None = Field(
        None, pattern=_CLOCK, description="Time of day (`HH:MM`, quoted) by which data is in."
    )
    timezone: Annotated[str, AfterValidator(check_timezone)] = Field(
        "UTC", description="Time zone of `ready_by`."
    )
    days: list[Weekday] = Field(
        default_factory=lambda: list(get_args(Weekday)),
        description="Days `ready_by` applies to.",
    )

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.fresh_within is None) == (self.ready_by is None):
            raise ValueError("an SLA has exactly one of fresh_within or ready_by")
        return self


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
