-- Latest state of each order: a file may carry an order twice, and a later file may
-- carry an update of an earlier order (status change), so keep the newest row per order.
SELECT
    order_id,
    customer_id,
    product_id,
    quantity,
    unit_price,
    quantity * unit_price AS amount,
    lower(trim(status)) AS status,
    order_ts,
    CAST(order_ts AS DATE) AS order_date,
    updated_at
FROM raw.orders
QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY updated_at DESC) = 1
