"""Write-audit-publish: a step's checks run on its staged files before anything is committed.

The engine has written the result as Parquet into the lake's staging folder, invisible to
readers. The gate reads those files through the step's own engine (DuckDB or Spark, the same
SQL), scans them once (:mod:`sluiceway.quality.scan`) and judges every check
(:mod:`sluiceway.quality.judge`), then:

* ``warn`` — a failure is recorded, the data is published as it is;
* ``error`` — the failing rows are moved out: one row-level pass reads the failing rows, with
  the names of the checks they failed, for ``<table>__quarantine`` (committed with the step's
  batch, so a re-run does not repeat it), and the engine stages the passing rows anew;
* ``block`` — nothing is published: the step fails and the table stays at its version.

``mode: shadow`` records results and acts on none of them. Every result is stored (``sluiceway
checks``) with a bounded sample of failing rows, and emits ``check.passed``, ``check.failed``
or ``check.skipped``.

Queries: one aggregate scan, plus one anti-join per ``relationships`` check. Only when a
check failed does a row-level pass run: one query for the failing rows (the quarantine's
rows, and the samples), and, when ``error`` rows were found, the engine staging the rest.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from sluiceway.errors import SluicewayError
from sluiceway.quality.judge import judge
from sluiceway.quality.scan import compile_scan, failing_rows_predicate, rows_of
from sluiceway.sql.types import duckdb_columns

if TYPE_CHECKING:
    from datetime import datetime

    import pyarrow as pa

    from sluiceway.engines.base import Engine, Input, Output
    from sluiceway.lake.commit import WriteContext
    from sluiceway.lake.service import Lake
    from sluiceway.lake.staged import Staged
    from sluiceway.meta.checks import CheckResult
    from sluiceway.meta.store import MetaStore
    from sluiceway.spec.checks import Check

SAMPLE_ROWS = 5
"""Failing rows kept with a result, for whoever has to fix them."""
FAILED_CHECKS = "_sw_failed_checks"
"""Quarantine column naming the checks a row failed."""
STAGED = "sw_gate.staged"
"""The name the checks' SQL reads the staged rows under."""


class GateBlocked(SluicewayError):
    """A ``block`` check failed: nothing was published, the table keeps its version."""


@dataclass(frozen=True)
class Where:
    """Where the gate runs: the lake (lookups, quarantine), the store (results), the run."""

    lake: Lake
    store: MetaStore | None = None
    run_id: str | None = None
    pipeline: str | None = None
    step: str | None = None


@dataclass(frozen=True)
class Audit:
    """What the gate decided: the files to publish, the results, the rows quarantined."""

    staged: Staged
    results: list[CheckResult]
    quarantined: int = 0
    queries: int = 0
    """Queries the gate ran on the engine (the scan, lookups, the row-level pass)."""
    rows: pa.Table | None = None
    """The quarantined rows, when the caller writes them itself (``write_quarantine=False``)."""


@dataclass
class Session:
    """The engine and the inputs every query of one audit reads, and how many it ran."""

    engine: Engine
    inputs: dict[str, Input]
    where: Where
    queries: int = 0

    def rows(self, query: exp.Query, limit: int | None = None) -> pa.Table:
        """Run ``query`` (DuckDB SQL; the engine translates it) over the inputs."""
        self.queries += 1
        return self.engine.query(query.sql("duckdb"), self.inputs, limit=limit)

    def judge(
        self,
        source: exp.Expr,
        checks: list[Check],
        table: str,
        columns: Mapping[str, str],
        committed_at: datetime | None = None,
    ) -> list[CheckResult]:
        """Every check's result: the scan, one anti-join per ``relationships`` check."""
        from sluiceway.engines.inputs import pin

        # Only the scanned input is registered yet (lookups are added below).
        never_null = frozenset().union(*(i.never_null or () for i in self.inputs.values()))
        scan = compile_scan(checks, source, where_path=f"{table}.checks", never_null=never_null)
        for lookup in scan.lookups:
            self.inputs.setdefault(lookup.table, pin(self.where.lake.table(lookup.table)))
        values = None
        if scan.query is not None:
            values = list(self.rows(scan.query).to_pylist()[0].values())
        lookups = [int(self.rows(lookup.query).column(0)[0].as_py()) for lookup in scan.lookups]
        return judge(
            scan,
            values,
            table=table,
            columns=columns,
            lookups=lookups,
            committed_at=committed_at,
            run_id=self.where.run_id,
            step=self.where.step,
        )


