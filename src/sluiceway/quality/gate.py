"""Write-audit-publish: a step's checks run on its staged files before anything is committed.

The engine has written the result as Parquet into the lake's staging folder, invisible to
readers. The gate scans those files once (:mod:`sluiceway.quality.scan`) and judges every
check (:mod:`sluiceway.quality.judge`), then:

* ``warn`` — a failure is recorded, the data is published as it is;
* ``error`` — the failing rows are moved out: one row-level pass writes the passing rows as
  the new staged files and the failing ones, with the names of the checks they failed, to
  ``<table>__quarantine`` (committed with the step's batch, so a re-run does not repeat it);
* ``block`` — nothing is published: the step fails and the table stays at its version.

``mode: shadow`` records results and acts on none of them. Every result is stored (``sluiceway
checks``) with a bounded sample of failing rows, and emits ``check.passed``, ``check.failed``
or ``check.skipped``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from sluiceway.errors import SluicewayError
from sluiceway.quality.judge import judge
from sluiceway.quality.scan import compile_scan, failing_rows_predicate

if TYPE_CHECKING:
    from sluiceway.lake.commit import WriteContext
    from sluiceway.lake.staged import Staged
    from sluiceway.meta.checks import CheckResult
    from sluiceway.orchestrate.context import StepContext
    from sluiceway.spec.checks import Check

SAMPLE_ROWS = 5
"""Failing rows kept with a result, for whoever has to fix them."""
FAILED_CHECKS = "_sw_failed_checks"
"""Quarantine column naming the checks a row failed."""


class GateBlocked(SluicewayError):
    """A ``block`` check failed: nothing was published, the table keeps its version."""


@dataclass(frozen=True)
class Audit:
    """What the gate decided: the files to publish, the results, the rows quarantined."""

    staged: Staged
    results: list[CheckResult]
    quarantined: int = 0


def audit(
    con: Any,  # a DuckDB connection (the engine's)
    staged: Staged,
    checks: list[Check],
    *,
    table: str,
    ctx: StepContext,
    batch: WriteContext,
    step: str,
) -> Audit:
    """Run ``checks`` on ``staged``; quarantine ``error`` rows; raise on a ``block`` failure.

    Raises:
        GateBlocked: a ``block`` check (in ``enforce`` mode) failed; results are recorded
            and events emitted first.
    """
    source = _files(staged)
    columns = _columns(con, source)
    scan = compile_scan(checks, source, where_path=f"{table}.checks")
    values = con.execute(scan.query.sql("duckdb")).fetchone() if scan.query is not None else None
    results = judge(scan, values, table=table, columns=columns, run_id=ctx.run.id, step=step)
    results = [_with_sample(con, source, r, checks) for r in results]
    acting = {c.name: c for c in checks if c.mode == "enforce"}
    blocked = [r for r in results if r.status == "failed" and _severity(acting, r) == "block"]
    routed = [
        acting[r.check_name]
        for r in results
        if r.status == "failed" and _severity(acting, r) == "error" and r.failing_rows
    ]
    _record(ctx, results)
    if blocked:
        names = ", ".join(f"{r.check_name} ({r.message or r.observed})" for r in blocked)
        raise GateBlocked(
            f"{table}: block check(s) failed, nothing was published: {names}",
            hint=f"see `sluiceway checks {table}`; fix the data or the check, then run again",
        )
    if not routed:
        return Audit(staged, results)
    kept, quarantined = _route(con, staged, source, routed, table=table, ctx=ctx, batch=batch)
    return Audit(kept, results, quarantined)


def _files(staged: Staged) -> exp.Expr:
    """The staged files as one relation (partition values from their folders)."""
    paths = [str(Path(staged.directory) / f.path) for f in staged.files]
    scan = exp.Anonymous(
        this="read_parquet",
        expressions=[
            exp.Array(expressions=[exp.Literal.string(p) for p in paths]),
            exp.EQ(this=exp.var("hive_partitioning"), expression=exp.Boolean(this=True)),
        ],
    )
    return exp.Subquery(this=exp.select("*").from_(scan), alias=exp.TableAlias(this="staged"))


def _columns(con: Any, source: exp.Expr) -> dict[str, str]:
    described = con.execute(exp.Describe(this=exp.select("*").from_(source)).sql("duckdb"))
    return {str(row[0]): str(row[1]) for row in described.fetchall()}


def _severity(acting: dict[str | None, Check], result: CheckResult) -> str | None:
    check = acting.get(result.check_name)
    return None if check is None else check.severity


def _with_sample(
    con: Any, source: exp.Expr, result: CheckResult, checks: list[Check]
) -> CheckResult:
    """``result`` with up to :data:`SAMPLE_ROWS` of its failing rows."""
    if not result.failing_rows:
        return result
    check = next(c for c in checks if c.name == result.check_name)
    predicate = failing_rows_predicate(check)
    if predicate is None:
        return result
    query = exp.select("*").from_(source).where(predicate).limit(SAMPLE_ROWS)
    cursor = con.execute(query.sql("duckdb"))
    names = [d[0] for d in cursor.description or []]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return replace(result, sample=json.loads(json.dumps(rows, default=str)))


def _route(
    con: Any,
    staged: Staged,
    source: exp.Expr,
    routed: list[Check],
    *,
    table: str,
    ctx: StepContext,
    batch: WriteContext,
) -> tuple[Staged, int]:
    """One row-level pass: passing rows re-staged, failing rows to quarantine."""
    import pyarrow as pa

    from sluiceway.engines.duckdb.write import write_parquet
    from sluiceway.engines.staging import list_staged
    from sluiceway.lake.staged import Output

    predicates = [(c, failing_rows_predicate(c)) for c in routed]
    fails = exp.or_(*[exp.paren(p) for _, p in predicates if p is not None])
    names = exp.func(
        "list_filter",
        exp.Array(
            expressions=[
                exp.If(
                    this=exp.func("coalesce", exp.paren(p), exp.false()),
                    true=exp.Literal.string(str(c.name)),
                    false=exp.null(),
                )
                for c, p in predicates
                if p is not None
            ]
        ),
        exp.Lambda(
            this=exp.column("x").is_(exp.null()).not_(), expressions=[exp.to_identifier("x")]
        ),
    )
    bad = exp.select(
        "*", exp.func("array_to_string", names, exp.Literal.string(",")).as_(FAILED_CHECKS)
    )
    bad_rows: pa.Table = con.sql(bad.from_(source).where(fails).sql("duckdb")).to_arrow_table()
    folder = Path(staged.directory) / f"__sw_gate_{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    output = Output(directory=str(folder), partition_by=staged.partition_by)
    good = (
        exp.select("*")
        .from_(source)
        .where(exp.not_(exp.func("coalesce", exp.paren(fails), exp.false())))
    )
    write_parquet(con, _partition_last(good, staged), output)
    for old in staged.files:
        (Path(staged.directory) / old.path).unlink(missing_ok=True)
    kept = list_staged(output, staged.schema)
    ctx.lake.write(f"{table}__quarantine", bad_rows, "append", batch)
    return kept, bad_rows.num_rows


def _partition_last(select: exp.Select, staged: Staged) -> exp.Select:
    if not staged.partition_by:
        return select
    names = [f.name for f in staged.schema if f.name not in staged.partition_by]
    columns = [exp.column(n, quoted=True) for n in [*names, *staged.partition_by]]
    return select.select(*columns, append=False)


def _record(ctx: StepContext, results: list[CheckResult]) -> None:
    """Store the results and emit one event each."""
    from sluiceway.events import emit
    from sluiceway.events.types import CheckFailed, CheckPassed, CheckSkipped
    from sluiceway.meta.checks import CheckRepo

    if ctx.store is None:
        return
    CheckRepo(ctx.store).record(results)
    for r in results:
        common: dict[str, Any] = {
            "run_id": r.run_id,
            "pipeline": ctx.pipeline.name,
            "step": r.step,
            "table": r.table,
            "check": r.check_name,
            "check_type": r.check_type,
            "severity": r.severity,
            "observed": r.observed,
            "message": r.message,
        }
        if r.status == "skipped":
            emit(ctx.store, CheckSkipped(**common))
        elif r.status == "passed":
            emit(ctx.store, CheckPassed(**common))
        else:
            emit(ctx.store, CheckFailed(**common, failing_rows=r.failing_rows))
