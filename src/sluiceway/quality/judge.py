"""From the scan's numbers to check results: passed, failed, warned or skipped — with why.

A check is ``passed`` only when it ran and held. A failing ``warn`` check is ``warned`` (the
data is published, the result recorded); a failing ``error`` or ``block`` check is
``failed`` (the gate then quarantines or blocks). A check the scan could not evaluate is
``skipped`` with the reason, never reported as passed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any

from sluiceway.meta.checks import CheckResult, CheckStatus

if TYPE_CHECKING:
    from sluiceway.quality.scan import Scan
    from sluiceway.spec.checks import Check


def judge(
    scan: Scan,
    values: Sequence[Any] | None,
    *,
    table: str,
    columns: Mapping[str, str],
    lookups: Sequence[int] = (),
    committed_at: datetime | None = None,
    run_id: str | None = None,
    step: str | None = None,
    now: datetime | None = None,
) -> list[CheckResult]:
    """The result of every check of ``scan``.

    Args:
        scan: the compiled gate.
        values: the scan query's one row (None when the scan had no query).
        table: the checked table, ``layer.name``.
        columns: the checked data's columns and their SQL types (for ``schema`` checks).
        lookups: the failing-row count of each of ``scan.lookups``, in order.
        committed_at: when the checked table last committed, for ``freshness`` without a
            column (None where that does not apply: data about to be committed).
        run_id: the run, when the gate runs in one.
        step: the step.
        now: the time freshness is judged at (default: now, UTC).
    """
    now = now or datetime.now(UTC)
    found: list[CheckResult] = []

    def result(check: Check, status: CheckStatus, **fields: Any) -> CheckResult:
        return CheckResult(
            table=table,
            check_name=str(check.name),
            check_type=check.type,
            severity=check.severity,
            status=status,
            run_id=run_id,
            step=step,
            **fields,
        )

    row = list(values) if values is not None else [None] * len(scan.measures)
    for measure, value in zip(scan.measures, row, strict=True):
        check = measure.check
        if measure.kind == "failing_rows":
            failing = int(value or 0)
            status = _status(check, failing == 0)
            message = None if failing == 0 else f"{failing:,} row(s) fail {check.name}"
            found.append(
                result(check, status, observed=failing, failing_rows=failing, message=message)
            )
            continue
        held, message = _within(check, value, now)
        found.append(result(check, _status(check, held), observed=_plain(value), message=message))
    for lookup, failing in zip(scan.lookups, lookups, strict=True):
        check = lookup.check
        message = None
        if failing:
            message = f"{failing:,} row(s) have a {check.column} missing from {check.to}"  # type: ignore[union-attr]
        found.append(
            result(
                check,
                _status(check, failing == 0),
                observed=failing,
                failing_rows=failing,
                message=message,
            )
        )
    for check in scan.static:
        held, message = _schema(check, columns)
        found.append(result(check, _status(check, held), message=message))
    for check, reason in scan.deferred:
        if check.type == "freshness" and committed_at is not None:
            held, message = _within(check, committed_at, now)
            found.append(
                result(check, _status(check, held), observed=_plain(committed_at), message=message)
            )
            continue
        found.append(result(check, "skipped", message=reason))
    return found


def _status(check: Check, held: bool) -> CheckStatus:
    if held:
        return "passed"
    return "warned" if check.severity == "warn" else "failed"


def _within(check: Check, value: Any, now: datetime) -> tuple[bool, str | None]:
    """Whether a measured value meets the check's bounds, and what was wrong if not."""
    if check.type == "freshness":
        if value is None:
            return False, "no rows to measure freshness on"
        if not isinstance(value, datetime):  # a date: its day starts its age
            value = datetime.combine(value, time(), UTC)
        newest = value if value.tzinfo else value.replace(tzinfo=UTC)
        age = now - newest
        if age <= check.max_age:
            return True, None
        what = f"newest {check.column}" if check.column else "last commit"
        return False, f"{what} is {age} old; at most {check.max_age} allowed"
    low = getattr(check, "min", None)
    high = getattr(check, "max", None)
    if value is None:
        return False, f"{check.name} measured nothing (no rows)"
    if low is not None and value < low:
        return False, f"{check.name} is {_plain(value)}, below the minimum {low}"
    if high is not None and value > high:
        return False, f"{check.name} is {_plain(value)}, above the maximum {high}"
    return True, None


def _schema(check: Check, columns: Mapping[str, str]) -> tuple[bool, str | None]:
    """Expected columns present with the expected types (type names compared loosely)."""
    problems = []
    actual = {name.lower(): kind for name, kind in columns.items()}
    for name, kind in check.columns.items():  # type: ignore[union-attr]
        found = actual.get(name.lower())
        if found is None:
            problems.append(f"{name} is missing")
        elif _type(found) != _type(kind):
            problems.append(f"{name} is {found}, expected {kind}")
    return (not problems), ("; ".join(problems) or None)


_ALIASES = {
    "int8": "bigint",
    "long": "bigint",
    "int": "integer",
    "int4": "integer",
    "string": "varchar",
    "text": "varchar",
    "float8": "double",
    "bool": "boolean",
}


def _type(name: str) -> str:
    compact = name.strip().lower().replace(" ", "")
    return _ALIASES.get(compact, compact)


def _plain(value: Any) -> Any:
    """A JSON-friendly observed value."""
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "is_finite"):  # Decimal
        return float(value)
    return value
