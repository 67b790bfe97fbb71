"""Views resolved at read time: each view a query names is replaced by its own SELECT.

A view stores no rows; the catalog keeps its SQL. Inlining it as a subquery — under the
name the query gives it, so ``v.col`` and ``open_orders.col`` still resolve — makes the query
read only stored tables, which every engine can pin, scan and transpile like any other
input. A view over a view is inlined in turn; a cycle is an error naming it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from sluiceway.sql.deps import base_tables, table_name
from sluiceway.sql.errors import SqlError
from sluiceway.sql.parse import parse_query

ViewLookup = Callable[[str], str | None]
"""``layer.name`` → the view's SELECT, or None when the name is not a view."""


def inline_views(query: exp.Query, lookup: ViewLookup) -> tuple[exp.Query, list[str]]:
    """``query`` with every view it reads replaced by the view's SELECT (recursively).

    Returns:
        The rewritten query (a copy; ``query`` is untouched) and the views inlined, in the
        order they were met.

    Raises:
        SqlError: a view's SQL does not parse, or views refer to each other in a cycle.
    """
    inlined: list[str] = []
    return _inline(query.copy(), lookup, (), inlined), inlined


def _inline(
    query: exp.Query, lookup: ViewLookup, stack: tuple[str, ...], inlined: list[str]
) -> exp.Query:
    for table in base_tables(query):
        name = table_name(table)
        sql = lookup(name)
        if sql is None:
            continue
        if name in stack:
            cycle = " → ".join([*stack[stack.index(name) :], name])
            raise SqlError(
                f"views refer to each other in a cycle: {cycle}",
                hint="make one of them read stored tables only",
            )
        body = _inline(parse_query(sql, path=f"view {name}"), lookup, (*stack, name), inlined)
        if name not in inlined:
            inlined.append(name)
        alias = table.alias or table.name
        subquery = exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier(alias)))
        table.replace(subquery)
    return query
