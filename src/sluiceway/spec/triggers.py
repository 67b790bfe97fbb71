"""Triggers: the rules that turn events into runs of a pipeline, discriminated on ``type:``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from croniter import croniter
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from sluiceway.spec.base import Identifier, SpecModel, TableName, check_timezone, shorthand
from sluiceway.spec.durations import Duration
from sluiceway.spec.secrets import SecretRef


def _check_cron(value: str) -> str:
    if not croniter.is_valid(value):
        raise PydanticCustomError(
            "cron",
            "invalid cron expression '{value}'",
            {"value": value, "hint": "five fields: minute hour day-of-month month day-of-week"},
        )
    return value


class FilesTrigger(SpecModel):
    """Run when files matching a glob arrive in the landing zone."""

    type: Literal["files"] = Field(description="Files arriving in the landing zone.")
    glob: str = Field(description="Glob relative to the landing zone, e.g. `orders/*.csv`.")


class ScheduleTrigger(SpecModel):
    """Run on a cron schedule."""

    type: Literal["schedule"] = Field(description="A cron schedule.")
    cron: Annotated[str, AfterValidator(_check_cron)] = Field(
        description="Cron expression, five fields, e.g. `0 6 * * *`."
    )
    timezone: Annotated[str, AfterValidator(check_timezone)] = Field(
        "UTC", description="IANA time zone the cron expression is read in."
    )
    catchup: bool = Field(
        False, description="Run missed ticks after downtime (true) or only the latest (false)."
    )


class TablesTrigger(SpecModel):
    """Run when upstream tables commit new data."""

    type: Literal["tables"] = Field(description="Upstream tables committed.")
    tables: list[TableName] = Field(min_length=1, description="Tables to watch, `layer.name`.")
    debounce: Duration = Field(
        timedelta(0), description="Wait this long for more commits before starting one run."
    )


class WebhookTrigger(SpecModel):
    """Run when a signed HTTP request arrives at `/hooks/{name}`."""

    type: Literal["webhook"] = Field(description="An HTTP call.")
    name: Identifier = Field(description="Webhook name, the last part of its URL.")
    secret: SecretRef | None = Field(
        None, description="Shared secret that signs requests, as `${env:NAME}`."
    )


class ManualTrigger(SpecModel):
    """Run only when someone asks (CLI, API, UI)."""

    type: Literal["manual"] = Field(description="Only on request.")


_Triggers = FilesTrigger | ScheduleTrigger | TablesTrigger | WebhookTrigger | ManualTrigger
Trigger = Annotated[
    _Triggers,
    Field(discriminator="type"),
    BeforeValidator(
        shorthand,
        json_schema_input_type=Literal["manual"]
        | Annotated[_Triggers, Field(discriminator="type")],
    ),
]
"""One way a pipeline starts."""
