"""Every check of a gate compiled into one aggregate query: one scan of the data, however many.

Each check becomes one or two aggregate columns of a single ``SELECT … FROM data``:

* row-level checks (``not_null``, ``accepted_values``, ``range``, ``regex``, ``expression``)
  count their failing rows: ``count(*) FILTER (WHERE <fails> AND <where>)``;
* ``unique`` counts the extra copies of its key: rows with a complete key minus the distinct
  keys among them;
* ``row_count`` and ``aggregate`` measure a value (``count(*)``, the user's aggregate) that is
  compared with the bounds;
* ``freshness`` on a column measures its newest value.

``schema`` needs no scan: the data's columns are compared with the expected ones.
``relationships`` reads another table, so it is one more query of its own
(:attr:`Scan.lookups`: the rows whose value the other table lacks, an anti-join both engines
plan well). ``freshness`` without a column measures the table's last commit, not its rows:
it is returned in :attr:`Scan.deferred` with the reason, for a standalone audit to judge or
the gate to record as ``skipped`` — never as passed.

The checked rows are read under the alias :data:`ROWS` (``FROM <source> AS __sw_rows``), so a
check's predicate can name them unambiguously inside a subquery.

User SQL (``where``, ``expression``, ``aggregate``) is parsed with sqlglot and goes through
the same function guard as a step's SQL; everything is built as expressions, never by
formatting strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import sqlglot
from sqlglot import exp

from sluiceway.sql.errors import SqlError
from sluiceway.sql.guard import check_functions

if TYPE_CHECKING:
    from sluiceway.spec.checks import Check

Kind = Literal["failing_rows", "value"]
ROWS = "__sw_rows"
"""The alias the checked rows are read under."""
REFERENCED = "__sw_ref"
"""The alias of the table a ``relationships`` check looks values up in."""


@dataclass(frozen=True)
class Measure:
    """One aggregate column of the scan and the check it serves."""

    check: Check
    alias: str
    kind: Kind


@dataclass(frozen=True)
class Lookup:
    """A check that needs a query of its own (it reads another table): failing rows counted."""

    check: Check
    query: exp.Select
    table: str
    """The other table the query reads, ``layer.name``."""


@dataclass(frozen=True)
class Scan:
    """The compiled gate: one query, what each column means, and what it cannot evaluate."""

    query: exp.Select | None
    measures: tuple[Measure, ...]
    static: tuple[Check, ...] = ()
    deferred: tuple[tuple[Check, str], ...] = field(default_factory=tuple)
    lookups: tuple[Lookup, ...] = ()


def compile_scan(
    checks: list[Check],
    source: exp.Expr,
    *,
    where_path: str = "check",
    never_null: frozenset[str] = frozenset(),
) -> Scan:
    """One aggregate ``SELECT`` over ``source`` (a table or subquery) for ``checks``.

    Args:
        never_null: columns known to hold no null (the files' statistics): a multi-column
            ``unique`` over them needs no null guard, and counts as a hand-written scan.

    Raises:
        SqlError: a check's SQL does not parse or calls a refused function.
    """
    columns: list[exp.Expr] = []
    measures: list[Measure] = []
    static: list[Check] = []
    deferred: list[tuple[Check, str]] = []
    lookups: list[Lookup] = []
    for index, check in enumerate(checks):
        path = f"{where_path}.{check.name}"
        if check.type == "relationships":
            fails = failing_rows_predicate(check)
            assert fails is not None
            count = exp.select(exp.Count(this=exp.Star()).as_("failing", quoted=True))
            lookups.append(Lookup(check, count.from_(rows_of(source)).where(fails), check.to))
            continue
        scope = _predicate(check.where, path) if check.where else None
        built = _measure(check, scope, path, never_null)
        if built is None:
            if check.type == "schema":
                static.append(check)
            else:
                deferred.append((check, _why_deferred(check)))
            continue
        alias = f"__check_{index}"
        kind, expression = built
        columns.append(expression.as_(alias, quoted=True))
        measures.append(Measure(check, alias, kind))
    query = exp.select(*columns).from_(rows_of(source)) if columns else None
    return Scan(query, tuple(measures), tuple(static), tuple(deferred), tuple(lookups))


def rows_of(source: exp.Expr) -> exp.Expr:
    """``source`` aliased as :data:`ROWS`, for a FROM clause."""
    return _aliased(source, ROWS)


def _aliased(source: exp.Expr, name: str) -> exp.Expr:
    alias = exp.TableAlias(this=exp.to_identifier(name))
    if isinstance(source, exp.Identifier):
        return exp.Table(this=source.copy(), alias=alias)
    aliased = source.copy()
    aliased.set("alias", alias)
    return aliased


def failing_rows_predicate(check: Check, source: exp.Expr | None = None) -> exp.Expr | None:
    """The predicate true for a row the check fails (None for checks not about rows).

    Used by the row-level pass that routes an ``error`` check's failing rows to quarantine
    and samples them. A ``unique`` check fails every row whose key another row of
    ``source`` also has (which copy is right is not the gate's call), so it needs
    ``source``; without it, it has no row predicate.
    """
    path = f"check.{check.name}"
    fails = _fails(check, path)
    if fails is None and check.type == "unique" and source is not None:
        return _duplicated(check.columns, check.where, source, path)
    if fails is None:
        return None
    if check.where:
        return exp.and_(exp.paren(_predicate(check.where, path)), exp.paren(fails))
    return fails


def _duplicated(columns: list[str], where: str | None, source: exp.Expr, path: str) -> exp.Expr:
    """The row is in scope and another row of ``source`` in scope has its key.

    A correlated count rather than ``key IN (…)``: as a value (the quarantine's flags), an
    IN over a subquery differs between engines where NULLs are involved.
    """
    keys = [_col(c) for c in columns]
    complete = exp.and_(*[k.is_(exp.null()).not_() for k in keys])
    scope = exp.and_(exp.paren(_predicate(where, path)), complete) if where else complete
    same_key = exp.and_(
        *[exp.EQ(this=_col(c), expression=exp.column(c, table=ROWS, quoted=True)) for c in columns]
    )
    copies = (
        exp.select(exp.Count(this=exp.Star()))
        .from_(_aliased(source, "__sw_same"))
        .where(exp.and_(scope.copy(), same_key))
    )
    return exp.and_(scope, exp.GT(this=exp.Subquery(this=copies), expression=exp.Literal.number(1)))


def _measure(
    check: Check, scope: exp.Expr | None, path: str, never_null: frozenset[str] = frozenset()
) -> tuple[Kind, exp.Expr] | None:
    fails = _fails(check, path)
    if fails is not None:
        return "failing_rows", _count(exp.and_(scope, exp.paren(fails)) if scope else fails)
    if check.type == "unique" and len(check.columns) == 1:
        # count(x) and count(DISTINCT x) both skip nulls: no filter needed.
        key = _col(check.columns[0])
        count: exp.Expr = exp.Count(this=key)
        distinct: exp.Expr = exp.Count(this=exp.Distinct(expressions=[key.copy()]))
        if scope is not None:
            count = exp.Filter(this=count, expression=exp.Where(this=scope))
            distinct = exp.Filter(this=distinct, expression=exp.Where(this=scope.copy()))
        return "failing_rows", exp.Sub(this=count, expression=distinct)
    if check.type == "unique":
        keys = [_col(c) for c in check.columns]
        row = exp.Tuple(expressions=keys)
        # A row with a null in its key is not a duplicate: guard only the columns that may
        # hold one (the statistics say which cannot).
        guards = [k.is_(exp.null()).not_() for c, k in zip(check.columns, keys, strict=True)
                  if c not in never_null]  # fmt: skip
        scoped = (
            exp.and_(scope, *guards)
            if scope is not None
            else (exp.and_(*guards) if guards else None)
        )
        rows: exp.Expr = exp.Count(this=exp.Distinct(expressions=[row]))
        if scoped is None:
            return "failing_rows", exp.Sub(this=exp.Count(this=exp.Star()), expression=rows)
        rows = exp.Filter(this=rows, expression=exp.Where(this=scoped))
        return "failing_rows", exp.Sub(this=_count(scoped), expression=rows)
    if check.type == "row_count":
        return "value", _count(scope) if scope else exp.Count(this=exp.Star())
    if check.type == "aggregate":
        value = _expression(check.sql, path)
        if scope is not None:
            value = _filtered(value, scope)
        return "value", value
    if check.type == "freshness" and check.column:
        newest: exp.Expr = exp.Max(this=_col(check.column))
        if scope is not None:
            newest = exp.Filter(this=newest, expression=exp.Where(this=scope))
        return "value", newest
    return None


def _fails(check: Check, path: str) -> exp.Expr | None:
    """The row-level failure condition of ``check`` (nulls pass unless ``not_null``).

    A comparison with a NULL is NULL, which every use of these predicates treats as "does
    not fail" (``FILTER``, ``WHERE``, ``coalesce(…, false)``): no ``IS NOT NULL`` guard is
    needed, and the scan stays as lean as one written by hand.
    """
    if check.type == "not_null":
        return exp.or_(*[_col(c).is_(exp.null()) for c in check.columns])
    if check.type == "accepted_values":
        allowed = exp.In(this=_col(check.column), expressions=[_literal(v) for v in check.values])
        return exp.not_(allowed)
    if check.type == "range":
        value = _col(check.column)
        outside: list[exp.Expr] = []
        if check.min is not None:
            low = _literal(check.min)
            outside.append(exp.LT(this=value, expression=low) if check.min_inclusive
                           else exp.LTE(this=value, expression=low))  # fmt: skip
        if check.max is not None:
            high = _literal(check.max)
            outside.append(exp.GT(this=value, expression=high) if check.max_inclusive
                           else exp.GTE(this=value, expression=high))  # fmt: skip
        return exp.paren(exp.or_(*outside)) if len(outside) > 1 else outside[0]
    if check.type == "regex":
        matches = exp.func(
            "regexp_full_match", _col(check.column), exp.Literal.string(check.pattern)
        )
        return exp.not_(matches)
    if check.type == "expression":
        holds = exp.func("coalesce", exp.paren(_expression(check.expr, path)), exp.false())
        return exp.not_(holds)
    if check.type == "relationships":
        value = exp.column(check.column, table=ROWS, quoted=True)
        layer, _, name = check.to.partition(".")
        found = (
            exp.select(exp.Literal.number(1))
            .from_(exp.table_(name, db=layer, quoted=True, alias=REFERENCED))
            .where(
                exp.EQ(
                    this=exp.column(check.field, table=REFERENCED, quoted=True), expression=value
                )
            )
        )
        missing = exp.not_(exp.Exists(this=found))
        return exp.and_(value.is_(exp.null()).not_(), missing)
    return None


def _why_deferred(check: Check) -> str:
    if check.type == "freshness":
        return "measures the table's last commit, not its rows"
    return f"{check.type} checks are not evaluated by a scan"


def _count(condition: exp.Expr | None) -> exp.Expr:
    count = exp.Count(this=exp.Star())
    if condition is None:
        return count
    return exp.Filter(this=count, expression=exp.Where(this=condition))


def _filtered(value: exp.Expr, scope: exp.Expr) -> exp.Expr:
    """``value`` with ``FILTER (WHERE scope)`` on each aggregate inside it."""

    def add(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.AggFunc) and not isinstance(node.parent, exp.Filter):
            return exp.Filter(this=node.copy(), expression=exp.Where(this=scope.copy()))
        return node

    return value.transform(add)


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _literal(value: Any) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def _predicate(sql: str, path: str) -> exp.Expr:
    return _expression(sql, path)


def _expression(sql: str, path: str) -> exp.Expr:
    """A guarded SQL expression (a ``where``, an ``expression``, an ``aggregate``)."""
    try:
        parsed = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise SqlError(f"{path}: cannot parse {sql!r}: {exc.errors[0]['description']}") from None
    if isinstance(parsed, exp.Query) or parsed.find(exp.Subquery, exp.Select) is not None:
        raise SqlError(f"{path}: {sql!r} must be an expression over the checked rows, not a query")
    check_functions(exp.select(parsed.copy()), sql, path=path)
    return parsed
