"""Each faithful translation, run on DuckDB and on Spark over the same rows: same answer.

The rows hold the cases where the engines differ: NULLs, x.5 values (rounding), month ends,
timestamps just before midnight (boundaries), Sundays (weekday numbering), and a day of the
year below 100 (padding). One local Spark session serves the module (~10 s to start).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from sluiceway.sql.transpile import to_dialect
from support.services import require_service
from support.spark import TEST_CONF, probe_spark

duckdb = pytest.importorskip("duckdb")

pytestmark = [pytest.mark.spark, pytest.mark.slow]

COLUMNS = {
    "x": "INTEGER",
    "y": "INTEGER",
    "g": "VARCHAR",
    "s": "VARCHAR",
    "ts": "TIMESTAMP",
    "d": "DATE",
    "n": "DOUBLE",
    "e": "BIGINT",
}
SPARK_TYPES = "x INT, y INT, g STRING, s STRING, ts TIMESTAMP_NTZ, d DATE, n DOUBLE, e BIGINT"
ROWS = [
    (1, 3, "a", "abc", dt.datetime(2024, 1, 31, 23, 30), dt.date(2024, 1, 31), 2.5, 1700000000),
    (2, 1, "a", "aXc", dt.datetime(2024, 2, 1, 0, 10), dt.date(2024, 2, 3), -2.5, 1700000001),
    (None, 2, "b", None, dt.datetime(2024, 3, 10, 12), dt.date(2024, 3, 10), 1.5, None),
    (4, None, "b", "x,y,z", None, None, None, 0),
    (5, 5, None, "", dt.datetime(2023, 12, 31), dt.date(2023, 12, 31), 0.5, -1),
]
CASES = [
    "select x, y from raw.t qualify row_number() over (partition by g order by y) = 1",
    "select strftime(ts, '%Y-%m-%dT%H:%M') as a, strftime(ts, '%Hh%M') as b, "
    "strftime(d, '%j|%-j|%a %A %b %B %-d/%-m %y %I %p') as c from raw.t",
    "select strftime(ts, 'it''s %Y [%m] #{%d}') as a from raw.t",
    "select date_trunc('month', ts) as m, date_trunc('week', d) as w from raw.t",
    "select ts + interval 3 day as a, d + interval 1 month as b, d - d as c, d + 1 as e, "
    "ts::date - d as f, d - interval 1 day as h from raw.t",
    "select date_diff('month', d, d + 40) as a, date_diff('week', d, d + 3) as w, "
    "date_diff('day', ts, ts + interval 1 hour) as dd, "
    "date_diff('week', ts, ts + interval 7 day - interval 1 hour) as w2, "
    "date_diff('hour', ts, ts + interval 61 minute) as h from raw.t",
    "select date_sub('month', d, d + 40) as a, date_sub('week', d, d + 13) as b from raw.t",
    "select n::int as a, x::int as b, (n * 3)::bigint as e, 2.5::int as f, (-2.5)::int as g, "
    "round(n)::int as h, n::smallint as j, try_cast(n as int) as k from raw.t",
    "select cast(n * 3 as decimal(6, 1))::int as a from raw.t",
    "select * from range(3)",
    "select * from range(0)",
    "select r.i from range(10, 1, -3) r(i)",
    "select * from range(3, 1)",
    "select * from generate_series(3, 1)",
    "select * from generate_series(date '2024-01-01', date '2024-01-03', interval 1 day) g(day)",
    "select * from unnest([1, 2])",
    "select log(n + 3) as a, dayname(d) as b, monthname(d) as c, dayofweek(d) as e, "
    "isodow(d) as f, extract(dow from d) as h, weekday(d) as i, date_part('isodow', d) as k "
    "from raw.t",
    "select to_timestamp(e) as a, epoch_ms(e) as b, to_timestamp(1700000000.25) as c from raw.t",
    "select strptime('5/1/2024', '%d/%m/%Y') as a, "
    "strptime('Jan 05 2024 03:04 PM', '%b %d %Y %I:%M %p') as b",
    "select list_distinct([1, null, 1]) as a",
    "select substring(s, 0, 2) as a, substring(s, 0, 0) as b from raw.t",
    "select list(x) filter (where x is not null) as a from raw.t",
    "select string_agg(s, ',' order by y) as a, "
    "string_agg(s, ',' order by y desc nulls first) as b from raw.t",
    "select regexp_replace(s, '[ab]', '_', 'g') as a from raw.t",
    "select x from raw.t where x in (select y from raw.t)",
    "select g, count(*) as n from raw.t group by all",
    "select date_trunc('year', d) as a, date_trunc('month', ts) as b from raw.t",
    "select avg(x::decimal(10, 2)) as a, len([1, 2]) as b from raw.t",
]
# Result types that must match; integer widths and DECIMAL precisions differ by design.
SAME_TYPES = {
    "TIMESTAMP": "timestamp_ntz",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
    "DATE": "date",
    "DOUBLE": "double",
    "VARCHAR": "string",
    "BOOLEAN": "boolean",
}


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    require_service("Spark (pyspark and Java)", probe_spark)
    # The engine's own session: it reuses the process's JVM, and keeps working after another
    # test used Spark Connect (pyspark's builder would then only make Connect sessions).
    from sluiceway.engines.spark.session import open_session
    from sluiceway.spec.settings import SparkSettings

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    conf = {**TEST_CONF, "spark.sql.warehouse.dir": str(warehouse)}
    spark = open_session(SparkSettings(master="local[2]", conf=conf))
    spark.createDataFrame(ROWS, schema=SPARK_TYPES).createOrReplaceTempView("sluiceway_sql_t")
    con = duckdb.connect()
    con.sql("SET TimeZone = 'UTC'")
    con.sql("CREATE SCHEMA raw")
    con.sql(f"CREATE TABLE raw.t ({', '.join(f'{c} {t}' for c, t in COLUMNS.items())})")
    con.executemany(f"INSERT INTO raw.t VALUES ({', '.join('?' * len(COLUMNS))})", ROWS)
    yield con, spark
    spark.catalog.dropTempView("sluiceway_sql_t")
    con.close()


def normalized(value: Any) -> Any:
    """Python values both drivers return alike (instants in UTC, floats rounded)."""
    if isinstance(value, float | decimal.Decimal):
        return round(float(value), 6)
    if isinstance(value, list | tuple):
        return [normalized(item) for item in value]
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def on_spark_view(sql: str) -> str:
    """The translated query reading the test's temporary view instead of raw.t."""
    tree = sqlglot.parse_one(sql, read="spark")
    for table in tree.find_all(exp.Table):
        if table.name == "t" and table.db == "raw":
            table.replace(exp.to_table("sluiceway_sql_t").as_(table.alias or "t"))
    return tree.sql(dialect="spark")


@pytest.mark.parametrize("sql", CASES)
def test_spark_returns_what_duckdb_returns(engines: tuple[Any, Any], sql: str) -> None:
    con, spark = engines
    translated = to_dialect(sql, "spark", schemas={"raw.t": COLUMNS})
    relation = con.sql(sql)
    names = relation.columns
    types = [SAME_TYPES.get(str(kind)) for kind in relation.types]
    expected = sorted((normalized(tuple(row)) for row in relation.fetchall()), key=repr)
    frame = spark.sql(on_spark_view(translated))
    actual = sorted((normalized(tuple(row)) for row in frame.collect()), key=repr)
    assert frame.columns == names
    spark_types = [field.dataType.simpleString() for field in frame.schema.fields]
    assert [s if d else None for s, d in zip(spark_types, types, strict=True)] == types
    assert actual == expected, translated
