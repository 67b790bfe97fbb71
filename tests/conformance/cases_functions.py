"""Scalar features: CASE, dates and times, strings, decimals, structs and lists."""

from __future__ import annotations

from conformance.cases import Case, Gap
from sluiceway.engines.errors import NotSupportedError, QueryError

EXPRESSIONS = [
    Case(
        "case-when",
        "SELECT order_id, CASE WHEN amount >= 50 THEN 'big' WHEN amount >= 10 THEN 'mid' "
        "ELSE 'small' END AS size, CASE status WHEN 'paid' THEN 1 WHEN 'open' THEN 0 END AS flag "
        "FROM raw.orders",
    ),
    Case(
        "integer-division",
        "SELECT order_id, order_id / 4 AS ratio, order_id // 4 AS quotient, order_id % 4 AS rest "
        "FROM raw.orders",
    ),
]

DATES = [
    Case(
        "date-trunc",
        "SELECT order_id, date_trunc('month', ordered_at) AS month, "
        "date_trunc('week', ordered_at) AS week, date_trunc('hour', ordered_at) AS hour "
        "FROM raw.orders",
    ),
    Case(
        "date-trunc-date",
        "SELECT id, date_trunc('year', signup_date) AS year FROM raw.customers",
    ),
    Case(
        "interval-add-timestamp",
        "SELECT order_id, ordered_at + INTERVAL 1 DAY AS next_day, "
        "ordered_at - INTERVAL 90 MINUTE AS earlier, ordered_at + INTERVAL 1 MONTH AS next_month "
        "FROM raw.orders",
    ),
    Case(
        "interval-add-date",
        "SELECT id, signup_date + INTERVAL 1 MONTH AS renewal FROM raw.customers",
    ),
    Case(
        "date-diff-days",
        "SELECT id, date_diff('day', signup_date, DATE '2025-01-01') AS days FROM raw.customers",
    ),
    Case(
        "date-diff-months",
        "SELECT id, date_diff('month', signup_date, DATE '2025-01-01') AS months "
        "FROM raw.customers",
    ),
    Case(
        "extract",
        "SELECT order_id, extract(year FROM ordered_at) AS y, extract(month FROM ordered_at) AS m, "
        "extract(hour FROM ordered_at) AS h FROM raw.orders",
    ),
    Case(
        "dayofweek",
        "SELECT order_id, dayofweek(ordered_at) AS dow FROM raw.orders",
    ),
    Case(
        "strftime",
        "SELECT order_id, strftime(ordered_at, '%Y-%m-%d %H:%M') AS text FROM raw.orders",
    ),
    Case(
        "timestamp-wall-clock",
        "SELECT user_id, CAST(seen_at AS DATE) AS day, seen_at + INTERVAL 2 HOUR AS later "
        "FROM raw.events",
    ),
]

STRINGS = [
    Case(
        "string-case-trim",
        "SELECT id, lower(email) AS lo, upper(name) AS up, trim(name) AS trimmed, "
        "length(name) AS len FROM raw.customers",
    ),
    Case(
        "string-substring",
        "SELECT id, substring(email, 1, 3) AS head, substring(email, 5) AS tail FROM raw.customers",
    ),
    Case(
        "string-concat",
        "SELECT id, concat(name, '/', country) AS joined, name || '-' || country AS piped "
        "FROM raw.customers",
    ),
    Case(
        "string-regexp-replace",
        "SELECT id, regexp_replace(email, '[aeiou]', '*') AS masked FROM raw.customers",
        gaps={
            "spark": Gap(
                "refused: without the 'g' flag DuckDB replaces the first match only, and "
                "Spark has no first-match-only replace",
                NotSupportedError,
            )
        },
    ),
    Case(
        "string-regexp-replace-global",
        "SELECT id, regexp_replace(email, '[aeiou]', '*', 'g') AS masked FROM raw.customers",
    ),
    Case(
        "string-regexp-full-match",
        "SELECT id, regexp_full_match(email, '[a-z]+@example\\.(com|org)') AS plain, "
        "regexp_full_match(email, 'example') AS partial FROM raw.customers",
    ),
    Case(
        "string-split",
        "SELECT id, string_split(email, '@') AS parts, split_part(email, '@', 2) AS domain "
        "FROM raw.customers",
    ),
    Case(
        "string-like-ilike",
        "SELECT id, email LIKE '%example%' AS has, email ILIKE 'bob%' AS bob, "
        "name NOT LIKE 'd_ve' AS not_dave FROM raw.customers",
    ),
]

NUMBERS = [
    Case(
        "decimal-sum-round",
        "SELECT status, sum(amount) AS total, round(sum(amount) * 1.1, 2) AS taxed "
        "FROM raw.orders GROUP BY status",
    ),
    Case(
        "decimal-avg",
        "SELECT region, avg(amount) AS mean FROM raw.orders GROUP BY region",
        gaps={
            "spark": Gap(
                "Spark averages a DECIMAL(p, s) as a DECIMAL(p+4, s+4), rounded to s+4 digits "
                "before the transpiler's cast to DOUBLE (42.585714 vs 42.58571428571429); "
                "avg(CAST(x AS DOUBLE)) would match"
            )
        },
    ),
    Case(
        "float-aggregates",
        "SELECT user_id, avg(score) AS mean, sum(score) AS total, stddev_samp(score) AS sd "
        "FROM raw.events GROUP BY user_id",
    ),
]

NESTED = [
    Case(
        "struct-literal-access",
        "SELECT order_id, address.city AS city, {'id': order_id, 'zip': address.zip} AS info "
        "FROM raw.orders",
    ),
    Case(
        "list-construction",
        "SELECT order_id, [order_id, order_id * 2] AS pair, [order_id, 7][2] AS second, "
        "list_value(status, region) AS labels FROM raw.orders",
    ),
    Case(
        "list-index-out-of-range",
        "SELECT order_id, tags[1] AS first_tag FROM raw.orders",
        gaps={
            "spark": Gap(
                "an index past the end of a list is NULL in DuckDB and an error in Spark's "
                "ANSI mode (the transpiler could emit get(list, i - 1))",
                QueryError,
            )
        },
    ),
    Case(
        "list-length",
        "SELECT order_id, len(tags) AS n_tags FROM raw.orders",
    ),
    Case(
        "unnest",
        "SELECT order_id, unnest(tags) AS tag FROM raw.orders",
    ),
    Case(
        "list-aggregate",
        "SELECT region, list_sort(list(customer_id) FILTER (WHERE customer_id IS NOT NULL)) "
        "AS customers FROM raw.orders GROUP BY 1",
    ),
    Case(
        "list-aggregate-nulls",
        "SELECT region, list_sort(list(customer_id)) AS customers FROM raw.orders GROUP BY 1",
        gaps={
            "spark": Gap(
                "refused: DuckDB's list() keeps NULL elements, Spark's collect_list drops them",
                NotSupportedError,
            )
        },
    ),
    Case(
        "list-aggregate-ordered",
        "SELECT customer_id, list(order_id ORDER BY order_id DESC) AS orders FROM raw.orders "
        "GROUP BY 1",
        gaps={
            "spark": Gap(
                "refused: Spark's collect_list keeps no order, so an ordered list() would "
                "come back in scan order",
                NotSupportedError,
            )
        },
    ),
]

CASES = [*EXPRESSIONS, *DATES, *STRINGS, *NUMBERS, *NESTED]