def audit(
    engine: Engine,
    staged: Staged,
    checks: list[Check],
    *,
    table: str,
    where: Where,
    batch: WriteContext,
    output: Output,
    write_quarantine: bool = True,
) -> Audit:
    """Run ``checks`` on ``staged``; quarantine ``error`` rows; raise on a ``block`` failure.

    Args:
        engine: the step's engine, which reads the staged files and stages passing rows.
        staged: the step's result, not yet committed.
        checks: the step's and the table's checks.
        table: the table the result is for, ``layer.name``.
        where: the lake, the metadata store and the run the step belongs to.
        batch: the step's batch: quarantined rows commit under it.
        output: how the step's result was staged (folder, layout, file settings).
        write_quarantine: append the failing rows to ``<table>__quarantine`` here; without
            it they are returned in :attr:`Audit.rows`, for an ingest step to record them
            with their file in its own quarantine.

    Raises:
        GateBlocked: a ``block`` check (in ``enforce`` mode) failed; results are recorded
            and events emitted first.
    """
    from sluiceway.engines.staging import staged_input

    source = exp.table_("staged", db="sw_gate", quoted=True)
    session = Session(engine, {STAGED: staged_input(staged, STAGED)}, where)
    results = session.judge(source, checks, table, duckdb_columns(staged.schema))
    failed = [r for r in results if r.status in ("failed", "warned") and r.failing_rows]
    acting = {c.name: c for c in checks if c.mode == "enforce"}
    routed = [
        acting[r.check_name]
        for r in failed
        if r.status == "failed" and _severity(acting, r) == "error"
    ]
    bad_rows = failing_rows(session, source, checks, failed, routed) if failed else None
    if bad_rows is not None:
        results = [with_sample(r, bad_rows) for r in results]
    record_results(where, results)
    blocked = [r for r in results if r.status == "failed" and _severity(acting, r) == "block"]
    if blocked:
        names = ", ".join(f"{r.check_name} ({r.message or r.observed})" for r in blocked)
        raise GateBlocked(
            f"{table}: block check(s) failed, nothing was published: {names}",
            hint=f"see `sluiceway checks {table}`; fix the data or the check, then run again",
        )
    if not routed or bad_rows is None:
        return Audit(staged, results, queries=session.queries)
    quarantine = _routed_rows(bad_rows, {str(c.name) for c in routed})
    if quarantine.num_rows == 0:
        return Audit(staged, results, queries=session.queries)
    kept = _restage(session, source, routed, staged, output)
    if not write_quarantine:
        return Audit(kept, results, quarantine.num_rows, session.queries, quarantine)
    where.lake.write(f"{table}__quarantine", quarantine, "append", batch)
    return Audit(kept, results, quarantine.num_rows, queries=session.queries)


def _severity(acting: Mapping[str | None, Check], result: CheckResult) -> str | None:
    check = acting.get(result.check_name)
    return None if check is None else check.severity


def failing_rows(
    session: Session,
    source: exp.Expr,
    checks: list[Check],
    failed: list[CheckResult],
    routed: list[Check],
) -> pa.Table:
    """One row-level pass: the rows failing any failed check, with the checks they fail.

    Every failing row of a check whose rows are quarantined is read; the other checks only
    need a sample, so the pass is bounded by them unless rows are routed.
    """
    by_name = {c.name: c for c in checks}
    predicates = [
        (name, predicate)
        for name in dict.fromkeys(r.check_name for r in failed)
        if (predicate := failing_rows_predicate(by_name[name], source)) is not None
    ]
    flags = [
        exp.If(
            this=exp.func("coalesce", exp.paren(predicate), exp.false()),
            true=exp.Literal.string(name),
        )
        for name, predicate in predicates
    ]
    listed = exp.func("concat_ws", exp.Literal.string(","), *flags, dialect="duckdb")
    names = listed.as_(FAILED_CHECKS, quoted=True)
    fails = exp.or_(*[exp.paren(p) for _, p in predicates])
    query = exp.select(exp.Star(), names).from_(rows_of(source)).where(fails)
    limit = None if routed else SAMPLE_ROWS * len(predicates)
    return session.rows(query, limit=limit)


def with_sample(result: CheckResult, bad_rows: pa.Table) -> CheckResult:
    """``result`` with up to :data:`SAMPLE_ROWS` of its failing rows."""
    import json

    if not result.failing_rows:
        return result
    sample = []
    for row in bad_rows.to_pylist():
        if result.check_name in str(row.get(FAILED_CHECKS) or "").split(","):
            row.pop(FAILED_CHECKS, None)
            sample.append(row)
            if len(sample) == SAMPLE_ROWS:
                break
    return dataclasses.replace(result, sample=json.loads(json.dumps(sample, default=str)))


def _routed_rows(bad_rows: pa.Table, routed: set[str]) -> pa.Table:
    """The rows failing a check whose rows go to quarantine, with the names of all it fails."""
    import pyarrow as pa

    names = bad_rows.column(FAILED_CHECKS).to_pylist()
    keep = [bool(routed & set(str(n or "").split(","))) for n in names]
    return bad_rows.filter(pa.array(keep, pa.bool_()))


def _restage(
    session: Session, source: exp.Expr, routed: list[Check], staged: Staged, output: Output
) -> Staged:
    """The passing rows, staged anew by the engine beside the first files, which go."""
    predicates = [p for c in routed if (p := failing_rows_predicate(c, source)) is not None]
    fails = exp.or_(*[exp.paren(p) for p in predicates])
    passing = exp.not_(exp.func("coalesce", exp.paren(fails), exp.false()))
    query = exp.select(exp.Star()).from_(rows_of(source)).where(passing)
    folder = Path(staged.directory) / f"__sw_gate_{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    again = dataclasses.replace(output, directory=str(folder), constants=())
    session.queries += 1
    kept = session.engine.stage(query.sql("duckdb"), session.inputs, again)
    for old in staged.files:
        (Path(staged.directory) / old.path).unlink(missing_ok=True)
    return kept


def record_results(where: Where, results: list[CheckResult]) -> None:
    """Store the results and emit one event each."""
    from sluiceway.events import emit
    from sluiceway.events.types import CheckFailed, CheckPassed, CheckSkipped
    from sluiceway.meta.checks import CheckRepo

    if where.store is None:
        return
    CheckRepo(where.store).record(results)
    for r in results:
        common: dict[str, Any] = {
            "run_id": r.run_id,
            "pipeline": where.pipeline,
            "step": r.step,
            "table": r.table,
            "check": r.check_name,
            "check_type": r.check_type,
            "severity": r.severity,
            "observed": r.observed,
            "message": r.message,
        }
        if r.status == "skipped":
            emit(where.store, CheckSkipped(**common))
        elif r.status == "passed":
            emit(where.store, CheckPassed(**common))
        else:
            emit(where.store, CheckFailed(**common, failing_rows=r.failing_rows))
