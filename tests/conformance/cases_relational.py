"""Relational features: joins, windows, CTEs, grouping, set operations, NULLs and ordering."""

from __future__ import annotations

from conformance.cases import Case, Gap
from sluiceway.engines.errors import QueryError

JOINS = [
    Case(
        "join-inner",
        "SELECT o.order_id, c.name FROM raw.orders o JOIN raw.customers c ON o.customer_id = c.id",
    ),
    Case(
        "join-left",
        "SELECT o.order_id, c.country FROM raw.orders o "
        "LEFT JOIN raw.customers c ON o.customer_id = c.id",
    ),
    Case(
        "join-right",
        "SELECT o.order_id, c.id AS customer FROM raw.orders o "
        "RIGHT JOIN raw.customers c ON o.customer_id = c.id",
    ),
    Case(
        "join-full",
        "SELECT o.order_id, c.id AS customer FROM raw.orders o "
        "FULL OUTER JOIN raw.customers c ON o.customer_id = c.id",
    ),
    Case(
        "join-semi-exists",
        "SELECT c.id FROM raw.customers c WHERE EXISTS "
        "(SELECT 1 FROM raw.orders o WHERE o.customer_id = c.id AND o.status = 'paid')",
    ),
    Case(
        "join-anti-not-exists",
        "SELECT c.id FROM raw.customers c "
        "WHERE NOT EXISTS (SELECT 1 FROM raw.orders o WHERE o.customer_id = c.id)",
    ),
    Case(
        "join-semi-in",
        "SELECT order_id FROM raw.orders WHERE customer_id IN "
        "(SELECT id FROM raw.customers WHERE country = 'FR')",
    ),
    Case(
        # A NULL in the subquery makes NOT IN unknown for every row: no rows at all.
        "join-anti-not-in-null",
        "SELECT id FROM raw.customers WHERE id NOT IN (SELECT customer_id FROM raw.orders)",
        empty=True,
    ),
    Case(
        "join-cross",
        "SELECT c.id, t.n FROM raw.customers c CROSS JOIN (VALUES (1), (2)) AS t(n)",
    ),
    Case(
        "join-self",
        "SELECT a.order_id AS first, b.order_id AS later FROM raw.orders a "
        "JOIN raw.orders b ON a.customer_id = b.customer_id AND a.order_id < b.order_id",
    ),
    Case(
        "join-using",
        "SELECT customer_id, count(*) AS n FROM raw.orders "
        "JOIN (SELECT id AS customer_id FROM raw.customers) c USING (customer_id) GROUP BY 1",
    ),
]

WINDOWS = [
    Case(
        "window-row-number",
        "SELECT user_id, seen_at, row_number() OVER (PARTITION BY user_id ORDER BY seen_at) AS n "
        "FROM raw.events",
    ),
    Case(
        "window-rank",
        "SELECT user_id, score, rank() OVER (ORDER BY score DESC) AS r, "
        "dense_rank() OVER (ORDER BY score DESC) AS d FROM raw.events",
    ),
    Case(
        "window-lag-lead",
        "SELECT user_id, seen_at, lag(kind) OVER w AS previous, "
        "lead(kind, 1, 'none') OVER w AS following FROM raw.events "
        "WINDOW w AS (PARTITION BY user_id ORDER BY seen_at)",
    ),
    Case(
        "window-running-sum-rows",
        "SELECT order_id, sum(amount) OVER (ORDER BY order_id "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running, "
        "sum(amount) OVER (ORDER BY order_id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS around "
        "FROM raw.orders",
    ),
    Case(
        "window-range-frame",
        "SELECT user_id, seen_at, count(*) OVER (PARTITION BY user_id ORDER BY seen_at "
        "RANGE BETWEEN INTERVAL 1 DAY PRECEDING AND CURRENT ROW) AS last_day FROM raw.events",
    ),
    Case(
        "window-first-last-value",
        "SELECT user_id, seen_at, first_value(kind) OVER w AS first_kind, "
        "last_value(kind) OVER w AS last_kind FROM raw.events WINDOW w AS (PARTITION BY user_id "
        "ORDER BY seen_at ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)",
    ),
    Case(
        "qualify",
        "SELECT user_id, kind, seen_at FROM raw.events "
        "QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY seen_at DESC) = 1",
    ),
]

