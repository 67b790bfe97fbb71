"""The materializations, by the name a step's ``materialization: type`` gives.

The registry maps each kind to ``module:Class``, imported only when first used: a process
that appends never imports the MERGE machinery, and a kind whose module is missing fails
with a clear message when used rather than when the package is imported.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from sluiceway.errors import UsageError

if TYPE_CHECKING:
    from sluiceway.lake.materializations.base import Materializer

_PACKAGE = __name__
REGISTRY: Final[dict[str, str]] = {
    "overwrite": f"{_PACKAGE}.overwrite:OverwriteMaterializer",
    "append": f"{_PACKAGE}.append:AppendMaterializer",
    "partition_overwrite": f"{_PACKAGE}.partition_overwrite:PartitionOverwriteMaterializer",
    "merge": f"{_PACKAGE}.merge:MergeMaterializer",
    "scd2": f"{_PACKAGE}.scd2:Scd2Materializer",
    "view": f"{_PACKAGE}.view:ViewMaterializer",
}
"""Kind → ``module:Class``; the keys are exactly the spec's materialization kinds."""


def kinds() -> tuple[str, ...]:
    """Every materialization kind, in registry order."""
    return tuple(REGISTRY)


def kind_of(spec: Any) -> str:
    """The kind of a materialization spec: a model with ``type``, or the bare name."""
    kind = spec if isinstance(spec, str) else getattr(spec, "type", None)
    if not isinstance(kind, str):
        raise UsageError(f"{spec!r} is not a materialization")
    return kind


def materializer(spec: Any) -> Materializer:
    """The materializer for ``spec`` (a spec model or a kind name), one instance per kind.

    Raises:
        UsageError: the kind is unknown, or its module is not installed in this build.
    """
    return _load(kind_of(spec))


@cache
def _load(kind: str) -> Materializer:
    path = REGISTRY.get(kind)
    if path is None:
        raise UsageError(
            f"unknown materialization {kind!r}",
            hint="use one of " + ", ".join(REGISTRY),
        )
    module_name, _, class_name = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise UsageError(
            f"materialization {kind!r} is not available in this build ({module_name} is missing)"
        ) from exc
    instance: Materializer = getattr(module, class_name)()
    return instance


__all__ = ["REGISTRY", "kind_of", "kinds", "materializer"]
