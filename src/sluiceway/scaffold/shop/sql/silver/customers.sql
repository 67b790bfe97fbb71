-- One row per customer and change: the scd2 materialization closes the previous version
-- when email, country or segment change.
SELECT
    customer_id,
    name,
    lower(trim(email)) AS email,
    upper(country) AS country,
    coalesce(segment, 'unknown') AS segment,
    updated_at
FROM raw.customers
QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY updated_at DESC) = 1
