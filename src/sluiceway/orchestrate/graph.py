"""The project's dependency graph: every step and every table, across pipelines.

Nodes are steps (``pipeline.step``) and tables (``layer.name``, views included); a step reads
tables (table → step) and writes at most one (step → table), and ``depends_on`` orders steps
(step → step). What a step reads is what a run infers — each executor's ``dependencies``,
the SQL rendered with the pipeline's ``params`` and a placeholder run
(:func:`~sluiceway.orchestrate.analysis.placeholder_contexts`). A table that no pipeline
writes is a source: the catalog knows it, or it is a system table.

Pipeline A feeds pipeline B when B reads a table A writes. Pipelines fed in a circle can
never settle, so a cycle is an error naming its tables in order; otherwise
:attr:`Graph.pipelines` is an order the pipelines can run in. The graph is built from a
project by :func:`~sluiceway.orchestrate.graph_build.build_graph`; this module holds what it
is and how it is walked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

from sluiceway.errors import UsageError

NodeKind = Literal["table", "step"]
EdgeKind = Literal["reads", "writes", "after"]


@dataclass(frozen=True, order=True)
class Node:
    """A table (``layer.name``) or a step (``pipeline.step``) of the graph."""

    kind: NodeKind
    name: str

    @property
    def id(self) -> str:
        """``table:silver.orders`` or ``step:silver.orders``: unique where names are not."""
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class StepNode:
    """One step: what it reads, what it writes, and the steps it explicitly follows."""

    pipeline: str
    step: str
    type: str
    reads: tuple[str, ...]
    writes: str | None
    after: tuple[str, ...] = ()
    """``depends_on``, as ``pipeline.step`` names."""

    @property
    def name(self) -> str:
        """``pipeline.step``."""
        return f"{self.pipeline}.{self.step}"


@dataclass(frozen=True)
class TableNode:
    """One table: the step writing it (None for a source), whether it is a view, its readers."""

    name: str
    writer: str | None
    view: bool = False
    readers: tuple[str, ...] = ()

    @property
    def source(self) -> bool:
        """True when no pipeline writes the table."""
        return self.writer is None

    @property
    def pipeline(self) -> str | None:
        """The pipeline writing the table."""
        return None if self.writer is None else self.writer.split(".", 1)[0]


@dataclass(frozen=True)
class Edge:
    """``source`` → ``target``: a table read by a step, a table written, or ``depends_on``."""

    source: Node
    target: Node
    kind: EdgeKind


@dataclass(frozen=True)
class Feed:
    """Pipeline ``target`` reads ``tables`` that pipeline ``source`` writes."""

    source: str
    target: str
    tables: tuple[str, ...]


@dataclass
class Graph:
    """Steps and tables of a project (or of part of it), and the pipelines they belong to.

    Attributes:
        pipelines: pipeline names in an order they can run in (each after those feeding it).
        steps: ``pipeline.step`` → the step, pipelines in that order, steps in run order.
        tables: ``layer.name`` → the table, sorted by name.
    """

    pipelines: tuple[str, ...]
    steps: dict[str, StepNode]
    tables: dict[str, TableNode]
    _adjacent: dict[bool, dict[Node, list[Node]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @cached_property
    def feeds(self) -> tuple[Feed, ...]:
        """The pipeline-level edges, in pipeline order."""
        return feeds_between(self.tables, {p: i for i, p in enumerate(self.pipelines)})

    def edges(self) -> Iterator[Edge]:
        """Every edge: per step, the tables it reads, the steps it follows, the table it writes."""
        for step in self.steps.values():
            here = Node("step", step.name)
            for table in step.reads:
                yield Edge(Node("table", table), here, "reads")
            for before in step.after:
                yield Edge(Node("step", before), here, "after")
            if step.writes is not None:
                yield Edge(here, Node("table", step.writes), "writes")

    def pipeline_steps(self, pipeline: str) -> list[StepNode]:
        """The steps of ``pipeline`` in this graph, in run order."""
        return self._by_pipeline.get(pipeline, [])

    @cached_property
    def _by_pipeline(self) -> dict[str, list[StepNode]]:
        found: dict[str, list[StepNode]] = defaultdict(list)
        for step in self.steps.values():
            found[step.pipeline].append(step)
        return found

    def pipelines_reading(self, table: str) -> list[str]:
        """The pipelines with a step reading ``table``, in run order (none for an unknown table).

        The writing pipeline is among them when one of its own steps reads the table back
        (a ``check`` step, say).
        """
        node = self.tables.get(table)
        if node is None:
            return []
        readers = {self.steps[step].pipeline for step in node.readers}
        return [p for p in self.pipelines if p in readers]

    def node(self, name: str | Node) -> Node:
        """The node called ``name``: a table if there is one, else a step.

        Raises:
            UsageError: neither a table nor a step of the graph is called so.
        """
        if isinstance(name, Node):
            known = self.tables if name.kind == "table" else self.steps
            if name.name not in known:
                raise _unknown(name.name, known, f"no {name.kind} {name.name} in the graph")
            return name
        if name in self.tables:
            return Node("table", name)
        if name in self.steps:
            return Node("step", name)
        raise _unknown(name, [*self.tables, *self.steps], f"no table or step named {name}")

    def adjacent(self, node: Node, *, forward: bool) -> list[Node]:
        """The nodes one edge after ``node`` (``forward``) or one edge before it."""
        if forward not in self._adjacent:
            found: dict[Node, list[Node]] = defaultdict(list)
            for edge in self.edges():
                if forward:
                    found[edge.source].append(edge.target)
                else:
                    found[edge.target].append(edge.source)
            self._adjacent[forward] = found
        return self._adjacent[forward].get(node, [])


def downstream(graph: Graph, start: str | Node) -> set[Node]:
    """Every table and step computed, directly or not, from ``start`` (a table or a step)."""
    return _reach(graph, graph.node(start), forward=True)


def upstream(graph: Graph, start: str | Node) -> set[Node]:
    """Every table and step that ``start`` (a table or a step) is computed from."""
    return _reach(graph, graph.node(start), forward=False)


def focus(graph: Graph, target: str) -> Graph:
    """The part of ``graph`` upstream and downstream of ``target``, ``target`` included.

    Args:
        graph: the whole graph.
        target: a table (``layer.name``), a step (``pipeline.step``) or a pipeline (all of
            its steps); a name that is both a table and a step means the table.

    Raises:
        UsageError: nothing in the graph is called ``target``.
    """
    if "." not in target and target in graph.pipelines:
        starts = [Node("step", s.name) for s in graph.pipeline_steps(target)]
    else:
        try:
            starts = [graph.node(target)]
        except UsageError:
            names = [*graph.tables, *graph.steps, *graph.pipelines]
            raise _unknown(target, names, f"no table, step or pipeline named {target}") from None
    kept = set(starts)
    for start in starts:
        kept |= _reach(graph, start, forward=True) | _reach(graph, start, forward=False)
    # A step kept only through depends_on keeps the table it writes: a step is shown whole.
    kept |= {
        Node("table", written)
        for node in kept
        if node.kind == "step" and (written := graph.steps[node.name].writes) is not None
    }
    steps = {
        name: replace(
            step,
            reads=tuple(t for t in step.reads if Node("table", t) in kept),
            after=tuple(a for a in step.after if Node("step", a) in kept),
        )
        for name, step in graph.steps.items()
        if Node("step", name) in kept
    }
    tables = {
        name: TableNode(
            name, table.writer, table.view, tuple(r for r in table.readers if r in steps)
        )
        for name, table in graph.tables.items()
        if Node("table", name) in kept
    }
    pipelines = {s.pipeline for s in steps.values()}
    return Graph(tuple(p for p in graph.pipelines if p in pipelines), steps, tables)


def feeds_between(tables: dict[str, TableNode], rank: dict[str, int]) -> tuple[Feed, ...]:
    """Pipeline → pipeline edges through the tables one writes and the other reads."""
    through: dict[tuple[str, str], list[str]] = defaultdict(list)
    for table in tables.values():
        source = table.pipeline
        if source is None:
            continue
        targets = dict.fromkeys(r.split(".", 1)[0] for r in table.readers)
        for target in targets:
            if target != source:
                through[(source, target)].append(table.name)
    pairs = sorted(through, key=lambda pair: (rank.get(pair[0], 0), rank.get(pair[1], 0)))
    return tuple(Feed(s, t, tuple(sorted(through[(s, t)]))) for s, t in pairs)


def _reach(graph: Graph, start: Node, *, forward: bool) -> set[Node]:
    found: set[Node] = set()
    frontier = [start]
    while frontier:
        node = frontier.pop()
        for near in graph.adjacent(node, forward=forward):
            if near not in found:
                found.add(near)
                frontier.append(near)
    found.discard(start)
    return found


def _unknown(name: str, names: Iterable[str], message: str) -> UsageError:
    from sluiceway.spec.problems import did_you_mean

    close = did_you_mean(name, names)
    return UsageError(
        message + (f" — {close}" if close else ""),
        hint="tables are layer.name, steps pipeline.step; `sluiceway graph` lists them all",
    )
