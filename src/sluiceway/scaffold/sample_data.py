"""A deterministic generator of shop files with the dirt real landing zones have.

The example project needs data that exercises what the platform promises: duplicated
rows, late rows, updates of earlier records, records that change over time (for SCD2), and
a few malformed lines that must end up in quarantine rather than stop a load. The same seed
always writes byte-identical files, so tests and demos can state exact expected counts.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ORDER_COLUMNS = (
    "order_id",
    "customer_id",
    "product_id",
    "quantity",
    "unit_price",
    "status",
    "order_ts",
    "updated_at",
)
PRODUCT_COLUMNS = ("product_id", "name", "category", "price", "updated_at")
STATUSES = ("placed", "shipped", "delivered", "cancelled", "returned")
COUNTRIES = ("FR", "DE", "ES", "IT", "NL", "BE", "PL", "SE")
SEGMENTS = ("consumer", "small_business", "enterprise")
CATEGORIES = ("books", "garden", "kitchen", "toys", "sports", "electronics")
FIRST_NAMES = ("Ada", "Blaise", "Chloe", "Dmitri", "Elif", "Femi", "Greta", "Hugo", "Ines")
LAST_NAMES = ("Martin", "Muller", "Garcia", "Rossi", "de Vries", "Nowak", "Berg", "Leroy")


@dataclass(frozen=True)
class GeneratedFile:
    """One file written to the landing zone and what a correct load makes of it."""

    path: Path
    rows: int
    malformed: int

    @property
    def good_rows(self) -> int:
        """Rows that parse and meet the contract."""
        return self.rows - self.malformed


@dataclass
class GeneratedData:
    """Everything one call to :func:`generate` wrote."""

    files: list[GeneratedFile] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Data rows written, malformed ones included (headers excluded)."""
        return sum(f.rows for f in self.files)

    @property
    def malformed(self) -> int:
        """Rows written malformed on purpose, which a load must quarantine."""
        return sum(f.malformed for f in self.files)


def generate(
    landing: Path,
    *,
    days: int = 3,
    start: date = date(2026, 11, 1),
    seed: int = 7,
    orders_per_day: int = 200,
    customers: int = 60,
    products: int = 24,
) -> GeneratedData:
    """Write ``days`` days of orders, customer and product files under ``landing``.

    Files go to ``landing/orders/orders_YYYY-MM-DD.csv``,
    ``landing/customers/customers_YYYY-MM-DD.ndjson`` and
    ``landing/products/products_YYYY-MM-DD.csv``. Day one carries the full customer and
    product lists; later days carry only changes, as an export of changed records would.
    """
    rng = random.Random(seed)
    out = GeneratedData()
    shop = _Shop(rng, customers=customers, products=products)
    previous: list[dict[str, str]] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        first = offset == 0
        out.files.append(shop.write_customers(landing, day, full=first))
        out.files.append(shop.write_products(landing, day, full=first))
        orders_file, previous = shop.write_orders(landing, day, orders_per_day, previous)
        out.files.append(orders_file)
    return out


