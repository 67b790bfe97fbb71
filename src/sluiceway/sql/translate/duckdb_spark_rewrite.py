"""DuckDB constructs rewritten so that Spark computes the same values.

sqlglot's DuckDB → Spark translation runs but returns other values for each construct here
(found by running both engines on the same rows). Each rewrite builds the Spark form
explicitly; each was checked against DuckDB on edge rows (NULLs, ties, month ends, negative
numbers, x.5 values).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from sluiceway.sql.translate.context import TranslationContext
from sluiceway.sql.translate.duckdb_spark_tables import fn, series_table, unnest_table
from sluiceway.sql.translate.time_formats import UnsupportedDirective, to_spark_pattern

Rewrite = Callable[[exp.Expr, TranslationContext], exp.Expr | None]

# DuckDB's date_diff counts unit boundaries crossed; Spark's TIMESTAMPDIFF counts whole units.
# Truncating both ends to the unit first makes them agree, except for weeks, which DuckDB
# counts as whole 7-day spans between the days.
_DIFF_TRUNC = {
    "MICROSECOND": "MICROSECOND",
    "MILLISECOND": "MILLISECOND",
    "SECOND": "SECOND",
    "MINUTE": "MINUTE",
    "HOUR": "HOUR",
    "DAY": "DAY",
    "WEEK": "DAY",
    "MONTH": "MONTH",
    "QUARTER": "QUARTER",
    "YEAR": "YEAR",
}
_DOW = frozenset({"DOW", "DAYOFWEEK", "WEEKDAY"})
_ISODOW = frozenset({"ISODOW", "DAYOFWEEK_ISO", "DAYOFWEEKISO"})
_ROUNDED = (exp.Round, exp.Floor, exp.Ceil, exp.Trunc)
_WALL_CLOCK = (
    exp.DataType.Type.DATE,
    exp.DataType.Type.DATETIME,
    exp.DataType.Type.TIMESTAMP,
    exp.DataType.Type.TIMESTAMPNTZ,
)


def rewrite_duckdb_spark(query: exp.Query, ctx: TranslationContext) -> exp.Query:
    """``query`` with every construct below replaced by its faithful Spark form."""
    for node in reversed(list(query.walk(bfs=False))):  # children before their parents
        rewrite = _REWRITES.get(type(node))
        new = rewrite(node, ctx) if rewrite is not None else None
        if new is not None and new is not node:
            if node is query:
                return new  # type: ignore[return-value]  # rewrites never replace the root
            node.replace(new)
    return query


def _date_diff(node: exp.Expr, ctx: TranslationContext, *, boundaries: bool = True) -> exp.Expr:
    unit = node.text("unit").upper() or "DAY"
    if unit.endswith("S"):
        unit = unit[:-1]
    trunc = _DIFF_TRUNC.get(unit)
    if trunc is None:
        raise ctx.refuse(node, f"Spark has no '{unit.lower()}' difference", "date_diff('year', …)")
    start, end = node.expression, node.this
    if boundaries:
        start = fn("DATE_TRUNC", exp.Literal.string(trunc), start)
        end = fn("DATE_TRUNC", exp.Literal.string(trunc), end)
    return fn("TIMESTAMPDIFF", exp.var(unit), start, end)


def _dow(value: exp.Expr) -> exp.Expr:
    """DuckDB numbers weekdays 0 (Sunday) to 6; Spark's dayofweek 1 (Sunday) to 7."""
    return exp.Paren(this=exp.Sub(this=fn("DAYOFWEEK", value), expression=exp.Literal.number(1)))


def _isodow(value: exp.Expr) -> exp.Expr:
    """ISO weekdays 1 (Monday) to 7; Spark's weekday is 0 (Monday) to 6."""
    return exp.Paren(this=exp.Add(this=fn("WEEKDAY", value), expression=exp.Literal.number(1)))


def _extract(node: exp.Expr, _: TranslationContext) -> exp.Expr | None:
    part = node.text("this").upper()
    if part in _DOW:
        return _dow(node.expression)
    return _isodow(node.expression) if part in _ISODOW else None


def _anonymous(node: exp.Expr, ctx: TranslationContext) -> exp.Expr | None:
    name, args = str(node.this).upper(), node.expressions
    if name == "WEEKDAY" and len(args) == 1:
        return _dow(args[0])
    if name in ("DATE_PART", "DATEPART") and len(args) == 2 and args[0].is_string:
        part = args[0].name.upper()
        if part in _DOW:
            return _dow(args[1])
        return _isodow(args[1]) if part in _ISODOW else None
    if name == "DATE_SUB" and len(args) == 3 and args[0].is_string:
        # DuckDB's date_sub counts whole units, exactly like Spark's TIMESTAMPDIFF.
        diff = exp.DateDiff(this=args[2], expression=args[1], unit=exp.var(args[0].name))
        return _date_diff(diff, ctx, boundaries=False)
    return None


