"""The conformance suite's input tables: small, deterministic, and awkward on purpose.

They hold what engines disagree about: NULLs in keys, values and partitions, mixed-case and
padded strings, decimals, instants and wall-clock times, lists and structs, a partitioned
table, a column added by a later commit (older files lack it) and a table with no files.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from sluiceway.engines.base import Input
from sluiceway.engines.inputs import pin
from sluiceway.lake.commit import WriteContext
from sluiceway.lake.registration import TableOptions
from sluiceway.lake.service import Lake
from sluiceway.lake.storage import LakeStorage

LOADED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MONEY = pa.decimal128(10, 2)


def _ts(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


CUSTOMERS = pa.table(
    {
        "id": pa.array([1, 2, 3, 4, 5], pa.int64()),
        "name": ["Ada", "  bob ", "Chloé", "dave", None],
        "email": ["ada@example.com", "BOB@Example.com", None, "dave@example.org", "e@x.io"],
        "country": ["FR", "DE", "FR", None, "US"],
        "signup_date": [
            date(2023, 1, 15),
            date(2023, 6, 1),
            date(2024, 2, 29),
            None,
            date(2024, 12, 31),
        ],
        "tier": pa.array([1, 2, None, 1, 3], pa.int32()),
    }
)

ORDERS = pa.table(
    {
        "order_id": pa.array(range(101, 111), pa.int64()),
        "customer_id": pa.array([1, 1, 2, 3, 3, 3, None, 9, 2, 4], pa.int64()),
        "ordered_at": pa.array(
            [
                _ts(2024, 1, 31, 23, 59, 59),
                _ts(2024, 2, 1, 0, 0, 0),
                _ts(2024, 2, 15, 12, 30, 0),
                _ts(2024, 2, 29, 8, 0, 0),
                _ts(2024, 3, 1, 9, 15, 0),
                _ts(2024, 3, 31, 18, 45, 30),
                _ts(2024, 4, 1, 0, 0, 1),
                _ts(2024, 12, 31, 23, 0, 0),
                _ts(2025, 1, 1, 0, 0, 0),
                None,
            ],
            pa.timestamp("us", tz="UTC"),
        ),
        "amount": pa.array(
            [
                Decimal(v) if v else None
                for v in [
                    "10.50",
                    "20.25",
                    "5.00",
                    "99.99",
                    "0.01",
                    "150.00",
                    None,
                    "7.45",
                    "12.35",
                    "33.33",
                ]
            ],
            MONEY,
        ),
        "status": [
            "paid",
            "paid",
            "refunded",
            "paid",
            "open",
            "paid",
            "open",
            None,
            "paid",
            "open",
        ],
        "tags": [
            ["new", "promo"],
            [],
            ["promo"],
            None,
            ["vip", "new", "promo"],
            ["vip"],
            [],
            ["x"],
            None,
            ["new"],
        ],
        "address": [
            {"city": "Paris", "zip": "75001"},
            {"city": "Paris", "zip": "75002"},
            {"city": "Berlin", "zip": None},
            {"city": "Lyon", "zip": "69001"},
            None,
            {"city": "Lyon", "zip": "69002"},
            {"city": None, "zip": None},
            {"city": "Austin", "zip": "73301"},
            {"city": "Berlin", "zip": "10115"},
            {"city": "Paris", "zip": "75003"},
        ],
        "region": ["eu", "eu", "eu", "eu", "eu", "eu", None, "us", "eu", None],
    }
)

EVENTS = pa.table(
    {
        "user_id": pa.array([1, 1, 1, 1, 2, 2, 2, 3], pa.int64()),
        "seen_at": pa.array(
            [
                datetime(2024, 5, 1, 10, 0),
                datetime(2024, 5, 1, 10, 5),
                datetime(2024, 5, 2, 9, 0),
                datetime(2024, 5, 3, 9, 0),
                datetime(2024, 5, 1, 11, 0),
                datetime(2024, 5, 1, 11, 0, 30),
                datetime(2024, 5, 4, 8, 0),
                datetime(2024, 5, 2, 7, 0),
            ],
            pa.timestamp("us"),
        ),
        "kind": ["view", "click", "view", "buy", "view", "view", "buy", "view"],
        "score": [1.5, 2.25, None, 10.0, 0.5, 0.5, 7.75, 3.0],
    }
)

# A later commit adds ``channel``: files of the first commit do not have the column.
EVENTS_LATER = pa.table(
    {
        "user_id": pa.array([3, 4], pa.int64()),
        "seen_at": pa.array(
            [datetime(2024, 5, 5, 12, 0), datetime(2024, 5, 6, 6, 0)], pa.timestamp("us")
        ),
        "kind": ["buy", "view"],
        "score": [4.0, None],
        "channel": ["web", None],
    }
)

EMPTY = pa.table({"id": pa.array([], pa.int64()), "label": pa.array([], pa.string())})

TABLES: dict[str, tuple[list[pa.Table], tuple[str, ...]]] = {
    "raw.customers": ([CUSTOMERS], ()),
    "raw.orders": ([ORDERS], ("region",)),
    "raw.events": ([EVENTS, EVENTS_LATER], ()),
    "raw.empty": ([EMPTY], ()),
}
"""``layer.name`` → the batches committed, in order, and the partition columns."""


def build_lake(root: Path) -> dict[str, Input]:
    """Write :data:`TABLES` into a lake at ``root`` and pin every table's latest version."""
    lake = Lake(LakeStorage(root=str(root)))
    for name, (batches, partition_by) in TABLES.items():
        for number, batch in enumerate(batches, start=1):
            ctx = WriteContext(
                run_id=f"run-{number}", app_id="conformance/load", batch=number, loaded_at=LOADED_AT
            )
            lake.write(
                name, batch, "append", ctx, table_options=TableOptions(partition_by=partition_by)
            )
    return {name: pin(lake.table(name)) for name in TABLES}