QUERIES = [
    Case(
        "cte",
        "WITH paid AS (SELECT * FROM raw.orders WHERE status = 'paid'), "
        "totals AS (SELECT customer_id, sum(amount) AS total FROM paid GROUP BY customer_id) "
        "SELECT c.name, t.total FROM totals t JOIN raw.customers c ON c.id = t.customer_id",
    ),
    Case(
        "cte-recursive",
        "WITH RECURSIVE days(d) AS (SELECT DATE '2024-02-27' UNION ALL "
        "SELECT CAST(d + INTERVAL 1 DAY AS DATE) FROM days WHERE d < DATE '2024-03-02') "
        "SELECT d FROM days",
    ),
    Case(
        "aggregate-filter",
        "SELECT region, count(*) FILTER (WHERE status = 'paid') AS paid, "
        "sum(amount) FILTER (WHERE status <> 'paid') AS other FROM raw.orders GROUP BY region",
    ),
    Case(
        "count-distinct",
        "SELECT count(DISTINCT customer_id) AS customers, count(DISTINCT status) AS statuses "
        "FROM raw.orders",
    ),
    Case(
        "count-distinct-rows",
        "SELECT count(DISTINCT (customer_id, status)) AS pairs, "
        "count(DISTINCT (status, customer_id)) FILTER (WHERE status <> 'paid') AS other "
        "FROM raw.orders",
    ),
    Case(
        "having",
        "SELECT customer_id, count(*) AS n FROM raw.orders GROUP BY customer_id "
        "HAVING count(*) > 1 AND sum(amount) > 20",
    ),
    Case(
        "grouping-sets",
        "SELECT region, status, count(*) AS n FROM raw.orders "
        "GROUP BY GROUPING SETS ((region, status), (region), ())",
    ),
    Case(
        "rollup",
        "SELECT region, status, sum(amount) AS total, grouping(region) AS no_region "
        "FROM raw.orders GROUP BY ROLLUP (region, status)",
    ),
    Case(
        "grouping-several-columns",
        "SELECT region, status, count(*) AS n, grouping(region, status) AS level "
        "FROM raw.orders GROUP BY ROLLUP (region, status)",
        gaps={
            "spark": Gap(
                "DuckDB's grouping(a, b) is a bit mask; Spark's grouping() takes one column "
                "(grouping_id(a, b) is the equivalent) and the transpiler keeps the name",
                QueryError,
            )
        },
    ),
    Case(
        "cube",
        "SELECT country, tier, count(*) AS n FROM raw.customers GROUP BY CUBE (country, tier)",
    ),
    Case(
        "set-union",
        "SELECT customer_id AS id FROM raw.orders UNION SELECT id FROM raw.customers "
        "UNION ALL SELECT 1",
    ),
    Case(
        "set-intersect",
        "SELECT customer_id AS id FROM raw.orders INTERSECT SELECT id FROM raw.customers",
    ),
    Case("set-except", "SELECT id FROM raw.customers EXCEPT SELECT customer_id FROM raw.orders"),
    Case(
        "order-by-limit",
        "SELECT order_id, amount FROM raw.orders ORDER BY amount DESC, order_id LIMIT 3 OFFSET 1",
    ),
    Case("empty-table", "SELECT count(*) AS n, max(label) AS top FROM raw.empty"),
    Case(
        "column-added-later",
        "SELECT user_id, kind, channel FROM raw.events WHERE user_id >= 3",
    ),
    Case(
        "partition-column-null",
        "SELECT region, count(*) AS n FROM raw.orders GROUP BY region",
    ),
]

NULLS = [
    Case(
        "null-distinct-from",
        "SELECT order_id, status IS DISTINCT FROM 'paid' AS not_paid, "
        "status IS NOT DISTINCT FROM NULL AS no_status FROM raw.orders",
    ),
    Case(
        "null-coalesce-nullif",
        "SELECT id, coalesce(name, email, 'anonymous') AS label, nullif(tier, 1) AS tier "
        "FROM raw.customers",
    ),
    Case(
        "null-aggregates",
        "SELECT count(*) AS all_rows, count(amount) AS with_amount, sum(amount) AS total, "
        "min(status) AS first, max(CASE WHEN false THEN 1 END) AS nothing FROM raw.orders",
    ),
    Case(
        "null-join-keys",
        "SELECT a.order_id, b.order_id AS other FROM raw.orders a "
        "JOIN raw.orders b ON a.region = b.region AND a.order_id <> b.order_id "
        "WHERE a.region IS NULL OR b.region IS NULL",
        empty=True,
    ),
    Case(
        "null-ordering",
        "SELECT order_id, status FROM raw.orders ORDER BY status, order_id DESC",
    ),
    Case(
        "null-ordering-explicit",
        "SELECT order_id, amount FROM raw.orders ORDER BY amount DESC NULLS LAST, order_id",
    ),
]

CASES = [*JOINS, *WINDOWS, *QUERIES, *NULLS]
