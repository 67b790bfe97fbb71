"""The steps of a pipeline, discriminated on ``type:``: ingest, sql, python, check, publish.

Steps that write (ingest, sql, python) name one ``table`` each; check and publish steps read
one. Run settings (engine, retries, timeout) inherit from the pipeline and the project.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from sluiceway.spec.base import Identifier, RunOverrides, SpecModel, TableName
from sluiceway.spec.checks import Check
from sluiceway.spec.materializations import Append, Materialization, Overwrite, View
from sluiceway.spec.secrets import SecretUrl
from sluiceway.spec.sources import Source

FUNCTION_REF = r"^[A-Za-z0-9_][A-Za-z0-9_./-]*\.py:[A-Za-z_][A-Za-z0-9_]*$"


class StepBase(RunOverrides):
    """Fields every step has."""

    name: Identifier = Field(description="Step name, unique in the pipeline.")
    description: str | None = Field(None, description="What the step does and why.")
    depends_on: list[Identifier] = Field(
        default_factory=list,
        description="Steps of this pipeline to run first, beyond those inferred from tables.",
    )
    checks: list[Check] = Field(
        default_factory=list, description="Checks on the staged result before it is committed."
    )
    tags: list[str] = Field(default_factory=list, description="Labels for selection and docs.")

    @property
    def writes(self) -> str | None:
        """The table this step writes, or None for steps that only read."""
        return None


class IngestStep(StepBase):
    """Load data from outside (files, a database, a stream) into a table."""

    type: Literal["ingest"] = Field(description="Load from a source.")
    table: TableName = Field(description="Table to write, `layer.name`.")
    source: Source = Field(description="Where the data comes from.")
    materialization: Materialization = Field(
        default_factory=lambda: Append(type="append"), description="How rows land; default append."
    )

    @model_validator(mode="after")
    def _no_view(self) -> Self:
        _refuse_view(self.materialization, "an ingest step")
        return self

    @property
    def writes(self) -> str | None:
        return self.table


def _refuse_view(materialization: Materialization, what: str) -> None:
    if isinstance(materialization, View):
        raise ValueError(f"{what} stores rows; only a sql step can define a view")


class Incremental(SpecModel):
    """Process only what changed since the last run."""

    by: Identifier = Field(
        description="Increasing column (e.g. `updated_at`), or `version` for Delta versions."
    )


class SqlStep(StepBase):
    """A SELECT whose result is materialized into a table."""

    type: Literal["sql"] = Field(description="Run a SELECT.")
    sql: str | None = Field(None, description="SQL file path relative to the project root.")
    query: str | None = Field(
        None, description="Inline SELECT; rendered at run time with params and run context."
    )
    table: TableName = Field(description="Table to write, `layer.name`.")
    materialization: Materialization = Field(
        default_factory=lambda: Overwrite(type="overwrite"),
        description="How the result lands; default overwrite.",
    )
    incremental: Incremental | None = Field(None, description="Read only new upstream data.")

    @model_validator(mode="after")
    def _one_sql(self) -> Self:
        if (self.sql is None) == (self.query is None):
            raise ValueError("give exactly one of sql (a file) or query (inline SQL)")
        if isinstance(self.materialization, View):
            if self.checks:
                raise ValueError(
                    "a view stores no rows to check before they are published: put the checks "
                    "on a step that reads the view, or materialize it as a table"
                )
            if self.incremental is not None:
                raise ValueError("a view is read whole each time: it cannot be incremental")
        return self

    @property
    def writes(self) -> str | None:
        return self.table


class PythonStep(StepBase):
    """A Python function that returns the table's data."""

    type: Literal["python"] = Field(description="Call a Python function.")
    function: str = Field(
        pattern=FUNCTION_REF, description="`file.py:function`, the file in the project's `python/`."
    )
    inputs: list[TableName] = Field(
        default_factory=list, description="Tables passed to the function."
    )
    table: TableName = Field(description="Table to write, `layer.name`.")
    materialization: Materialization = Field(
        default_factory=lambda: Overwrite(type="overwrite"),
        description="How the result lands; default overwrite.",
    )

    @model_validator(mode="after")
    def _no_view(self) -> Self:
        _refuse_view(self.materialization, "a python step")
        return self

    @property
    def writes(self) -> str | None:
        return self.table

    @property
    def module_file(self) -> str:
        """The file part of ``function``, relative to ``python/``."""
        return self.function.rsplit(":", 1)[0]

    @property
    def function_name(self) -> str:
        """The function part of ``function``."""
        return self.function.rsplit(":", 1)[1]


class CheckStep(StepBase):
    """A standalone audit of a table, outside of any write."""

    type: Literal["check"] = Field(description="Audit a table.")
    table: TableName = Field(description="Table to check, `layer.name`.")


class PublishTarget(SpecModel):
    """A table in a serving database."""

    url: SecretUrl = Field(description="SQLAlchemy URL; a password is written `${env:NAME}`.")
    table: str = Field(description="Table name in the target database.")
    mode: Literal["replace", "append", "merge"] = Field(
        "replace", description="Replace the table, append rows, or merge on `keys`."
    )
    keys: list[Identifier] = Field(default_factory=list, description="Merge keys (mode merge).")

    @model_validator(mode="after")
    def _keys(self) -> Self:
        if self.mode == "merge" and not self.keys:
            raise ValueError("mode merge needs keys")
        return self


class PublishStep(StepBase):
    """Copy a lake table to a serving database."""

    type: Literal["publish"] = Field(description="Publish a table.")
    table: TableName = Field(description="Lake table to publish, `layer.name`.")
    target: PublishTarget = Field(description="Where to publish it.")


Step = Annotated[
    IngestStep | SqlStep | PythonStep | CheckStep | PublishStep, Field(discriminator="type")
]
"""One step of a pipeline."""