def _day_of_week(node: exp.Expr, _: TranslationContext) -> exp.Expr:
    return _dow(node.this)


def _day_of_week_iso(node: exp.Expr, _: TranslationContext) -> exp.Expr:
    return _isodow(node.this)


def _dayname(node: exp.Expr, _: TranslationContext) -> exp.Expr:
    """Spark's dayname/monthname abbreviate ('Sat'); DuckDB's spell out ('Saturday')."""
    pattern = "EEEE" if isinstance(node, exp.Dayname) else "MMMM"
    return fn("DATE_FORMAT", node.this, exp.Literal.string(pattern))


def _log(node: exp.Expr, _: TranslationContext) -> exp.Expr | None:
    """DuckDB's one-argument log is base 10; Spark's is the natural logarithm."""
    if node.args.get("expression") is not None:
        return None
    return exp.Log(this=exp.Literal.number(10), expression=node.this)


def _unix_to_time(node: exp.Expr, _: TranslationContext) -> exp.Expr | None:
    """to_timestamp(seconds) keeps fractions in DuckDB (Spark's from_unixtime drops them);
    epoch_ms(ms) is a naive TIMESTAMP in DuckDB and an instant in Spark (the Spark engine's
    session time zone is UTC, so the cast keeps the wall clock)."""
    scale = node.args.get("scale")
    if any(node.args.get(arg) is not None for arg in ("zone", "format")):
        return None
    if scale is None:
        return fn("TIMESTAMP_SECONDS", node.this)
    if isinstance(scale, exp.Literal) and scale.name == "3":
        naive = exp.DataType.build("TIMESTAMP", dialect="duckdb")
        return exp.Cast(this=fn("TIMESTAMP_MILLIS", node.this), to=naive)
    return None


def _time_format(node: exp.Expr, ctx: TranslationContext) -> exp.Expr:
    fmt = node.args.get("format")
    parsing = isinstance(node, exp.StrToTime)
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        raise ctx.refuse(node, "the format is not a literal", "the format as a string literal")
    try:
        pattern = to_spark_pattern(fmt.name, parsing=parsing)
    except UnsupportedDirective as exc:
        raise ctx.refuse(
            node,
            f"Spark has no pattern that renders {exc} the way DuckDB does",
            "the part with date_part(…) and string functions",
        ) from None
    # strptime returns a naive TIMESTAMP, which is Spark's TIMESTAMP_NTZ.
    name = "TO_TIMESTAMP_NTZ" if parsing else "DATE_FORMAT"
    return fn(name, node.this, exp.Literal.string(pattern))


def _array_distinct(node: exp.Expr, _: TranslationContext) -> exp.Expr:
    """DuckDB's list_distinct drops NULLs; Spark's array_distinct keeps one."""
    keep = exp.Lambda(
        this=exp.column("_x").is_(exp.null()).not_(), expressions=[exp.to_identifier("_x")]
    )
    node.set("this", fn("FILTER", node.this, keep))
    return node


def _substring(node: exp.Expr, _: TranslationContext) -> exp.Expr | None:
    """Position 0 is before the first character in DuckDB; Spark reads it as position 1."""
    start, length = node.args.get("start"), node.args.get("length")
    if not (isinstance(start, exp.Literal) and start.name == "0" and length is not None):
        return None
    node.set("start", exp.Literal.number(1))
    node.set("length", exp.Sub(this=length, expression=exp.Literal.number(1)))
    return node


def _cast(node: exp.Expr, ctx: TranslationContext) -> exp.Expr | None:
    """A fractional value cast to an integer: DuckDB rounds (DOUBLE half to even, DECIMAL half
    away from zero), Spark truncates."""
    assert isinstance(node, exp.Cast)
    if not node.to.is_type(*exp.DataType.INTEGER_TYPES):
        return None
    value = node.this
    if isinstance(value, _ROUNDED):
        return None
    kind = ctx.type_of(value)
    if kind is None:
        raise ctx.refuse(
            node,
            "the type of the value is unknown, and DuckDB rounds fractional values where "
            "Spark truncates",
            f"CAST(round({value.sql(ctx.source)}) AS {node.to.sql(ctx.source)}) (or trunc), "
            "or pass the input tables' schemas",
        )
    if kind.is_type(*exp.DataType.FLOAT_TYPES):
        node.set("this", fn("BROUND", value))
    elif kind.is_type(exp.DataType.Type.DECIMAL, exp.DataType.Type.BIGDECIMAL):
        node.set("this", exp.Round(this=value))
    return node


