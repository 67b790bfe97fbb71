"""How a step's result lands in its table, discriminated on ``type:``.

A bare string is shorthand for a variant without options (``materialization: append``), so
the common cases stay one word and the rare ones still validate every option.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from sluiceway.spec.base import Identifier, SpecModel, shorthand

Kind = Literal["overwrite", "append", "partition_overwrite", "merge", "scd2", "view"]


class Overwrite(SpecModel):
    """Replace the whole table with the result, in one commit."""

    type: Literal["overwrite"] = Field(description="Replace the table's content.")


class Append(SpecModel):
    """Add the result's rows to the table."""

    type: Literal["append"] = Field(description="Add rows to the table.")


class PartitionOverwrite(SpecModel):
    """Replace only the partitions present in the result."""

    type: Literal["partition_overwrite"] = Field(description="Replace the result's partitions.")
    partition_by: list[Identifier] = Field(
        min_length=1, description="Partition columns; the result replaces these partitions."
    )


class Merge(SpecModel):
    """Upsert on keys: update matching rows, insert new ones."""

    type: Literal["merge"] = Field(description="Upsert on `keys`.")
    keys: list[Identifier] = Field(min_length=1, description="Columns that identify a row.")
    track: list[Identifier] | None = Field(
        None, description="Only changes in these columns update a row; default: all columns."
    )


class Scd2(SpecModel):
    """Type-2 history: a changed row closes the current version and opens a new one."""

    type: Literal["scd2"] = Field(description="Keep the history of every key.")
    keys: list[Identifier] = Field(min_length=1, description="Columns that identify an entity.")
    track: list[Identifier] | None = Field(
        None, description="Only changes in these columns open a new version; default: all."
    )
    valid_from: Identifier | None = Field(
        None,
        description="Column giving when each version took effect (e.g. `updated_at`); "
        "default: the batch's load time.",
    )


class View(SpecModel):
    """A view over the query instead of stored data."""

    type: Literal["view"] = Field(description="Create a view; nothing is stored.")


Materialization = Annotated[
    Overwrite | Append | PartitionOverwrite | Merge | Scd2 | View,
    Field(discriminator="type"),
    BeforeValidator(
        shorthand,
        json_schema_input_type=Kind
        | Annotated[
            Overwrite | Append | PartitionOverwrite | Merge | Scd2 | View,
            Field(discriminator="type"),
        ],
    ),
]
"""One of the materializations, or its name alone when it takes no options."""
