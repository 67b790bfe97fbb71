"""Declarative expectations on a table, discriminated on ``type:``.

Every check has a stable name — given, or derived from its type and columns — because the
name keys its results over time: the metrics history and alerts of ``not_null_order_id``
must survive a reordering of the YAML list.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from sluiceway.spec.base import Identifier, SpecModel, TableName
from sluiceway.spec.durations import Duration

Severity = Literal["warn", "error", "block"]
Mode = Literal["enforce", "shadow"]


def _check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise PydanticCustomError(
            "regex", "pattern does not compile: {error}", {"error": str(exc)}
        ) from None
    return value


class CheckBase(SpecModel):
    """Options every check has."""

    name: Identifier | None = Field(
        None, description="Stable name of the check; default: derived from type and columns."
    )
    where: str | None = Field(None, description="SQL predicate: check only the rows it keeps.")
    severity: Severity = Field(
        "error",
        description="`warn` records, `error` quarantines failing rows, `block` publishes nothing.",
    )
    mode: Mode = Field("enforce", description="`shadow` records results without acting on them.")

    def default_name(self) -> str:
        """The name derived from the type and the columns, e.g. ``not_null_order_id``."""
        return str(getattr(self, "type", "check"))

    @model_validator(mode="after")
    def _name(self) -> Self:
        if self.name is None:
            self.name = self.default_name()
        return self


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:8]


class NotNull(CheckBase):
    """The columns are never null."""

    type: Literal["not_null"] = Field(description="No nulls in `columns`.")
    columns: list[Identifier] = Field(min_length=1, description="Columns that must be set.")

    def default_name(self) -> str:
        return "not_null_" + "_".join(self.columns)


class Unique(CheckBase):
    """The columns together identify a row."""

    type: Literal["unique"] = Field(description="No duplicate combinations of `columns`.")
    columns: list[Identifier] = Field(min_length=1, description="Columns that are unique together.")

    def default_name(self) -> str:
        return "unique_" + "_".join(self.columns)


class AcceptedValues(CheckBase):
    """A column takes only listed values."""

    type: Literal["accepted_values"] = Field(description="`column` is one of `values`.")
    column: Identifier = Field(description="Column to check.")
    values: list[Any] = Field(min_length=1, description="Allowed values.")

    def default_name(self) -> str:
        return f"accepted_values_{self.column}"


class Range(CheckBase):
    """A column lies between bounds."""

    type: Literal["range"] = Field(description="`column` between `min` and `max`.")
    column: Identifier = Field(description="Column to check.")
    min: float | int | str | None = Field(None, description="Lower bound (number or date).")
    max: float | int | str | None = Field(None, description="Upper bound (number or date).")
    min_inclusive: bool = Field(True, description="Whether `min` itself is allowed.")
    max_inclusive: bool = Field(True, description="Whether `max` itself is allowed.")

    @model_validator(mode="after")
    def _bound(self) -> Self:
        if self.min is None and self.max is None:
            raise ValueError("a range check needs min, max or both")
        return self

    def default_name(self) -> str:
        return f"range_{self.column}"


class Regex(CheckBase):
    """A text column matches a regular expression."""

    type: Literal["regex"] = Field(description="`column` matches `pattern`.")
    column: Identifier = Field(description="Column to check.")
    pattern: Annotated[str, AfterValidator(_check_regex)] = Field(
        description="Regular expression the whole value must match."
    )

    def default_name(self) -> str:
        return f"regex_{self.column}"


class RowCount(CheckBase):
    """The result has a plausible number of rows."""

    type: Literal["row_count"] = Field(description="Row count between `min` and `max`.")
    min: int | None = Field(None, ge=0, description="Fewest rows allowed.")
    max: int | None = Field(None, ge=0, description="Most rows allowed.")

    def default_name(self) -> str:
        return "row_count"


class Freshness(CheckBase):
    """The newest row is recent enough."""

    type: Literal["freshness"] = Field(description="Newest value of `column` within `max_age`.")
    column: Identifier | None = Field(
        None, description="Timestamp column; default: the commit time."
    )
    max_age: Duration = Field(description="Oldest acceptable age of the newest row.")

    def default_name(self) -> str:
        return f"freshness_{self.column}" if self.column else "freshness"


class Relationships(CheckBase):
    """Every value of a column exists in another table (a foreign key)."""

    type: Literal["relationships"] = Field(description="`column` values exist in `to.field`.")
    column: Identifier = Field(description="Referencing column.")
    to: TableName = Field(description="Referenced table, `layer.name`.")
    field: Identifier = Field(description="Referenced column in `to`.")

    def default_name(self) -> str:
        return f"relationships_{self.column}_{self.to.replace('.', '_')}"


class SchemaCheck(CheckBase):
    """The table has these columns with these types."""

    type: Literal["schema"] = Field(description="Columns and types.")
    columns: dict[Identifier, str] = Field(
        min_length=1, description="Column name to SQL type, e.g. `{order_id: bigint}`."
    )

    def default_name(self) -> str:
        return "schema"


class Expression(CheckBase):
    """A SQL boolean expression holds for every row."""

    type: Literal["expression"] = Field(description="`expr` is true on every row.")
    expr: str = Field(description="SQL boolean expression, e.g. `shipped_at >= ordered_at`.")

    def default_name(self) -> str:
        return f"expression_{_digest(self.expr)}"


class Aggregate(CheckBase):
    """A SQL aggregate over the table lies between bounds."""

    type: Literal["aggregate"] = Field(description="An aggregate between `min` and `max`.")
    sql: str = Field(description="SQL aggregate expression, e.g. `sum(amount)`.")
    min: float | None = Field(None, description="Lowest acceptable value.")
    max: float | None = Field(None, description="Highest acceptable value.")

    def default_name(self) -> str:
        return f"aggregate_{_digest(self.sql)}"


Check = Annotated[
    NotNull
    | Unique
    | AcceptedValues
    | Range
    | Regex
    | RowCount
    | Freshness
    | Relationships
    | SchemaCheck
    | Expression
    | Aggregate,
    Field(discriminator="type"),
]
"""One expectation on a table."""
