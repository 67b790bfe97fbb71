"""DuckDB table functions in FROM, rewritten so that Spark yields the same rows and names.

``range``/``generate_series`` become ``EXPLODE(SEQUENCE(…))``, but SEQUENCE includes its end
(``range`` does not), counts down when the bounds are reversed (DuckDB yields nothing) and
names its column ``col`` (DuckDB: ``range``, ``generate_series``, ``unnest``). A series of
DATEs is a series of TIMESTAMPs in DuckDB.
"""

from __future__ import annotations

from sqlglot import exp

from sluiceway.sql.translate.context import TranslationContext


def fn(name: str, *args: exp.Expr) -> exp.Anonymous:
    """A call of Spark function ``name``, written as is."""
    return exp.Anonymous(this=name, expressions=list(args))


def series_table(node: exp.Expr, ctx: TranslationContext) -> exp.Expr | None:
    """``FROM range(…)``/``generate_series(…)`` as an exploded Spark SEQUENCE."""
    series = node.this
    if not isinstance(series, exp.GenerateSeries):
        return None
    exclusive = bool(series.args.get("is_end_exclusive"))
    start, end = series.args["start"], series.args["end"]
    step = series.args.get("step") or exp.Literal.number(1)
    start_type = ctx.type_of(start)
    if start_type is not None and start_type.is_type(exp.DataType.Type.DATE):
        timestamp = exp.DataType.build("TIMESTAMP", dialect="duckdb")
        start, end = exp.cast(start, timestamp), exp.cast(end, timestamp)
    descending = isinstance(step, exp.Neg) or step.name.startswith("-")
    sequence: exp.Expr = fn("SEQUENCE", start, end, step)
    if exclusive:  # range() stops before its end; SEQUENCE includes it
        value = exp.column("_v")
        beyond = exp.GT if descending else exp.LT
        keep = exp.Lambda(
            this=beyond(this=value, expression=end.copy()), expressions=[exp.to_identifier("_v")]
        )
        sequence = fn("FILTER", sequence, keep)
    # DuckDB yields no rows when the bounds are the wrong way round; SEQUENCE would count
    # down (or fail), so an empty array is chosen explicitly.
    wrong_way = (exp.LT if descending else exp.GT)(this=start.copy(), expression=end.copy())
    rows = fn("EXPLODE", exp.If(this=wrong_way, true=exp.Array(expressions=[]), false=sequence))
    return exp.Table(this=rows, alias=_alias(node, "range" if exclusive else "generate_series"))


def unnest_table(node: exp.Expr, _: TranslationContext) -> exp.Expr | None:
    """``FROM unnest(l)`` names its column 'unnest' in DuckDB and 'col' in Spark."""
    if not isinstance(node.parent, exp.From | exp.Join):
        return None
    node.set("alias", _alias(node, "unnest"))
    return node


def _alias(node: exp.Expr, column: str) -> exp.TableAlias:
    alias = node.args.get("alias")
    name = alias.this if isinstance(alias, exp.TableAlias) and alias.this else None
    columns = alias.columns if isinstance(alias, exp.TableAlias) else []
    return exp.TableAlias(
        this=name or exp.to_identifier(f"_{column}"),
        columns=columns or [exp.to_identifier(column)],
    )
