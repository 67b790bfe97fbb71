"""Building the project's dependency graph (:mod:`.graph`) from its pipelines.

Each step's reads are what a run would infer: its executor's ``dependencies``, with the SQL
rendered with the pipeline's ``params`` and a placeholder run. Pipelines are then ordered
each after those feeding it, otherwise in project order; pipelines feeding each other in a
cycle are an error naming its tables in order.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sluiceway.errors import UsageError
from sluiceway.orchestrate.graph import Feed, Graph, StepNode, TableNode, feeds_between
from sluiceway.spec.materializations import View
from sluiceway.spec.steps import PublishStep, SqlStep

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.orchestrate.context import StepContext
    from sluiceway.orchestrate.steps.base import StepExecutor
    from sluiceway.spec.project import Project
    from sluiceway.spec.steps import Step


def build_graph(project: Project, store: MetaStore | None = None) -> Graph:
    """The dependency graph of every pipeline of ``project``.

    Args:
        project: a loaded project.
        store: the metadata store whose catalog lists tables no pipeline writes (None: a
            step may read only the project's own tables, as in ``validate`` without a store).

    Raises:
        SqlError: a step's SQL cannot be analysed (as ``validate`` reports it).
        UsageError: a cycle of steps within a pipeline, or of pipelines feeding each other.
    """
    from sluiceway.orchestrate.analysis import placeholder_contexts

    executors: dict[str, StepExecutor] = {}
    steps: dict[str, StepNode] = {}
    tables: dict[str, TableNode] = {}
    for ctx in placeholder_contexts(project, store):
        for node in _pipeline_steps(ctx, executors):
            steps[node.name] = node
        for step in ctx.pipeline.steps:
            if step.writes is not None:
                view = isinstance(step, SqlStep) and isinstance(step.materialization, View)
                tables[step.writes] = TableNode(
                    step.writes, f"{ctx.pipeline.name}.{step.name}", view
                )
    tables = _with_readers(tables, steps.values())
    order = _pipeline_order(list(project.pipelines), tables, steps)
    rank = {p: i for i, p in enumerate(order)}
    ordered = sorted(steps.values(), key=lambda s: rank[s.pipeline])  # stable: run order kept
    return Graph(tuple(order), {s.name: s for s in ordered}, _with_readers(tables, ordered))


def _with_readers(tables: dict[str, TableNode], steps: Iterable[StepNode]) -> dict[str, TableNode]:
    """``tables`` and the sources ``steps`` read, by name, each with its readers in order."""
    readers: dict[str, list[str]] = defaultdict(list)
    for node in steps:
        for table in node.reads:
            readers[table].append(node.name)
    found = dict(tables)
    for table, names in readers.items():
        known = found.get(table) or TableNode(table, None)
        found[table] = TableNode(table, known.writer, known.view, tuple(names))
    return dict(sorted(found.items()))


def _pipeline_steps(ctx: StepContext, executors: dict[str, StepExecutor]) -> list[StepNode]:
    """The steps of ``ctx.pipeline`` in run order, with what they read and write.

    Raises:
        UsageError: the pipeline's steps depend on each other in a cycle.
    """
    from sluiceway.orchestrate.order import step_order

    pipeline = ctx.pipeline
    reads = {id(step): _reads(step, ctx, executors) for step in pipeline.steps}
    nodes: list[StepNode] = []
    for name in step_order(pipeline, lambda step: reads[id(step)]):
        step = pipeline.step(name)
        after = tuple(f"{pipeline.name}.{d}" for d in step.depends_on)
        nodes.append(
            StepNode(pipeline.name, step.name, step.type, reads[id(step)], step.writes, after)
        )
    return nodes


def _reads(step: Step, ctx: StepContext, executors: dict[str, StepExecutor]) -> tuple[str, ...]:
    """The tables ``step`` reads, as its executor says (each table once)."""
    from sluiceway.orchestrate.steps import executor

    if isinstance(step, PublishStep):  # no executor yet: it reads the table it publishes
        return (step.table,)
    if step.type not in executors:
        executors[step.type] = executor(step.type)
    return tuple(dict.fromkeys(executors[step.type].dependencies(step, ctx)))


def _pipeline_order(
    names: list[str], tables: dict[str, TableNode], steps: dict[str, StepNode]
) -> list[str]:
    """Pipelines each after those feeding it, otherwise in project order.

    Raises:
        UsageError: pipelines feed each other in a cycle, named by its tables in order.
    """
    from graphlib import CycleError, TopologicalSorter

    position = {name: i for i, name in enumerate(names)}
    feeds = feeds_between(tables, position)
    before: dict[str, set[str]] = {name: set() for name in names}
    after: dict[str, set[str]] = {name: set() for name in names}
    for feed in feeds:
        before[feed.target].add(feed.source)
        after[feed.source].add(feed.target)
    try:
        TopologicalSorter(before).prepare()
    except CycleError as exc:
        raise _cycle_error(list(exc.args[1]), feeds, tables, steps) from None
    # Kahn's algorithm, always taking the earliest ready pipeline: a stable, readable order.
    waiting = {name: len(before[name]) for name in names}
    ready = [position[name] for name in names if not waiting[name]]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = names[heapq.heappop(ready)]
        order.append(name)
        for target in after[name]:
            waiting[target] -= 1
            if not waiting[target]:
                heapq.heappush(ready, position[target])
    return order


def _cycle_error(
    cycle: list[str],
    feeds: Iterable[Feed],
    tables: dict[str, TableNode],
    steps: dict[str, StepNode],
) -> UsageError:
    """The error for pipelines ``cycle`` (graphlib's: in flow order, first = last)."""
    ring = cycle[:-1]
    start = ring.index(min(ring))
    ring = ring[start:] + ring[:start]
    through = {(f.source, f.target): f.tables for f in feeds}
    names: list[str] = []
    details: list[str] = []
    for source, target in zip(ring, ring[1:] + ring[:1], strict=True):
        table = through[(source, target)][0]
        names.append(table)
        read_by = [r for r in tables[table].readers if steps[r].pipeline == target]
        details.append(f"{tables[table].writer} writes {table}, read by {', '.join(read_by)}")
    pipelines = ", ".join(ring[:-1]) + f" and {ring[-1]}"
    return UsageError(
        f"pipelines {pipelines} feed each other in a cycle: "
        f"{' → '.join([*names, names[0]])} ({'; '.join(details)})",
        hint="a pipeline cannot read what is computed from its own tables: move these steps "
        "into one pipeline, where they run in the order of the tables they read, or drop a read",
    )
