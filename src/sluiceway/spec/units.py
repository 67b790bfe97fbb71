"""What cross-reference checks look at: a pipeline's steps, triggers and table metadata.

A pipeline that failed validation still has steps that passed; checking those too lets one
``validate`` report a missing SQL file next to a typo in the same file, instead of hiding
the second problem until the first is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from sluiceway.spec.checks import Check
from sluiceway.spec.pipeline import Origin, Pipeline
from sluiceway.spec.problems import Problem, RowRef, format_path
from sluiceway.spec.steps import Step
from sluiceway.spec.triggers import Trigger
from sluiceway.spec.yamlpos import Path, Positions

Found = tuple[Problem, RowRef | None]
"""A problem and the template row it was found in, before rows are collapsed."""

_WRITERS = frozenset({"ingest", "sql", "python"})
_STEP: TypeAdapter[Step] = TypeAdapter(Step)
_TRIGGER: TypeAdapter[Trigger] = TypeAdapter(Trigger)


@dataclass
class Unit:
    """One (possibly partly invalid) pipeline as the cross-reference checks see it."""

    name: str | None
    origin: Origin
    positions: Positions
    row: RowRef | None
    steps: list[tuple[int, Step]] = field(default_factory=list)
    step_names: list[Any] = field(default_factory=list)
    triggers: list[tuple[int, Trigger]] = field(default_factory=list)
    table_keys: list[str] = field(default_factory=list)
    table_checks: list[tuple[str, list[Check]]] = field(default_factory=list)
    invalid_writes: set[str] = field(default_factory=set)
    invalid_steps: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    """Steps that failed validation, as written: their file references are still checked."""

    def problem(
        self, path: Path, value: Any, message: str, hint: str | None = None, *, key: bool = False
    ) -> Found:
        """A problem at ``path`` of this unit's file (at the key with ``key=True``)."""
        mark = self.positions.key(path) if key else self.positions.value(path)
        where = self.origin.file
        return Problem(
            where, mark.line, mark.column, format_path(path), value, message, hint
        ), self.row

    def written(self) -> set[str]:
        """Tables the unit's steps write (invalid steps too, to avoid knock-on problems)."""
        return {step.writes for _, step in self.steps if step.writes} | self.invalid_writes


def from_pipeline(pipeline: Pipeline, positions: Positions, row: RowRef | None) -> Unit:
    """The unit of a valid pipeline."""
    return Unit(
        name=pipeline.name,
        origin=pipeline.origin,
        positions=positions,
        row=row,
        steps=list(enumerate(pipeline.steps)),
        step_names=[step.name for step in pipeline.steps],
        triggers=list(enumerate(pipeline.on)),
        table_keys=list(pipeline.tables),
        table_checks=[(table, meta.checks) for table, meta in pipeline.tables.items()],
    )


def from_data(
    data: dict[str, Any], origin: Origin, positions: Positions, row: RowRef | None
) -> Unit:
    """The unit of a pipeline that failed validation: the parts that pass on their own."""
    name = data.get("name")
    unit = Unit(name if isinstance(name, str) else None, origin, positions, row)
    steps = data.get("steps")
    for index, raw in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(raw, dict):
            unit.step_names.append(raw.get("name"))
        try:
            unit.steps.append((index, _STEP.validate_python(raw)))
        except ValidationError:
            if not isinstance(raw, dict):
                continue
            unit.invalid_steps.append((index, raw))
            if raw.get("type") in _WRITERS and isinstance(raw.get("table"), str):
                unit.invalid_writes.add(raw["table"])
    triggers = data.get("on")
    for index, raw in enumerate(triggers if isinstance(triggers, list) else []):
        try:
            unit.triggers.append((index, _TRIGGER.validate_python(raw)))
        except ValidationError:
            continue
    tables = data.get("tables")
    if isinstance(tables, dict):
        unit.table_keys = [key for key in tables if isinstance(key, str)]
    return unit
