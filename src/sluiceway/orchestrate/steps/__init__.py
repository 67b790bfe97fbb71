"""One executor per step type; :func:`executor` maps ``type:`` to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluiceway.errors import UsageError

if TYPE_CHECKING:
    from sluiceway.orchestrate.steps.base import StepExecutor

_EXECUTORS = {
    "ingest": "sluiceway.orchestrate.steps.ingest:IngestStepExecutor",
    "sql": "sluiceway.orchestrate.steps.sql:SqlStepExecutor",
    "python": "sluiceway.orchestrate.steps.python:PythonStepExecutor",
    "check": "sluiceway.orchestrate.steps.check:CheckStepExecutor",
}


def executor(step_type: str) -> StepExecutor:
    """The executor of steps of ``step_type``."""
    from importlib import import_module

    try:
        module, _, name = _EXECUTORS[step_type].partition(":")
    except KeyError:
        raise UsageError(
            f"{step_type} steps cannot run yet",
            hint="runnable step types: " + ", ".join(sorted(_EXECUTORS)),
        ) from None
    instance: StepExecutor = getattr(import_module(module), name)()
    return instance
