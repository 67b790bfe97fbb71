"""The ``check`` step: audit a committed table with its checks, outside of any write."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sluiceway.orchestrate.steps.base import StepOutcome
from sluiceway.orchestrate.steps.gated import checks_of

if TYPE_CHECKING:
    from sluiceway.lake.commit import WriteContext
    from sluiceway.orchestrate.context import StepContext
    from sluiceway.spec.steps import CheckStep


class CheckStepExecutor:
    """Runs ``type: check`` steps: the step's checks and its table's, on the latest version."""

    def dependencies(self, step: CheckStep, ctx: StepContext) -> list[str]:
        """The audited table, and those its ``relationships`` checks read."""
        tables = [step.table]
        for check in checks_of(step, ctx):
            if check.type == "relationships" and check.to not in tables:
                tables.append(check.to)
        return tables

    def execute(self, step: CheckStep, ctx: StepContext, batch: WriteContext) -> StepOutcome:
        """Audit the table; fail the step when an ``error`` or ``block`` check fails."""
        from sluiceway.quality.gate import Where
        from sluiceway.quality.table_audit import audit_table

        engine_name = ctx.engine_name(step)
        where = Where(ctx.lake, ctx.store, ctx.run.id, ctx.pipeline.name, step.name)
        checks = checks_of(step, ctx)
        results = audit_table(ctx.engines.get(engine_name), step.table, checks, where)
        version = ctx.lake.table(step.table).version()
        statuses = [r.status for r in results]
        return StepOutcome(
            table=None,
            commit=None,
            inputs={step.table: version},
            engine=engine_name,
            metrics={s: statuses.count(s) for s in ("passed", "warned", "skipped")},
        )
