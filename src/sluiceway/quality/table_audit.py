"""Checks on a committed table: a ``check`` step, or ``sluiceway checks --run``.

The same checks as a gate, read from the table's current version instead of staged files,
with the same one scan. Nothing is moved: there is no write to keep rows out of, so an
``error`` failure fails the audit like a ``block`` one (after recording every result), and
a ``warn`` failure is recorded. ``freshness`` without a column is judged here — the age of
the table's last commit — since a table that nobody writes is exactly what it is for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from sluiceway.errors import SluicewayError
from sluiceway.quality.gate import Session, Where, failing_rows, record_results, with_sample
from sluiceway.sql.types import duckdb_columns

if TYPE_CHECKING:
    from sluiceway.engines.base import Engine
    from sluiceway.meta.checks import CheckResult
    from sluiceway.spec.checks import Check


class AuditFailed(SluicewayError):
    """An ``error`` or ``block`` check failed on a committed table."""


def audit_table(engine: Engine, table: str, checks: list[Check], where: Where) -> list[CheckResult]:
    """Run ``checks`` on ``table``'s latest version; record the results.

    Raises:
        AuditFailed: an enforced ``error`` or ``block`` check failed (results recorded).
    """
    from sluiceway.engines.inputs import pin
    from sluiceway.lake.history import history

    handle = where.lake.table(table)
    item = pin(handle)
    committed_at = history(handle.delta(item.version), limit=1)[0].time
    layer, _, name = table.partition(".")
    source = exp.table_(name, db=layer, quoted=True)
    session = Session(engine, {table: item}, where)
    results = session.judge(source, checks, table, duckdb_columns(item.schema), committed_at)
    failed = [r for r in results if r.status in ("failed", "warned") and r.failing_rows]
    if failed:
        bad_rows = failing_rows(session, source, checks, failed, routed=[])
        results = [with_sample(r, bad_rows) for r in results]
    record_results(where, results)
    enforced = {c.name for c in checks if c.mode == "enforce"}
    broken = [r for r in results if r.status == "failed" and r.check_name in enforced]
    if broken:
        names = ", ".join(f"{r.check_name} ({r.message or r.observed})" for r in broken)
        raise AuditFailed(
            f"{table}: check(s) failed: {names}",
            hint=f"see `sluiceway checks {table} --failing --sample`",
        )
    return results
