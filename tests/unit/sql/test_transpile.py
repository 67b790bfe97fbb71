"""to_dialect: DuckDB → Spark, with refusals and rewrites found by running both engines.

Every expected Spark statement below was run on Spark 4 next to the DuckDB original over the
same rows (see test_transpile_spark.py), so these strings are known-good, not just plausible.
"""

from __future__ import annotations

import pytest

from sluiceway.sql.errors import SqlError, UntranslatableError
from sluiceway.sql.transpile import to_dialect

SCHEMAS = {
    "raw.t": {
        "x": "INTEGER",
        "g": "VARCHAR",
        "s": "VARCHAR",
        "n": "DOUBLE",
        "m": "decimal128(6, 1)",
        "d": "DATE",
        "ts": "timestamp[us]",
        "j": "VARCHAR",
        "e": "BIGINT",
    }
}


def spark(sql: str) -> str:
    return to_dialect(sql, "spark", schemas=SCHEMAS)


@pytest.mark.parametrize(
    ("duckdb", "expected"),
    [
        (
            "select x, g from raw.t qualify row_number() over (partition by g order by x) = 1",
            "SELECT x, g FROM (SELECT x, g, ROW_NUMBER() OVER (PARTITION BY g ORDER BY x NULLS "
            "LAST) AS _w FROM raw.t) AS _t WHERE _w = 1",
        ),
        (
            "select strftime(ts, '%Y-%m-%d %H:%M') as a from raw.t",
            "SELECT DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm') AS a FROM raw.t",
        ),
        # Letters outside directives are quoted: unquoted, Spark reads 'h' as a field.
        (
            "select strftime(ts, '%Hh%M, day %j') as a from raw.t",
            "SELECT DATE_FORMAT(ts, 'HH\\'h\\'mm\\', day \\'DDD') AS a FROM raw.t",
        ),
        (
            "select strptime(s, '%d/%m/%Y') as a from raw.t",
            "SELECT TO_TIMESTAMP_NTZ(s, 'd/M/yyyy') AS a FROM raw.t",
        ),
        (
            "select date_trunc('month', ts) as a from raw.t",
            "SELECT CAST(DATE_TRUNC('MONTH', ts) AS TIMESTAMP_NTZ) AS a FROM raw.t",
        ),
        (
            "select ts + interval 3 day as a, ts - interval '2 hours' as b from raw.t",
            "SELECT ts + INTERVAL '3' DAY AS a, ts - INTERVAL '2' HOURS AS b FROM raw.t",
        ),
        # DATE ± INTERVAL is a TIMESTAMP in DuckDB; DATE - DATE a number of days.
        (
            "select d + interval 1 month as a, d - d as b from raw.t",
            "SELECT CAST(d + INTERVAL '1' MONTH AS TIMESTAMP_NTZ) AS a, DATEDIFF(d, d) AS b "
            "FROM raw.t",
        ),
        # date_diff counts boundaries crossed; TIMESTAMPDIFF whole units.
        (
            "select date_diff('month', d, ts) as a from raw.t",
            "SELECT TIMESTAMPDIFF(MONTH, DATE_TRUNC('MONTH', d), DATE_TRUNC('MONTH', ts)) AS a "
            "FROM raw.t",
        ),
        (
            "select date_diff('week', d, ts) as a from raw.t",
            "SELECT TIMESTAMPDIFF(WEEK, DATE_TRUNC('DAY', d), DATE_TRUNC('DAY', ts)) AS a "
            "FROM raw.t",
        ),
        (
            "select date_sub('month', d, ts) as a from raw.t",
            "SELECT TIMESTAMPDIFF(MONTH, d, ts) AS a FROM raw.t",
        ),
        # DuckDB rounds when casting to an integer: DOUBLE half to even, DECIMAL half away.
        (
            "select n::int as a, m::bigint as b, x::bigint as c, 2.5::int as f from raw.t",
            "SELECT CAST(BROUND(n) AS INT) AS a, CAST(ROUND(m) AS BIGINT) AS b, "
            "CAST(x AS BIGINT) AS c, CAST(ROUND(2.5) AS INT) AS f FROM raw.t",
        ),
        (
            "select log(n) as a, dayname(d) as b, monthname(d) as c from raw.t",
            "SELECT LOG(10, n) AS a, DATE_FORMAT(d, 'EEEE') AS b, DATE_FORMAT(d, 'MMMM') AS c "
            "FROM raw.t",
        ),
        (
            "select dayofweek(d) as a, isodow(d) as b, extract(dow from d) as c from raw.t",
            "SELECT (DAYOFWEEK(d) - 1) AS a, (WEEKDAY(d) + 1) AS b, (DAYOFWEEK(d) - 1) AS c "
            "FROM raw.t",
        ),
        (
            "select to_timestamp(e) as a, epoch_ms(e) as b from raw.t",
            "SELECT TIMESTAMP_SECONDS(e) AS a, CAST(TIMESTAMP_MILLIS(e) AS TIMESTAMP_NTZ) AS b "
            "FROM raw.t",
        ),
        (
            "select list_distinct([1, null]) as a",
            "SELECT ARRAY_DISTINCT(FILTER(ARRAY(1, NULL), _x -> NOT _x IS NULL)) AS a",
        ),
        (
            "select substring(s, 0, 2) as a from raw.t",
            "SELECT SUBSTRING(s, 1, 2 - 1) AS a FROM raw.t",
        ),
        (
            "select * from range(3)",
            "SELECT * FROM EXPLODE(IF(0 > 3, ARRAY(), FILTER(SEQUENCE(0, 3, 1), _v -> _v < 3))) "
            "AS _range(range)",
        ),
        (
            "select r.i from generate_series(5, 1, -2) r(i)",
            "SELECT r.i FROM EXPLODE(IF(5 < 1, ARRAY(), SEQUENCE(5, 1, -2))) AS r(i)",
        ),
        ("select * from unnest([1, 2])", "SELECT * FROM EXPLODE(ARRAY(1, 2)) AS _unnest(unnest)"),
        (
            "select list(x) filter (where x is not null) as a from raw.t",
            "SELECT COLLECT_LIST(x) FILTER(WHERE NOT x IS NULL) AS a FROM raw.t",
        ),
        (
            "select string_agg(s, ',' order by x) as a from raw.t",
            "SELECT LISTAGG(s, ',') WITHIN GROUP (ORDER BY x NULLS LAST) AS a FROM raw.t",
        ),
        (
            "select regexp_replace(s, 'a', 'b', 'g') as a from raw.t",
            "SELECT REGEXP_REPLACE(s, 'a', 'b') AS a FROM raw.t",
        ),
        ('select "Odd Name" from raw."T"', "SELECT `Odd Name` FROM raw.`T`"),
        # Same values, other types: DuckDB's result schema is kept.
        (
            "select date_trunc('year', d) as a, avg(m) as b, len([1]) as c from raw.t",
            "SELECT CAST(DATE_TRUNC('YEAR', d) AS TIMESTAMP_NTZ) AS a, "
            "CAST(AVG(m) AS DOUBLE) AS b, ARRAY_SIZE(ARRAY(1)) AS c FROM raw.t",
        ),
        ("select * exclude (j) from raw.t", "SELECT * EXCEPT (j) FROM raw.t"),
    ],
)
def test_faithful_translations(duckdb: str, expected: str) -> None:
    assert spark(duckdb) == expected


