"""The ``ingest`` step: one executor, one module per kind of source.

Each source kind owns how it finds new data and how it stays exactly-once (the file ledger,
a cursor watermark); they all commit through the lake with the step's batch as the Delta
app transaction, so the runner treats them alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluiceway.errors import UsageError

if TYPE_CHECKING:
    from sluiceway.lake.commit import WriteContext
    from sluiceway.orchestrate.context import StepContext
    from sluiceway.orchestrate.steps.base import StepOutcome
    from sluiceway.spec.steps import IngestStep


class IngestStepExecutor:
    """Runs ``type: ingest`` steps, by their ``source.type``."""

    def dependencies(self, step: IngestStep, ctx: StepContext) -> list[str]:
        """None: an ingest step reads from outside the lake."""
        return []

    def execute(self, step: IngestStep, ctx: StepContext, batch: WriteContext) -> StepOutcome:
        """Load what is new at the source and commit it as batch ``batch``."""
        kind = step.source.type
        if kind == "files":
            from sluiceway.ingest.files.step import ingest_files

            return ingest_files(step, ctx, batch)
        if kind == "database":
            from sluiceway.ingest.database.step import ingest_database

            return ingest_database(step, ctx, batch)
        raise UsageError(
            f"step {step.name}: {kind} sources cannot be ingested yet",
            hint="ingest from files or a database; streams come with the streaming release",
        )
