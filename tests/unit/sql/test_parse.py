"""parse_query: one read-only query, or an error that points at the token."""

from __future__ import annotations

import pytest
from sqlglot import exp

from sluiceway.sql.errors import SqlError
from sluiceway.sql.parse import parse_query

MULTI_LINE = """\
select order_id,
       amount
from raw.orders
where amount = = 3
"""


def test_syntax_error_points_at_the_token_on_its_line() -> None:
    with pytest.raises(SqlError) as caught:
        parse_query(MULTI_LINE, path="sql/orders.sql")
    err = caught.value
    assert (err.line, err.column, err.length) == (4, 16, 1)
    assert str(err).splitlines() == [
        "sql/orders.sql:4:16: syntax error at '=': incomplete expression",
        "    where amount = = 3",
        "                   ^",
    ]


def test_caret_spans_a_multi_character_token() -> None:
    with pytest.raises(SqlError) as caught:
        parse_query("select a\nfrom t where abc defg hij")
    lines = str(caught.value).splitlines()
    assert lines[0] == "<query>:2:18: syntax error at 'defg': unexpected token"
    assert lines[2] == "    " + " " * 17 + "^^^^"


def test_caret_keeps_tabs_so_it_lines_up() -> None:
    with pytest.raises(SqlError) as caught:
        parse_query("\tselect\tx y z")
    assert str(caught.value).splitlines()[1:] == ["    \tselect\tx y z", "    \t      \t    ^"]


def test_unterminated_string_points_at_its_quote() -> None:
    with pytest.raises(SqlError) as caught:
        parse_query("select 1,\n  'abc")
    assert (caught.value.line, caught.value.column) == (2, 3)
    assert "unterminated string" in caught.value.message


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("insert into raw.t values (1)", "INSERT"),
        ("update raw.t set x = 1", "UPDATE"),
        ("delete from raw.t", "DELETE"),
        ("merge into raw.t using raw.s on t.x = s.x when matched then delete", "MERGE"),
        ("create table raw.t as select 1", "CREATE"),
        ("drop table raw.t", "DROP"),
        ("alter table raw.t add column y int", "ALTER"),
        ("copy raw.t to 'out.csv'", "COPY"),
        ("attach 'other.db'", "ATTACH"),
        ("detach other", "DETACH"),
        ("pragma version", "PRAGMA"),
        ("set threads = 1", "SET"),
        ("install httpfs", "INSTALL"),
        ("load httpfs", "LOAD"),
        ("call pragma_version()", "CALL"),
        ("export database 'dir'", "EXPORT"),
        ("import database 'dir'", "IMPORT"),
        ("truncate raw.t", "TRUNCATE"),
        ("describe raw.t", "DESCRIBE"),
        ("summarize raw.t", "SUMMARIZE"),
        ("checkpoint", "CHECKPOINT"),
        ("select 1 as x into raw.t", "SELECT … INTO"),
        ("with a as (select 1) insert into raw.t select * from a", "INSERT"),
    ],
)
def test_statements_that_are_not_queries_are_refused(sql: str, kind: str) -> None:
    with pytest.raises(SqlError) as caught:
        parse_query(sql, path="sql/x.sql")
    assert caught.value.message == f"{kind} is not a query: a sql step must be a single SELECT"
    assert caught.value.line == 1


def test_refusal_points_at_the_statement_keyword_after_a_with() -> None:
    with pytest.raises(SqlError) as caught:
        parse_query("with a as (select 1)\ninsert into raw.t select * from a")
    assert (caught.value.line, caught.value.column, caught.value.length) == (2, 1, 6)


def test_a_second_statement_is_refused_where_it_starts() -> None:
    with pytest.raises(SqlError) as caught:
        parse_query("select 1;\n  drop table raw.t")
    assert caught.value.message == "more than one statement: a sql step must be a single SELECT"
    assert (caught.value.line, caught.value.column) == (2, 3)


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("select 1;", exp.Select),
        ("select 1; -- done\n", exp.Select),
        ("with a as (select 1 as x) select x from a", exp.Select),
        ("select 1 union all select 2", exp.Union),
        ("(select 1) except (select 2)", exp.Except),
        ("from raw.t", exp.Select),
        ("select ';' as semicolon", exp.Select),
    ],
)
def test_queries_are_accepted(sql: str, kind: type[exp.Expr]) -> None:
    assert isinstance(parse_query(sql), kind)


def test_values_becomes_a_select_from_values() -> None:
    query = parse_query("values (1, 'a'), (2, 'b')")
    assert query.sql(dialect="duckdb") == "SELECT * FROM (VALUES (1, 'a'), (2, 'b'))"


@pytest.mark.parametrize("sql", ["", "  ;  ", "-- nothing\n"])
def test_an_empty_query_is_an_error(sql: str) -> None:
    with pytest.raises(SqlError, match="empty query"):
        parse_query(sql)


def test_located_fills_in_the_file_of_an_error_from_a_lower_layer() -> None:
    with pytest.raises(SqlError) as caught:
        parse_query("select from from")
    located = caught.value.located(path="sql/a.sql")
    assert str(located).startswith("sql/a.sql:1:")
    assert located.column == caught.value.column