@pytest.mark.parametrize(
    ("duckdb", "construct", "why"),
    [
        ("select list(x order by n) as a from raw.t", "list(x ORDER BY n)", "ORDER BY"),
        ("select array_agg(x order by n) as a from raw.t", "array_agg(x ORDER BY n)", "ORDER BY"),
        ("select list(x) as a from raw.t", "list(x)", "drops them"),
        ("select array_agg(distinct g) as a from raw.t", "array_agg(DISTINCT g)", "drops them"),
        ("select count(*) from raw.t", "count(*)", "name an unnamed output column"),
        ("select * from (select x + 1 from raw.t) s", "x + 1", "unnamed output column"),
        ("select zz::int as a from raw.t", "CAST(zz AS INT)", "type of the value is unknown"),
        ("select hash(x) as h from raw.t", "hash(x)", "64-bit"),
        ("select ts at time zone 'UTC' as a from raw.t", "ts AT TIME ZONE 'UTC'", "wall time"),
        ("select j -> '$.a' as a from raw.t", "j -> '$.a'", "JSON text"),
        (
            "select regexp_replace(s, 'a', 'b') as a from raw.t",
            "regexp_replace(s, 'a', 'b')",
            "first match",
        ),
        (
            "select regexp_matches(s, 'a', 'i') as a from raw.t",
            "regexp_matches(s, 'a', 'i')",
            "no options",
        ),
        ("select format('{}', x) as a from raw.t", "format('{}', x)", "placeholders"),
        ("select time '10:00' as a", "CAST('10:00' AS TIME)", "no TIME type"),
        ("select left(s, -1) as a from raw.t", "left(s, -1)", "negative length"),
        ("select x in (select x from raw.t) as a from raw.t", "x IN (SELECT", "NULLs"),
        ("select unnest([1]) as a, unnest([2]) as b", "unnest([2])", "multiply the rows"),
        ("select strftime(d, '%U') as a from raw.t", "strftime(d, '%U')", "%U"),
        ("select date_diff('decade', d, d) as a from raw.t", "date_diff('DECADE'", "decade"),
        ("select typeof(x) as a from raw.t", "typeof(x)", "name types"),
    ],
)
def test_constructs_that_change_meaning_are_refused(duckdb: str, construct: str, why: str) -> None:
    with pytest.raises(UntranslatableError) as caught:
        to_dialect(duckdb, "spark", schemas=SCHEMAS, path="sql/a.sql")
    err = caught.value
    assert construct in err.message
    assert why in err.message
    assert err.message.startswith("sql/a.sql:1: ")
    assert err.dialect == "spark"
    assert err.hint and err.hint.startswith("write ")


