"""DuckDB constructs that sqlglot translates to Spark SQL that runs but returns other results.

Each rule here was found by running the DuckDB query and its sqlglot translation on Spark over
the same small table and comparing (see docs/sql.md, "Running on Spark"). Constructs that
simply fail on Spark are left alone: Spark's own error says what is wrong. Constructs with a
faithful rewrite are in :mod:`duckdb_spark_rewrite` instead.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, build_scope

from sluiceway.sql.translate.context import TranslationContext, shown

Check = Callable[[exp.Expr, TranslationContext], None]


def refuse_duckdb_spark(query: exp.Query, ctx: TranslationContext) -> None:
    """Raise :class:`UntranslatableError` for the first construct that would change meaning."""
    for node in query.walk(bfs=False):
        check = _CHECKS.get(type(node))
        if check is not None:
            check(node, ctx)
        if isinstance(node, exp.Select):
            _one_unnest_per_select(node, ctx)
    _named_outputs(query, ctx)


def _array_agg(node: exp.Expr, ctx: TranslationContext) -> None:
    inner = node.this
    if isinstance(inner, exp.Order):
        raise ctx.refuse(
            node,
            "Spark's collect_list does not keep an ORDER BY",
            "list_sort(list(x) FILTER (WHERE x IS NOT NULL)) to order by the value itself, "
            "or string_agg(x, ',' ORDER BY y), which Spark keeps in order",
        )
    value = inner.expressions[0] if isinstance(inner, exp.Distinct) else inner
    if not _filters_nulls(node, value):
        raise ctx.refuse(
            node,
            "DuckDB keeps NULL elements and Spark's collect_list drops them",
            f"{shown(node, ctx.source, ctx.text)} FILTER "
            f"(WHERE {shown(value, ctx.source, ctx.text)} IS NOT NULL)",
        )


def _filters_nulls(aggregate: exp.Expr, value: exp.Expr) -> bool:
    """Whether the aggregate has ``FILTER (WHERE value IS NOT NULL [AND …])``."""
    parent = aggregate.parent
    if not isinstance(parent, exp.Filter):
        return False
    wanted = value.sql()
    condition = parent.expression.this if isinstance(parent.expression, exp.Where) else None
    for part in condition.flatten() if isinstance(condition, exp.And) else [condition]:
        if (
            isinstance(part, exp.Not)
            and isinstance(part.this, exp.Is)
            and isinstance(part.this.expression, exp.Null)
            and part.this.this.sql() == wanted
        ):
            return True
    return False


def _anonymous(node: exp.Expr, ctx: TranslationContext) -> None:
    name = str(node.this).lower()
    if name == "hash":
        raise ctx.refuse(
            node,
            "DuckDB's hash() is a 64-bit hash and Spark's is 32-bit Murmur3",
            "md5(x) or sha256(x), which agree on both engines",
        )
    if name == "timezone":
        _at_time_zone(node, ctx)


def _at_time_zone(node: exp.Expr, ctx: TranslationContext) -> None:
    raise ctx.refuse(
        node,
        "DuckDB reads a naive timestamp as wall time in the zone, while Spark's "
        "from_utc_timestamp converts in the other direction",
        "timestamps in UTC, converting time zones where the data is ingested",
    )


def _json_extract(node: exp.Expr, ctx: TranslationContext) -> None:
    raise ctx.refuse(
        node,
        "DuckDB returns JSON text (a string keeps its quotes, null is 'null') and Spark's "
        "get_json_object returns the bare value",
        "j ->> '$.a' or json_extract_string(j, '$.a'), which agree",
    )


def _regexp_replace(node: exp.Expr, ctx: TranslationContext) -> None:
    options = node.args.get("modifiers")
    if options is None:
        raise ctx.refuse(
            node,
            "DuckDB replaces the first match only, Spark replaces every match",
            "regexp_replace(s, pattern, replacement, 'g') to replace every match",
        )
    if not (isinstance(options, exp.Literal) and options.name == "g"):
        _regexp_options(node, ctx)


def _regexp_flags(node: exp.Expr, ctx: TranslationContext) -> None:
    if node.args.get("flag") is not None or node.args.get("parameters") is not None:
        _regexp_options(node, ctx)


def _regexp_options(node: exp.Expr, ctx: TranslationContext) -> None:
    raise ctx.refuse(
        node,
        "Spark's regexp functions take no options and would ignore them",
        "the option inside the pattern, e.g. '(?i)abc' for a case-insensitive match",
    )


def _format(node: exp.Expr, ctx: TranslationContext) -> None:
    raise ctx.refuse(
        node,
        "DuckDB's format() uses {} placeholders and Spark's format_string uses %s",
        "printf('%s-%s', a, b), which both engines read alike",
    )


def _typeof(node: exp.Expr, ctx: TranslationContext) -> None:
    raise ctx.refuse(node, "the engines name types differently", "the type check in a test")


def _data_type(node: exp.Expr, ctx: TranslationContext) -> None:
    if node.is_type(exp.DataType.Type.TIME, exp.DataType.Type.TIMETZ):
        target = node.parent if isinstance(node.parent, exp.Cast) else node
        raise ctx.refuse(
            target,
            "Spark has no TIME type and would make it a timestamp of today",
            "the time as a string 'HH:MM:SS', or a full timestamp",
        )


def _left_right(node: exp.Expr, ctx: TranslationContext) -> None:
    if isinstance(node.expression, exp.Neg):
        raise ctx.refuse(
            node,
            "with a negative length DuckDB drops characters from the other end and Spark "
            "returns ''",
            "left(s, length(s) - n) or right(s, length(s) - n)",
        )


def _in_subquery(node: exp.Expr, ctx: TranslationContext) -> None:
    if node.args.get("query") is None:
        return
    owner = node.find_ancestor(exp.Where, exp.Having, exp.Join, exp.Qualify, exp.Select)
    if isinstance(owner, exp.Select):
        raise ctx.refuse(
            node,
            "as a value, DuckDB returns NULL when the subquery has NULLs and no match, and "
            "Spark returns false",
            "EXISTS (SELECT 1 FROM … WHERE y = x), or keep IN (…) in WHERE, HAVING or ON",
        )


def _one_unnest_per_select(select: exp.Select, ctx: TranslationContext) -> None:
    found = [
        node
        for projection in select.expressions
        for node in projection.find_all(exp.Explode)
        if node.find_ancestor(exp.Select) is select
    ]
    if len(found) > 1:
        raise ctx.refuse(
            found[1],
            "DuckDB unnests lists side by side and Spark would multiply the rows",
            "one unnest per SELECT (zip the lists first with list_zip)",
        )


def _named_outputs(query: exp.Query, ctx: TranslationContext) -> None:
    """Every output column computed by an expression needs a name: the engines invent
    different ones (``count(*)`` is ``count_star()`` in DuckDB, ``count(1)`` in Spark)."""
    scope = build_scope(query.unnest() if isinstance(query, exp.Subquery) else query)
    if scope is not None:
        _check_scope_names(scope, ctx)


def _check_scope_names(scope: Scope, ctx: TranslationContext) -> None:
    if scope.is_set_operation or isinstance(scope.expression, exp.SetOperation):
        if scope.set_operation_scopes:
            _check_scope_names(scope.set_operation_scopes[0], ctx)  # the left branch names
        return
    expression = scope.expression
    if not isinstance(expression, exp.Select):
        return
    for projection in expression.expressions:
        if projection.is_star:
            table = projection.table if isinstance(projection, exp.Column) else ""
            for name, (_, source) in scope.selected_sources.items():
                if isinstance(source, Scope) and table in ("", name):
                    _check_scope_names(source, ctx)
            continue
        if isinstance(projection, exp.Alias | exp.Column):
            continue
        raise ctx.refuse(
            projection,
            "DuckDB and Spark name an unnamed output column differently",
            f"{shown(projection, ctx.source, ctx.text)} AS some_name",
        )


_CHECKS: dict[type[exp.Expr], Check] = {
    exp.ArrayAgg: _array_agg,
    exp.Anonymous: _anonymous,
    exp.AtTimeZone: _at_time_zone,
    exp.JSONExtract: _json_extract,
    exp.RegexpReplace: _regexp_replace,
    exp.RegexpLike: _regexp_flags,
    exp.RegexpExtract: _regexp_flags,
    exp.Format: _format,
    exp.Typeof: _typeof,
    exp.DataType: _data_type,
    exp.Left: _left_right,
    exp.Right: _left_right,
    exp.In: _in_subquery,
}
