-- Revenue per day, country and category, counting only orders that were not cancelled
-- or returned, with each order attributed to the customer's country at order time.
SELECT
    o.order_date,
    c.country,
    p.category,
    count(*) AS orders,
    sum(o.quantity) AS units,
    sum(o.amount) AS revenue
FROM silver.orders AS o
JOIN silver.customers AS c
    ON c.customer_id = o.customer_id
    AND o.order_ts >= c.valid_from
    AND (c.valid_to IS NULL OR o.order_ts < c.valid_to)
JOIN silver.products AS p
    ON p.product_id = o.product_id
WHERE o.status NOT IN ('cancelled', 'returned')
GROUP BY ALL