def test_the_refusal_names_the_line_of_the_construct() -> None:
    with pytest.raises(UntranslatableError) as caught:
        to_dialect("select\n  x,\n  list(x) as l\nfrom raw.t\ngroup by x", "spark")
    assert caught.value.line == 3


def test_what_sqlglot_knows_it_cannot_translate_is_refused() -> None:
    with pytest.raises(UntranslatableError, match="'count' is not supported"):
        spark("select arg_max(x, n, 2) as a from raw.t")


def test_casts_without_a_schema_are_refused_unless_rounded_explicitly() -> None:
    with pytest.raises(UntranslatableError, match="pass the input tables' schemas"):
        to_dialect("select x::int as a from raw.t", "spark")
    assert to_dialect("select round(x)::int as a from raw.t", "spark") == (
        "SELECT CAST(ROUND(x) AS INT) AS a FROM raw.t"
    )


def test_a_query_error_is_a_sql_error() -> None:
    with pytest.raises(SqlError, match="DELETE is not a query"):
        to_dialect("delete from raw.t", "spark")


def test_the_same_dialect_only_normalizes() -> None:
    assert to_dialect("select count(*) from raw.t", "duckdb") == "SELECT COUNT(*) FROM raw.t"


def test_pairs_without_rules_are_plain_sqlglot() -> None:
    assert to_dialect("select x::int from raw.t", "postgres") == "SELECT CAST(x AS INT) FROM raw.t"


def test_schemas_may_use_arrow_type_names() -> None:
    arrow = {"raw.a": {"n": "double", "i": "int64", "m": "decimal128(10, 2)", "d": "date32[day]"}}
    sql = "select n::int as a, i::int as b, m::int as c, d + interval 1 day as e from raw.a"
    assert to_dialect(sql, "spark", schemas=arrow) == (
        "SELECT CAST(BROUND(n) AS INT) AS a, CAST(i AS INT) AS b, CAST(ROUND(m) AS INT) AS c, "
        "CAST(d + INTERVAL '1' DAY AS TIMESTAMP_NTZ) AS e FROM raw.a"
    )
