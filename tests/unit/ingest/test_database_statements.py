"""The SELECTs a database source runs: bound values, quoted names, a wrapped user query."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from sluiceway.ingest.database.statements import (
    Relation,
    describe,
    max_statement,
    rows_statement,
    wrap_query,
)
from sluiceway.ingest.database.types import column_type

DIALECT = postgresql.dialect()


def _table(schema: str | None = "public") -> Relation:
    table = sa.Table(
        "orders",
        sa.MetaData(),
        sa.Column("id", sa.BigInteger),
        sa.Column("Updated At", sa.DateTime(timezone=True)),
        schema=schema,
    )
    return Relation(
        selectable=table,
        label="public.orders",
        columns=tuple(column_type(c.name, c.type) for c in table.columns),
    )


def _sql(statement: sa.Select) -> tuple[str, dict]:
    compiled = statement.compile(dialect=DIALECT)
    return " ".join(str(compiled).split()), compiled.params


def test_a_full_read_selects_the_reflected_columns() -> None:
    sql, params = _sql(rows_statement(_table(), None))
    assert sql == 'SELECT public.orders.id, public.orders."Updated At" FROM public.orders'
    assert params == {}


def test_an_incremental_read_binds_its_bounds_and_orders_by_the_cursor() -> None:
    sql, params = _sql(rows_statement(_table(), "id", after=41, upto=99))
    assert sql.endswith(
        "FROM public.orders WHERE public.orders.id > %(after)s::BIGINT "
        "AND public.orders.id <= %(upto)s::BIGINT ORDER BY public.orders.id"
    )
    assert params == {"after": 41, "upto": 99}


def test_a_first_incremental_read_has_only_the_upper_bound() -> None:
    sql, params = _sql(rows_statement(_table(), "id", upto=99))
    assert "id >" not in sql
    assert params == {"upto": 99}


def test_the_highest_cursor_value_past_the_watermark() -> None:
    sql, params = _sql(max_statement(_table(), "id", after=41))
    assert sql == (
        "SELECT max(public.orders.id) AS max_1 FROM public.orders "
        "WHERE public.orders.id > %(after)s::BIGINT"
    )
    assert params == {"after": 41}


def test_a_value_is_never_formatted_into_the_sql() -> None:
    hostile = "1; DROP TABLE orders; --"
    sql, params = _sql(rows_statement(_table(), "id", after=hostile))
    assert hostile not in sql
    assert params["after"] == hostile


def test_a_user_query_is_wrapped_as_a_subquery_for_the_cursor() -> None:
    query = "SELECT id, '12:30' AS t, x::text FROM orders WHERE s LIKE 'a%' -- trailing;\n;"
    # No cast on the bounds: the server types them from the column (a guessed ::INTEGER
    # would overflow on a bigint cursor).
    sql, params = _sql(rows_statement(wrap_query(query, "id"), "id", after=2**40, upto=2**41))
    assert sql == (
        "SELECT * FROM ( SELECT id, '12:30' AS t, x::text FROM orders WHERE s LIKE 'a%%' "
        "-- trailing; ) AS _sw_query WHERE _sw_query.id > %(after)s "
        "AND _sw_query.id <= %(upto)s ORDER BY _sw_query.id"
    )
    assert params == {"after": 2**40, "upto": 2**41}


def test_the_label_shows_the_read_with_its_values_and_the_query_as_written() -> None:
    table = describe(_table(), "id", DIALECT, after=41, upto=99)
    assert table == (
        "SELECT * FROM public.orders WHERE public.orders.id > 41 "
        "AND public.orders.id <= 99 ORDER BY public.orders.id"
    )
    query = describe(wrap_query("SELECT * FROM t WHERE s LIKE 'a%'", None), None, DIALECT)
    assert query == "SELECT * FROM ( SELECT * FROM t WHERE s LIKE 'a%' ) AS _sw_query"


def test_a_timestamp_watermark_is_shown_as_a_literal() -> None:
    relation = _table()
    at = datetime(2024, 5, 1, 3, tzinfo=UTC)
    label = describe(relation, "Updated At", DIALECT, after=at)
    assert "> '2024-05-01 03:00:00+00:00'" in label


def test_a_table_without_schema_is_unqualified() -> None:
    sql, _ = _sql(rows_statement(_table(schema=None), None))
    assert sql.endswith("FROM orders")
