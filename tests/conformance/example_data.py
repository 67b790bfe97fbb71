"""Small deterministic tables shaped like the example project's (``sluiceway init``).

The raw tables have the columns and types the example's contracts give its ingested files
(``contracts/*.yaml``: ``bigint``, ``integer``, ``decimal(12,2)``, ``varchar``, ``timestamp``);
the silver tables have the columns its silver steps write, with the ``scd2`` validity
columns on customers. Each holds what the example's SQL is there to handle: an order seen
twice with a later status, padded and mixed-case text, a NULL segment, a customer whose
country changed between two orders, an order placed before its customer's first version,
and orders that were cancelled or returned.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from sluiceway.engines.base import Input
from sluiceway.engines.inputs import pin
from sluiceway.lake.commit import WriteContext
from sluiceway.lake.registration import TableOptions
from sluiceway.lake.service import Lake
from sluiceway.lake.storage import LakeStorage

SCAFFOLD_SQL = (
    Path(__file__).resolve().parents[2] / "src" / "sluiceway" / "scaffold" / "shop" / "sql"
)
MONEY = pa.decimal128(12, 2)
TIME = pa.timestamp("us")  # a contract's `timestamp`: wall-clock, no zone


def _money(*values: str | None) -> pa.Array:
    return pa.array([None if v is None else Decimal(v) for v in values], MONEY)


def _times(*values: datetime | None) -> pa.Array:
    return pa.array(list(values), TIME)


T = datetime

RAW_ORDERS = pa.table(
    {
        "order_id": pa.array([1, 1, 2, 3, 3, 4, 5, 6], pa.int64()),
        "customer_id": pa.array([10, 10, 20, 10, 10, 30, 20, 10], pa.int64()),
        "product_id": pa.array([100, 100, 200, 100, 100, 200, 300, 300], pa.int64()),
        "quantity": pa.array([2, 2, 1, 5, 5, 3, 1, 4], pa.int32()),
        "unit_price": _money("9.99", "9.99", "120.00", "9.99", "9.99", "120.00", "0.50", "0.50"),
        "status": [
            "placed",
            " Shipped ",
            "DELIVERED",
            "placed",
            "cancelled",
            "placed",
            "returned",
            "shipped",
        ],
        "order_ts": _times(
            T(2026, 5, 1, 9, 0),
            T(2026, 5, 1, 9, 0),
            T(2026, 5, 1, 23, 59, 59),
            T(2026, 5, 2, 0, 0),
            T(2026, 5, 2, 0, 0),
            T(2026, 5, 2, 8, 30),
            T(2026, 5, 3, 12, 0),
            T(2026, 5, 3, 18, 0),
        ),
        "updated_at": _times(
            T(2026, 5, 1, 9, 0),
            T(2026, 5, 2, 7, 0),
            T(2026, 5, 2, 6, 0),
            T(2026, 5, 2, 0, 0),
            T(2026, 5, 2, 10, 0),
            T(2026, 5, 2, 8, 30),
            T(2026, 5, 4, 9, 0),
            T(2026, 5, 3, 18, 0),
        ),
    }
)

RAW_CUSTOMERS = pa.table(
    {
        "customer_id": pa.array([10, 10, 20, 30], pa.int64()),
        "name": ["Ada", "Ada", "Bob", "Chloé"],
        "email": [" Ada@Example.com", "ada@example.org ", "BOB@example.com", None],
        "country": ["fr", "de", "DE", "Be"],
        "segment": ["retail", "retail", None, "b2b"],
        "updated_at": _times(
            T(2026, 4, 1), T(2026, 5, 2, 12, 0), T(2026, 4, 15), T(2026, 5, 2, 9, 0)
        ),
    }
)

RAW_PRODUCTS = pa.table(
    {
        "product_id": pa.array([100, 200, 200, 300], pa.int64()),
        "name": ["Mug", "Lamp", "Lamp", "Card"],
        "category": ["Kitchen", "home", "Home", "STATIONERY"],
        "price": _money("9.99", "110.00", "120.00", "0.50"),
        "updated_at": _times(T(2026, 1, 1), T(2026, 1, 1), T(2026, 3, 1), T(2026, 2, 1)),
    }
)

SILVER_ORDERS = pa.table(
    {
        "order_id": pa.array([1, 2, 3, 4, 5, 6], pa.int64()),
        "customer_id": pa.array([10, 20, 10, 30, 20, 10], pa.int64()),
        "product_id": pa.array([100, 200, 100, 200, 300, 300], pa.int64()),
        "quantity": pa.array([2, 1, 5, 3, 1, 4], pa.int32()),
        "unit_price": _money("9.99", "120.00", "9.99", "120.00", "0.50", "0.50"),
        "amount": pa.array(
            [Decimal(v) for v in ("19.98", "120.00", "49.95", "360.00", "0.50", "2.00")],
            pa.decimal128(23, 2),
        ),
        "status": ["shipped", "delivered", "cancelled", "placed", "returned", "shipped"],
        "order_ts": RAW_ORDERS.column("order_ts").take([0, 2, 3, 5, 6, 7]),
        "order_date": pa.array([date(2026, 5, day) for day in (1, 1, 2, 2, 3, 3)], pa.date32()),
        "updated_at": RAW_ORDERS.column("updated_at").take([1, 2, 4, 5, 6, 7]),
    }
)

SILVER_CUSTOMERS = pa.table(
    {
        "customer_id": pa.array([10, 10, 20, 30], pa.int64()),
        "name": ["Ada", "Ada", "Bob", "Chloé"],
        "email": ["ada@example.com", "ada@example.org", "bob@example.com", None],
        "country": ["FR", "DE", "DE", "BE"],
        "segment": ["retail", "retail", "unknown", "b2b"],
        "updated_at": RAW_CUSTOMERS.column("updated_at"),
        # Ada moved from FR to DE at noon on 2 May; Chloé's first version starts after
        # her order of 08:30, so that order has no customer version and is left out.
        "valid_from": RAW_CUSTOMERS.column("updated_at"),
        "valid_to": _times(T(2026, 5, 2, 12, 0), None, None, None),
        "is_current": [False, True, True, True],
    }
)

SILVER_PRODUCTS = pa.table(
    {
        "product_id": pa.array([100, 200, 300], pa.int64()),
        "name": ["Mug", "Lamp", "Card"],
        "category": ["kitchen", "home", "stationery"],
        "price": _money("9.99", "120.00", "0.50"),
        "updated_at": _times(T(2026, 1, 1), T(2026, 3, 1), T(2026, 2, 1)),
    }
)

TABLES: dict[str, tuple[pa.Table, tuple[str, ...]]] = {
    "raw.orders": (RAW_ORDERS, ()),
    "raw.customers": (RAW_CUSTOMERS, ()),
    "raw.products": (RAW_PRODUCTS, ()),
    "silver.orders": (SILVER_ORDERS, ("order_date",)),
    "silver.customers": (SILVER_CUSTOMERS, ()),
    "silver.products": (SILVER_PRODUCTS, ()),
}
"""``layer.name`` → its rows and partition columns (silver.orders is partitioned by day, as
in the example)."""


def build_example_lake(root: Path) -> dict[str, Input]:
    """Write :data:`TABLES` into a lake at ``root`` and pin each table's latest version."""
    lake = Lake(LakeStorage(root=str(root)))
    for name, (rows, partition_by) in TABLES.items():
        ctx = WriteContext(run_id="run-1", app_id="conformance/example", batch=1)
        lake.write(name, rows, "append", ctx, table_options=TableOptions(partition_by=partition_by))
    return {name: pin(lake.table(name)) for name in TABLES}


def example_sql(relative: str) -> str:
    """The text of the example project's ``sql/<relative>``, as the scaffold ships it."""
    return (SCAFFOLD_SQL / relative).read_text(encoding="utf-8")
