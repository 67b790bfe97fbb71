"""Engines: where the project's SQL runs. DuckDB by default, Spark for scale.

Each engine lives in its own sub-package, the only place its driver is imported. This module
maps engine names to their classes lazily, so choosing DuckDB never imports pyspark.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from sluiceway.engines.base import Capabilities, Engine, Input, Output, Staged, StagedFile
from sluiceway.errors import UsageError

if TYPE_CHECKING:
    from sluiceway.spec.settings import EngineSettings

ENGINES: dict[str, str] = {
    "duckdb": "sluiceway.engines.duckdb.engine:DuckDBEngine",
    "spark": "sluiceway.engines.spark.engine:SparkEngine",
}
"""Engine name → ``module:class``; the class takes its settings model."""

__all__ = [
    "ENGINES",
    "Capabilities",
    "Engine",
    "Input",
    "Output",
    "Staged",
    "StagedFile",
    "engine_class",
    "open_engine",
]


def engine_class(name: str) -> Any:
    """The class of engine ``name`` (imports its driver)."""
    try:
        module, _, attr = ENGINES[name].partition(":")
    except KeyError:
        raise UsageError(
            f"unknown engine {name!r}", hint="engines: " + ", ".join(sorted(ENGINES))
        ) from None
    return getattr(import_module(module), attr)


def open_engine(name: str, settings: EngineSettings | None = None) -> Engine:
    """A ready engine ``name`` configured from the project's ``engines:`` settings."""
    from sluiceway.spec.settings import EngineSettings

    settings = settings or EngineSettings()
    engine: Engine = engine_class(name)(getattr(settings, name))
    return engine