class _Shop:
    """The state the generator evolves from one day to the next."""

    def __init__(self, rng: random.Random, *, customers: int, products: int) -> None:
        self.rng = rng
        self.next_order_id = 100_000
        self.customers = [self._new_customer(i + 1) for i in range(customers)]
        self.products = [self._new_product(i + 1) for i in range(products)]

    def _new_customer(self, customer_id: int) -> dict[str, object]:
        first = self.rng.choice(FIRST_NAMES)
        last = self.rng.choice(LAST_NAMES)
        email = f"{first}.{last}.{customer_id}@example.com".lower().replace(" ", "")
        return {
            "customer_id": customer_id,
            "name": f"{first} {last}",
            "email": email,
            "country": self.rng.choice(COUNTRIES),
            "segment": self.rng.choice(SEGMENTS),
        }

    def _new_product(self, product_id: int) -> dict[str, object]:
        category = self.rng.choice(CATEGORIES)
        return {
            "product_id": product_id,
            "name": f"{category.title()} item {product_id}",
            "category": category,
            "price": round(self.rng.uniform(2, 400), 2),
        }

    def _stamp(self, day: date) -> str:
        moment = datetime(day.year, day.month, day.day) + timedelta(
            seconds=self.rng.randrange(6 * 3600, 23 * 3600)
        )
        return moment.strftime("%Y-%m-%dT%H:%M:%S")

    def write_customers(self, landing: Path, day: date, *, full: bool) -> GeneratedFile:
        """Customers as NDJSON: all on day one, then ~10% changed ones, plus two bad lines."""
        changed = (
            self.customers if full else self.rng.sample(self.customers, len(self.customers) // 10)
        )
        lines = []
        for customer in changed:
            if not full:
                if self.rng.random() < 0.5:
                    customer["segment"] = self.rng.choice(SEGMENTS)
                else:
                    customer["email"] = f"new.{customer['customer_id']}.{day:%m%d}@example.com"
            lines.append(json.dumps({**customer, "updated_at": self._stamp(day)}))
        # Dirt: a truncated JSON object and a record without its required key.
        lines.insert(len(lines) // 2, '{"customer_id": 999999, "name": "Truncated Line", "ema')
        lines.append(json.dumps({"name": "No Id", "country": "FR", "updated_at": self._stamp(day)}))
        path = landing / "customers" / f"customers_{day:%Y-%m-%d}.ndjson"
        _write(path, "\n".join(lines) + "\n")
        return GeneratedFile(path, rows=len(lines), malformed=2)

    def write_products(self, landing: Path, day: date, *, full: bool) -> GeneratedFile:
        """Products as CSV: the catalog on day one, then a few price changes."""
        changed = self.products if full else self.rng.sample(self.products, 3)
        rows = []
        for product in changed:
            if not full:
                product["price"] = round(
                    float(str(product["price"])) * self.rng.uniform(0.8, 1.2), 2
                )
            rows.append([*(product[c] for c in PRODUCT_COLUMNS[:-1]), self._stamp(day)])
        malformed = 0
        if not full:
            # Dirt: a price written with a decimal comma cannot be read as a number.
            product = self.rng.choice(self.products)
            rows.append(
                [
                    product["product_id"],
                    product["name"],
                    product["category"],
                    "12,50",
                    self._stamp(day),
                ]
            )
            malformed = 1
        path = landing / "products" / f"products_{day:%Y-%m-%d}.csv"
        _write(path, _csv(PRODUCT_COLUMNS, rows))
        return GeneratedFile(path, rows=len(rows), malformed=malformed)

    def write_orders(
        self, landing: Path, day: date, count: int, previous: list[dict[str, str]]
    ) -> tuple[GeneratedFile, list[dict[str, str]]]:
        """Orders as CSV with duplicates, late rows, updates of earlier orders and bad lines."""
        orders: list[dict[str, str]] = []
        for _ in range(count):
            self.next_order_id += 1
            late = self.rng.random() < 0.03
            placed = day - timedelta(days=self.rng.randint(1, 3)) if late else day
            product = self.rng.choice(self.products)
            stamp = self._stamp(placed)
            orders.append(
                {
                    "order_id": str(self.next_order_id),
                    "customer_id": str(self.rng.choice(self.customers)["customer_id"]),
                    "product_id": str(product["product_id"]),
                    "quantity": str(self.rng.choice((1, 1, 1, 2, 2, 3, 5))),
                    "unit_price": f"{product['price']:.2f}",
                    "status": self.rng.choice(("placed", "placed", "Placed ", "shipped")),
                    "order_ts": stamp,
                    "updated_at": stamp,
                }
            )
        # Updates: a later file carries the new state of some of yesterday's orders.
        for order in self.rng.sample(previous, min(len(previous), count // 20)):
            orders.append(
                {**order, "status": self.rng.choice(STATUSES[1:]), "updated_at": self._stamp(day)}
            )
        # Duplicates: the exporter sends some rows twice.
        orders.extend(self.rng.sample(orders, max(1, count // 50)))
        rows = [[o[c] for c in ORDER_COLUMNS] for o in orders]
        # Dirt: a ragged row, a word for a number, an impossible timestamp.
        bad = [
            [str(self.next_order_id + 1), "17", "3"],
            [str(self.next_order_id + 2), "17", "3", "two", "9.99", "placed", stamp, stamp],
            [
                str(self.next_order_id + 3),
                "17",
                "3",
                "1",
                "9.99",
                "placed",
                "2026-13-45T25:00:00",
                stamp,
            ],
        ]
        self.next_order_id += len(bad)
        for i, row in enumerate(bad):
            rows.insert((i + 1) * len(rows) // (len(bad) + 1), row)
        path = landing / "orders" / f"orders_{day:%Y-%m-%d}.csv"
        _write(path, _csv(ORDER_COLUMNS, rows))
        return GeneratedFile(path, rows=len(rows), malformed=len(bad)), orders[:count]


def _csv(header: tuple[str, ...], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
