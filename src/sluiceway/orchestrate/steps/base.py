"""The contract of a step executor, and what it reports back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sluiceway.lake.commit import CommitResult, WriteContext
    from sluiceway.orchestrate.context import StepContext


@dataclass(frozen=True)
class StepOutcome:
    """What one step execution did."""

    table: str | None
    commit: CommitResult | None
    inputs: dict[str, int] = field(default_factory=dict)
    engine: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_out(self) -> int | None:
        """Rows the step's commit added (None when it wrote nothing)."""
        return None if self.commit is None else self.commit.rows_added


class StepExecutor(Protocol):
    """Runs one kind of step: compute, stage, commit, all for one batch."""

    def dependencies(self, step: Any, ctx: StepContext) -> list[str]:
        """The tables the step reads (``layer.name``), for ordering and lineage."""
        ...

    def execute(self, step: Any, ctx: StepContext, batch: WriteContext) -> StepOutcome:
        """Compute and commit batch ``batch`` of ``step``."""
        ...
