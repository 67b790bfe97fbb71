"""The ``sql`` step: render, parse, resolve tables, pin them, compute on an engine, commit.

The SELECT is rendered with Jinja (``params``, ``run``), parsed in the project's dialect
(DuckDB's), and its tables are found with sqlglot — no ``ref()``: ``raw.orders`` in the SQL
is the dependency. Every input is pinned to one Delta version before the engine starts, so
the whole step reads one consistent snapshot, recorded in ``_sw_source`` as ``table@version``.
The engine writes the result as Parquet into the lake's staging folder and the lake commits
those files as one transaction tagged with the step's batch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sluiceway.orchestrate.steps.base import StepOutcome
from sluiceway.orchestrate.steps.gated import audit_staged, checks_of
from sluiceway.orchestrate.steps.incremental import (
    WATERMARK_KEY,
    last_watermark,
    next_watermark,
    restrict,
)
from sluiceway.orchestrate.steps.incremental_versions import VERSION, encode, since
from sluiceway.orchestrate.steps.inputs import (
    known_tables,
    pin_inputs,
    resolve_views,
    source_label,
)
from sluiceway.orchestrate.steps.lineage import record_sql_lineage
from sluiceway.spec.materializations import View

if TYPE_CHECKING:
    from sqlglot import exp

    from sluiceway.engines.base import Input
    from sluiceway.lake.commit import WriteContext
    from sluiceway.orchestrate.context import StepContext
    from sluiceway.spec.steps import SqlStep


@dataclass(frozen=True)
class Analysed:
    """A step's SELECT, rendered and checked: the text, its tree and the tables it reads."""

    sql: str
    query: exp.Query
    tables: list[str]


class SqlStepExecutor:
    """Runs ``type: sql`` steps."""

    def analyse(self, step: SqlStep, ctx: StepContext) -> Analysed:
        """Render, parse and check the SELECT; errors point at the file (or pipeline.step)."""
        from sluiceway.sql.deps import check_tables
        from sluiceway.sql.guard import check_functions
        from sluiceway.sql.parse import parse_query
        from sluiceway.sql.render import render_sql

        if step.sql is not None:
            path = step.sql
            text = (ctx.project.root / step.sql).read_text(encoding="utf-8")
        else:
            assert step.query is not None
            path = f"{ctx.pipeline.name}.{step.name}"
            text = step.query
        rendered = render_sql(
            text, params=ctx.params(step), run=ctx.run.template_values(), path=path
        )
        query = parse_query(rendered, path=path)
        check_functions(query, rendered, path=path)
        tables = check_tables(query, known_tables(ctx), path=path, source=rendered)
        return Analysed(rendered, query, tables)

    def dependencies(self, step: SqlStep, ctx: StepContext) -> list[str]:
        """The tables the SELECT reads; an unknown or unqualified name is an error."""
        return self.analyse(step, ctx).tables

    def execute(self, step: SqlStep, ctx: StepContext, batch: WriteContext) -> StepOutcome:
        """Compute the SELECT on the step's engine and commit it as batch ``batch``."""
        analysed = self.analyse(step, ctx)
        query, tables = resolve_views(analysed.query, analysed.tables, ctx)
        rendered = analysed.sql if query is analysed.query else query.sql("duckdb")
        if isinstance(step.materialization, View):
            return self._define_view(
                step,
                ctx,
                batch,
                analysed,
                replace(analysed, sql=rendered, query=query, tables=tables),
            )
        inputs = pin_inputs(tables, ctx)
        batch = replace(batch, source=source_label(inputs))
        engine_name = ctx.engine_name(step)
        engine = ctx.engines.get(engine_name)
        if step.incremental is not None:
            inputs, batch = self._incremental(step, ctx, inputs, batch)
        lake = ctx.lake
        root = getattr(engine, "staging_root", None)
        with lake.staging(step.table, batch, root=root) as output:
            staged = engine.stage(rendered, inputs, output)
            checks = checks_of(step, ctx)
            if checks:
                staged = audit_staged(
                    step, ctx, batch, staged, engine=engine, output=output, checks=checks
                )
            commit = lake.commit_staged(step.table, staged, step.materialization, batch)
        record_sql_lineage(ctx, step.table, query, inputs, commit)
        metrics: dict[str, Any] = {"staged_files": len(staged.files)}
        if step.incremental is not None:
            metrics["watermark"] = batch.metadata.get(WATERMARK_KEY)
        return StepOutcome(
            table=step.table,
            commit=commit,
            inputs={name: item.version for name, item in inputs.items()},
            engine=engine_name,
            metrics=metrics,
        )

    def _define_view(
        self,
        step: SqlStep,
        ctx: StepContext,
        batch: WriteContext,
        written: Analysed,
        resolved: Analysed,
    ) -> StepOutcome:
        """Store the view's SQL in the catalog, once the engine has bound it to its tables.

        The catalog keeps the SQL as written (other views by name), so a view always reads
        what its upstream tables and views are when it is read.
        """
        from sluiceway.events import emit
        from sluiceway.events.types import ViewDefined

        inputs = pin_inputs(resolved.tables, ctx)
        engine_name = ctx.engine_name(step)
        columns = ctx.engines.get(engine_name).query(resolved.sql, inputs, limit=0).schema
        ctx.lake.create_view(step.table, written.sql, batch, schema=columns)
        record_sql_lineage(ctx, step.table, resolved.query, inputs, None)
        if ctx.store is not None:
            emit(
                ctx.store,
                ViewDefined(
                    run_id=ctx.run.id,
                    pipeline=ctx.pipeline.name,
                    step=step.name,
                    table=step.table,
                    reads=sorted(inputs),
                ),
            )
        return StepOutcome(
            table=step.table,
            commit=None,
            inputs={name: item.version for name, item in inputs.items()},
            engine=engine_name,
            metrics={"view": True},
        )

    def _incremental(
        self,
        step: SqlStep,
        ctx: StepContext,
        inputs: dict[str, Input],
        batch: WriteContext,
    ) -> tuple[dict[str, Input], WriteContext]:
        """Inputs read from above the last watermark; the batch carrying the next one."""
        assert step.incremental is not None
        column = step.incremental.by
        if column == VERSION:
            return self._since_versions(ctx, step, inputs, batch)
        previous = last_watermark(ctx.lake.table(step.table), batch.app_id, column)
        restricted = restrict(inputs, column, previous)
        engine = ctx.engines.get(ctx.engine_name(step))
        metadata = next_watermark(engine, restricted, column, previous)
        return restricted, replace(batch, metadata={**batch.metadata, **metadata})

    def _since_versions(
        self, ctx: StepContext, step: SqlStep, inputs: dict[str, Input], batch: WriteContext
    ) -> tuple[dict[str, Input], WriteContext]:
        """Inputs reduced to the files added since the versions the last run recorded."""
        import json

        previous = last_watermark(ctx.lake.table(step.table), batch.app_id, VERSION) or {}
        seen = previous.get("versions", {}) if isinstance(previous, dict) else {}
        reduced = {
            name: since(item, ctx.lake.table(name), seen.get(name)) for name, item in inputs.items()
        }
        mark = {
            WATERMARK_KEY: json.dumps(
                {"column": VERSION, "type": "versions", "value": encode(inputs)}
            )
        }
        return reduced, replace(batch, metadata={**batch.metadata, **mark})
