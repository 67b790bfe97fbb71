"""Reading pipeline files: YAML with positions → template rows → validated pipelines.

Every file is parsed once. A template is expanded row by row and each row validated on its
own, so a problem in one row does not hide the others, and a valid row still takes part in
the project-wide cross-reference checks.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sluiceway.spec.file_refs import ProjectFiles
from sluiceway.spec.pipeline import Origin, Pipeline
from sluiceway.spec.problems import Problem, RowRef, format_path
from sluiceway.spec.pydantic_errors import problems_from_error
from sluiceway.spec.rows import Rows, csv_rows, matrix_rows
from sluiceway.spec.template import TEMPLATE_KEYS, expand, marker_paths
from sluiceway.spec.units import Found, Unit, from_data, from_pipeline
from sluiceway.spec.yamlpos import Positions, load_yaml


@dataclass
class PipelineFile:
    """One pipeline file as read: its data, positions and what it produced."""

    path: str
    data: Any = None
    positions: Positions = field(default_factory=Positions)
    pipelines: list[Pipeline] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    found: list[Found] = field(default_factory=list)

    @property
    def is_template(self) -> bool:
        """True when the file has ``matrix:`` or ``parameters:``."""
        return isinstance(self.data, dict) and any(k in self.data for k in TEMPLATE_KEYS)

    def _add(self, problem: Problem, row: RowRef | None = None) -> None:
        self.found.append((problem, row))

    def _at(self, path: tuple[str | int, ...], message: str, hint: str | None = None) -> None:
        mark = (
            self.positions.key(path)
            if path and path[-1] in TEMPLATE_KEYS
            else self.positions.value(path)
        )
        self._add(
            Problem(self.path, mark.line, mark.column, format_path(path), None, message, hint)
        )

    def _validate(
        self,
        data: dict[str, Any],
        origin: Origin,
        row: RowRef | None,
        known: Collection[str] = (),
    ) -> None:
        """Validate one pipeline; problems on fields in ``known`` are already reported."""
        try:
            pipeline = Pipeline.model_validate(data)
        except ValidationError as exc:
            for problem in problems_from_error(exc, data, self.positions, self.path, Pipeline):
                if problem.field not in known:
                    self._add(problem, row)
            self.units.append(from_data(data, origin, self.positions, row))
            return
        pipeline._origin = origin
        self.pipelines.append(pipeline)
        self.units.append(from_pipeline(pipeline, self.positions, row))


def read_pipeline_file(root: Path, relative: str, files: ProjectFiles) -> PipelineFile:
    """Parse, expand and validate one pipeline file, collecting its problems."""
    result = PipelineFile(relative)
    try:
        text = (root / relative).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        result._add(Problem(relative, 1, 1, "", None, f"not UTF-8 text: {exc.reason}"))
        return result
    data, result.positions, issues = load_yaml(text)
    for issue in issues:
        path = format_path(issue.path)
        result._add(
            Problem(relative, issue.mark.line, issue.mark.column, path, issue.value, issue.message)
        )
    result.data = data
    if data is None:
        if not issues:
            result._add(
                Problem(
                    relative,
                    1,
                    1,
                    "",
                    None,
                    "the file is empty",
                    "a pipeline needs name: and steps:",
                )
            )
        return result
    if not isinstance(data, dict):
        result._add(
            Problem(relative, 1, 1, "", None, "a pipeline file is a mapping (name:, steps:, …)")
        )
        return result
    if result.is_template:
        _expand(result, data, root, files)
    else:
        markers = marker_paths(data)
        for marker in markers:
            result._at(
                marker,
                "uses {{ }} but has no matrix: or parameters:",
                "add matrix: or parameters: to make it a template, or remove the braces",
            )
        result._validate(data, Origin(relative), None, {format_path(m) for m in markers})
    return result


def _expand(result: PipelineFile, data: dict[str, Any], root: Path, files: ProjectFiles) -> None:
    if "matrix" in data and "parameters" in data:
        result._at(("parameters",), "a template has matrix: or parameters:, not both")
        return
    rows: Rows
    if "matrix" in data:
        rows = matrix_rows(data["matrix"], result.positions, result.path)
    else:
        rows = csv_rows(data["parameters"], result.positions, result.path, root, files.csv)
    for problem in rows.problems:
        result._add(problem)
    total = len(rows.values)
    for index, (rendered, issues) in enumerate(expand(data, rows.values)):
        origin = Origin(result.path, index, rows.values[index], total, rows.locations[index])
        row = RowRef(result.path, index + 1, total, origin.label)
        for issue in issues:
            mark = result.positions.value(issue.path)
            problem = Problem(
                result.path,
                mark.line,
                mark.column,
                format_path(issue.path),
                issue.value,
                issue.message,
                issue.hint,
            )
            result._add(problem, row)
        if not issues:
            result._validate(rendered, origin, row)
