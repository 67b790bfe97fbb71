SELECT
    product_id,
    name,
    lower(category) AS category,
    price,
    updated_at
FROM raw.products
QUALIFY row_number() OVER (PARTITION BY product_id ORDER BY updated_at DESC) = 1
