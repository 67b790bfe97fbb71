"""What a step sees of its run: ids, parameters, partition, start time, and shared resources.

One :class:`RunContext` is built per run; every step gets a :class:`StepContext` holding it,
the lake, the metadata store and the engines opened for the run (an engine is opened on
first use and closed when the run ends: Spark's JVM is paid once per run, not per step).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sluiceway.engines.base import Engine
    from sluiceway.lake.service import Lake
    from sluiceway.meta.store import MetaStore
    from sluiceway.spec.pipeline import Pipeline
    from sluiceway.spec.project import Project
    from sluiceway.spec.settings import EngineSettings


@dataclass(frozen=True)
class RunContext:
    """The run a step belongs to, as SQL templates and python steps see it (``run.*``)."""

    id: str
    pipeline: str
    env: str
    started_at: datetime
    partition: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def template_values(self) -> dict[str, Any]:
        """``run`` in Jinja: ``{{ run.id }}``, ``{{ run.partition }}``, ``{{ run.started_at }}``."""
        return {
            "id": self.id,
            "pipeline": self.pipeline,
            "env": self.env,
            "partition": self.partition,
            "started_at": self.started_at.isoformat(),
            "date": self.started_at.date().isoformat(),
        }


class Engines:
    """The engines of one run, opened on first use and closed together."""

    def __init__(self, settings: EngineSettings) -> None:
        self._settings = settings
        self._open: dict[str, Engine] = {}

    def get(self, name: str) -> Engine:
        """The run's engine ``name``, opened now if it was not yet."""
        if name not in self._open:
            from sluiceway.engines import open_engine

            self._open[name] = open_engine(name, self._settings)
        return self._open[name]

    def close(self) -> None:
        """Close every engine the run opened."""
        for engine in self._open.values():
            engine.close()
        self._open.clear()


@dataclass
class StepContext:
    """Everything one step execution needs."""

    project: Project
    pipeline: Pipeline
    run: RunContext
    lake: Lake
    store: MetaStore | None
    engines: Engines
    engine_override: str | None = None
    known: frozenset[str] | None = None
    """The tables steps may read, when the caller worked them out once for many steps
    (analysing a whole project); None: each step looks them up."""

    def engine_name(self, step: Any) -> str:
        """``--engine``, else the step's, the pipeline's, the environment's, the project's."""
        if self.engine_override:
            return self.engine_override
        environment = self.project.settings.environments.get(self.project.env)
        for choice in (
            getattr(step, "engine", None),
            self.pipeline.engine,
            environment.engine if environment else None,
        ):
            if choice:
                return str(choice)
        return self.project.settings.engine

    def params(self, step: Any) -> dict[str, Any]:
        """``params`` in Jinja: the pipeline's parameters, overridden by the run's."""
        return {**self.pipeline.params, **self.run.params}
