"""A project: its settings and every pipeline, validated together in one pass.

:func:`load_project` reads ``sluiceway.yaml`` and ``pipelines/*.yaml``, expands templates,
checks every model and every cross-reference, and raises one :class:`SpecError` listing all
problems — or returns a :class:`Project` that later subsystems can trust.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from sluiceway.spec.file_refs import ProjectFiles, check_files
from sluiceway.spec.loader import read_pipeline_file
from sluiceway.spec.overrides import DEFAULT_ENV, layer
from sluiceway.spec.pipeline import Pipeline
from sluiceway.spec.problems import Location, Problem, SpecError, collapse_rows, did_you_mean
from sluiceway.spec.pydantic_errors import problems_from_error
from sluiceway.spec.references import check_names, check_pipeline, check_steps, check_writers
from sluiceway.spec.settings import ProjectSettings
from sluiceway.spec.steps import Step
from sluiceway.spec.units import Found
from sluiceway.spec.yamlpos import Positions, load_yaml

SETTINGS_FILE = "sluiceway.yaml"
PIPELINES_DIR = "pipelines"


@dataclass
class Project:
    """A validated project: settings for the selected environment and expanded pipelines."""

    root: Path
    env: str
    settings: ProjectSettings
    pipelines: dict[str, Pipeline]
    files: list[str]
    positions: dict[str, Positions] = field(default_factory=dict, repr=False)

    def steps(self) -> Iterator[tuple[Pipeline, Step]]:
        """Every (pipeline, step), pipelines in file then row order."""
        for pipeline in self.pipelines.values():
            for step in pipeline.steps:
                yield pipeline, step

    def tables_written(self) -> dict[str, tuple[Pipeline, Step]]:
        """Each written table and the one step that writes it."""
        return {step.writes: (pipeline, step) for pipeline, step in self.steps() if step.writes}

    def location(self, pipeline: str | Pipeline, *path: str | int) -> Location:
        """Where a field of a pipeline is written, e.g. ``location("silver", "steps", 0, "sql")``.

        For a pipeline expanded from a template this is the template's line.
        """
        if isinstance(pipeline, str):
            pipeline = self.pipelines[pipeline]
        file = pipeline.origin.file
        mark = self.positions.get(file, Positions()).value(tuple(path))
        return Location(file, mark.line, mark.column)

    def settings_location(self, *path: str | int) -> Location:
        """Where a setting is written in ``sluiceway.yaml``."""
        mark = self.positions.get(SETTINGS_FILE, Positions()).value(tuple(path))
        return Location(SETTINGS_FILE, mark.line, mark.column)


def _settings(
    root: Path, env: str, environ: Mapping[str, str]
) -> tuple[ProjectSettings | None, dict[str, object], Positions, list[Problem]]:
    data, positions, issues = load_yaml((root / SETTINGS_FILE).read_text(encoding="utf-8"))
    problems = [
        Problem(SETTINGS_FILE, i.mark.line, i.mark.column, "", i.value, i.message) for i in issues
    ]
    if issues:
        return None, {}, positions, problems
    if not isinstance(data, dict):
        problems.append(Problem(SETTINGS_FILE, 1, 1, "", None, "expected a mapping with name:"))
        return None, {}, positions, problems
    declared = data.get("environments") or {}
    if env != DEFAULT_ENV and isinstance(declared, dict) and env not in declared:
        mark = positions.key(("environments",))
        names = [DEFAULT_ENV, *declared]
        hint = did_you_mean(env, names) or f"environments: {', '.join(names)}"
        message = f"environment '{env}' (--env) is not declared in environments:"
        problems.append(
            Problem(SETTINGS_FILE, mark.line, mark.column, "environments", env, message, hint)
        )
    layered = layer(data, positions, env, environ)
    problems += layered.problems
    try:
        settings = ProjectSettings.model_validate(layered.data)
    except ValidationError as exc:
        found = problems_from_error(
            exc, layered.data, layered.positions, SETTINGS_FILE, ProjectSettings
        )
        return None, data, positions, problems + _unique(layered.cite_variables(found))
    return settings, data, positions, problems


def _unique(problems: list[Problem]) -> list[Problem]:
    """One problem per place: an environment's bad value is seen in its section and merged."""
    best: dict[tuple[object, ...], Problem] = {}
    for problem in problems:
        key = (problem.file, problem.line, problem.column, problem.message)
        if key not in best or len(problem.field) > len(best[key].field):
            best[key] = problem
    return list(best.values())


def _skipped(root: Path, data: Mapping[str, object]) -> list[Path]:
    """Local lake and landing folders of every environment: never scanned for specs."""
    values = [data.get("lake", "./lake"), data.get("landing", "./landing")]
    environments = data.get("environments")
    if isinstance(environments, dict):
        for section in environments.values():
            if isinstance(section, dict):
                values += [section.get("lake"), section.get("landing")]
    return [root / v for v in values if isinstance(v, str) and "://" not in v]


def pipeline_files(root: Path) -> list[str]:
    """Pipeline files under ``pipelines/``, as sorted posix paths relative to ``root``."""
    folder = root / PIPELINES_DIR
    found = [p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
    return sorted(p.relative_to(root).as_posix() for p in found)


def load_project(
    root: Path, *, env: str | None = None, environ: Mapping[str, str] | None = None
) -> Project:
    """Load and validate the project in ``root`` for environment ``env`` (default prod).

    Raises:
        SpecError: listing every problem found, sorted by file and line.
    """
    root = Path(root).resolve()
    env_name = env or DEFAULT_ENV
    environ = os.environ if environ is None else environ
    if not (root / SETTINGS_FILE).is_file():
        raise SpecError(
            [
                Problem(
                    SETTINGS_FILE,
                    None,
                    None,
                    "",
                    None,
                    f"no {SETTINGS_FILE} in {root}",
                    "run `sluiceway init`, or point --project at the project folder",
                )
            ]
        )
    settings, raw, settings_positions, problems = _settings(root, env_name, environ)
    layers = (
        settings.layers
        if settings
        else ProjectSettings.model_fields["layers"].get_default(call_default_factory=True)
    )
    files = ProjectFiles.scan(root, _skipped(root, raw))
    read = [read_pipeline_file(root, path, files) for path in pipeline_files(root)]
    units = [unit for file in read for unit in file.units]
    written = set().union(*(unit.written() for unit in units))
    found: list[Found] = [item for file in read for item in file.found]
    for unit in units:
        found += check_steps(unit, layers, written)
        found += check_pipeline(unit, layers, written)
        found += check_files(unit, files)
    found += check_writers(units) + check_names(units)
    problems += collapse_rows(found)
    if problems or settings is None:
        raise SpecError(problems)
    pipelines = {p.name: p for file in read for p in file.pipelines}
    positions = {file.path: file.positions for file in read}
    positions[SETTINGS_FILE] = settings_positions
    return Project(root, env_name, settings, pipelines, [f.path for f in read], positions)


__all__ = ["Project", "load_project"]
