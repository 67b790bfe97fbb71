"""The order of a pipeline's steps: a step runs after the steps that write what it reads.

Dependencies are inferred — a ``sql`` step reading ``silver.orders`` follows the step that
writes it — and ``depends_on`` adds explicit ones. A cycle is an error naming its steps.
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING

from sluiceway.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sluiceway.spec.pipeline import Pipeline


def step_order(pipeline: Pipeline, reads: Callable[[object], Sequence[str]]) -> dict[str, set[str]]:
    """Each step's upstream steps in this pipeline, keyed in a valid execution order.

    Args:
        pipeline: the pipeline.
        reads: the tables a step reads (its executor's ``dependencies``).
    """
    writers = {step.writes: step.name for step in pipeline.steps if step.writes}
    graph: dict[str, set[str]] = {}
    for step in pipeline.steps:
        upstream = {writers[t] for t in reads(step) if t in writers and writers[t] != step.name}
        graph[step.name] = upstream | set(step.depends_on)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        cycle = " → ".join(str(s) for s in exc.args[1])
        raise UsageError(
            f"pipeline {pipeline.name} has a cycle: {cycle}",
            hint="a step cannot read, directly or not, the table it writes",
        ) from exc
    return {name: graph[name] for name in order}


def downstream(graph: dict[str, set[str]], failed: str) -> set[str]:
    """Every step that depends, directly or not, on ``failed``."""
    found: set[str] = set()
    frontier = {failed}
    while frontier:
        frontier = {s for s, ups in graph.items() if ups & frontier and s not in found}
        found |= frontier
    return found
