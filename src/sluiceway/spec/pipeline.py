"""A pipeline: named steps that produce tables, with triggers, parameters and defaults.

A pipeline file with ``matrix:`` or ``parameters:`` is a template; the pipelines it expands
into have neither, and remember where they came from in :attr:`Pipeline.origin`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, PrivateAttr

from sluiceway.spec.base import Identifier, RunOverrides, TableName
from sluiceway.spec.problems import Location
from sluiceway.spec.steps import Step
from sluiceway.spec.tables import TableMeta
from sluiceway.spec.triggers import Trigger


@dataclass(frozen=True)
class Origin:
    """Where an expanded pipeline came from: its file, and its template row if any.

    ``row`` is the 0-based row index (None for a plain pipeline); ``values`` are the row's
    variables; ``row_location`` is the row in the matrix or in the CSV file.
    """

    file: str
    row: int | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    rows: int = 1
    row_location: Location | None = None

    @property
    def is_template(self) -> bool:
        """True when the pipeline was expanded from a template row."""
        return self.row is not None

    @property
    def label(self) -> str:
        """``row 3 (source=refunds)``: how messages name the row, 1-based."""
        if self.row is None:
            return ""
        shown = ", ".join(f"{k}={_short(v)}" for k, v in list(self.values.items())[:3])
        more = ", …" if len(self.values) > 3 else ""
        return f"row {self.row + 1} ({shown}{more})"


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 30 else text[:29] + "…"


class Pipeline(RunOverrides):
    """Named steps that produce tables, started by triggers."""

    name: Identifier = Field(description="Pipeline name, unique in the project.")
    description: str | None = Field(None, description="What the pipeline is for.")
    owner: str | None = Field(None, description="Team or person answering for the pipeline.")
    tags: list[str] = Field(default_factory=list, description="Labels for selection and docs.")
    matrix: list[dict[Identifier, Any]] | None = Field(
        None, description="Template rows: one pipeline per mapping of variables."
    )
    parameters: str | None = Field(
        None, description="Template rows from a CSV file (header = variables), project-relative."
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="Default parameters; a template row's values are merged over these.",
    )
    max_concurrent_runs: int = Field(1, ge=1, description="Runs of this pipeline at once.")
    on: list[Trigger] = Field(
        default_factory=list, description="Triggers; without any, the pipeline runs on request."
    )
    tables: dict[TableName, TableMeta] = Field(
        default_factory=dict, description="Metadata of tables this pipeline writes."
    )
    steps: list[Step] = Field(min_length=1, description="Steps, run in dependency order.")

    _origin: Origin | None = PrivateAttr(default=None)

    @property
    def origin(self) -> Origin:
        """The file and template row this pipeline came from."""
        return self._origin or Origin(file="")

    def step(self, name: str) -> Step:
        """The step called ``name``; raises KeyError if there is none."""
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def tables_written(self) -> Iterator[tuple[str, Step]]:
        """(table, step) for every step that writes a table."""
        for step in self.steps:
            if step.writes is not None:
                yield step.writes, step

    def written(self) -> set[str]:
        """The tables this pipeline's steps write."""
        return {table for table, _ in self.tables_written()}