def _date_arithmetic(node: exp.Expr, ctx: TranslationContext) -> exp.Expr | None:
    """DATE ± INTERVAL is a TIMESTAMP in DuckDB and a DATE in Spark; DATE - DATE is a number
    of days in DuckDB and an interval in Spark."""
    left, right = node.this, node.expression
    left_type, right_type = ctx.type_of(left), ctx.type_of(right)
    is_date = exp.DataType.Type.DATE
    if left_type is not None and left_type.is_type(is_date):
        if isinstance(right, exp.Interval):
            return exp.Cast(this=node.copy(), to=exp.DataType.build("TIMESTAMP", dialect="duckdb"))
        if isinstance(node, exp.Sub) and right_type is not None and right_type.is_type(is_date):
            return fn("DATEDIFF", left, right)
    return None


def _typed_results(node: exp.Expr, ctx: TranslationContext) -> exp.Expr | None:
    """Same values, different types: the engine's result schema must match DuckDB's.

    ``date_trunc`` of a DATE or TIMESTAMP is a wall-clock TIMESTAMP in DuckDB and an instant
    (Spark's TIMESTAMP) in Spark;
    ``avg`` of a DECIMAL is a DOUBLE in DuckDB and a wider DECIMAL in Spark; ``len`` of a
    list is Spark's ``array_size`` (its ``length`` takes strings only).
    """
    kind = ctx.type_of(node.this)
    if kind is None:
        return None
    if isinstance(node, exp.TimestampTrunc) and kind.is_type(*_WALL_CLOCK):
        return exp.Cast(this=node.copy(), to=exp.DataType.build("TIMESTAMP", dialect="duckdb"))
    if isinstance(node, exp.Avg) and kind.is_type(exp.DataType.Type.DECIMAL):
        return exp.Cast(this=node.copy(), to=exp.DataType.build("DOUBLE"))
    if isinstance(node, exp.Length) and kind.is_type(*exp.DataType.ARRAY_TYPES):
        return fn("ARRAY_SIZE", node.this)
    return None


def _full_match(node: exp.Expr, _: TranslationContext) -> exp.Expr:
    """DuckDB's regexp_full_match: Spark's RLIKE finds a match anywhere, so anchor it."""
    pattern = node.expression
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        anchored: exp.Expr = exp.Literal.string(f"^(?:{pattern.this})$")
    else:
        anchored = exp.Concat(
            expressions=[exp.Literal.string("^(?:"), pattern.copy(), exp.Literal.string(")$")]
        )
    return exp.RegexpLike(this=node.this.copy(), expression=anchored)


def _count_distinct_row(node: exp.Expr, _: TranslationContext) -> exp.Expr | None:
    """``count(DISTINCT (a, b))`` counts rows of the tuple, NULL parts included; Spark's
    ``count(DISTINCT a, b)`` skips a row with any NULL part, ``STRUCT(a, b)`` does not."""
    distinct = node.this
    if not isinstance(distinct, exp.Distinct) or len(distinct.expressions) != 1:
        return None
    row = distinct.expressions[0]
    if not isinstance(row, exp.Tuple):
        return None
    struct = exp.Struct(expressions=[e.copy() for e in row.expressions])
    return exp.Count(this=exp.Distinct(expressions=[struct]), big_int=node.args.get("big_int"))


_REWRITES: dict[type[exp.Expr], Rewrite] = {
    exp.RegexpFullMatch: _full_match,
    exp.Count: _count_distinct_row,
    exp.DateDiff: _date_diff,
    exp.Extract: _extract,
    exp.Anonymous: _anonymous,
    exp.DayOfWeek: _day_of_week,
    exp.DayOfWeekIso: _day_of_week_iso,
    exp.Dayname: _dayname,
    exp.Monthname: _dayname,
    exp.Log: _log,
    exp.UnixToTime: _unix_to_time,
    exp.TimeToStr: _time_format,
    exp.StrToTime: _time_format,
    exp.ArrayDistinct: _array_distinct,
    exp.Substring: _substring,
    exp.Cast: _cast,
    exp.TryCast: _cast,
    exp.Add: _date_arithmetic,
    exp.Sub: _date_arithmetic,
    exp.TimestampTrunc: _typed_results,
    exp.Avg: _typed_results,
    exp.Length: _typed_results,
    exp.Table: series_table,
    exp.Unnest: unnest_table,
}
