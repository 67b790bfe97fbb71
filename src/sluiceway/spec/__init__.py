"""Project specs: settings and pipelines as pydantic models, templates, validation.

The entry point is :func:`load_project`; it returns a :class:`Project` or raises a
:class:`SpecError` listing every problem with its file, line, column and a fix.
"""

from __future__ import annotations

from sluiceway.spec.durations import Duration, parse_duration
from sluiceway.spec.pipeline import Origin, Pipeline
from sluiceway.spec.problems import Location, Problem, SpecError
from sluiceway.spec.project import Project, load_project
from sluiceway.spec.settings import ProjectSettings

__all__ = [
    "Duration",
    "Location",
    "Origin",
    "Pipeline",
    "Problem",
    "Project",
    "ProjectSettings",
    "SpecError",
    "load_project",
    "parse_duration",
]
