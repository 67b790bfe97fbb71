"""The sample-data generator: deterministic, and dirty in the ways it claims."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from sluiceway.scaffold.sample_data import ORDER_COLUMNS, generate


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_writes_identical_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", days=2)
    generate(tmp_path / "b", days=2)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


def test_another_seed_writes_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", days=1, seed=1)
    generate(tmp_path / "b", days=1, seed=2)
    assert _digest(tmp_path / "a") != _digest(tmp_path / "b")


def test_files_per_day_and_layout(tmp_path: Path) -> None:
    data = generate(tmp_path, days=3)
    names = sorted(str(f.path.relative_to(tmp_path)) for f in data.files)
    assert len(names) == 9
    assert "orders/orders_2026-11-03.csv" in names
    assert "customers/customers_2026-11-01.ndjson" in names


def test_orders_carry_the_announced_dirt(tmp_path: Path) -> None:
    data = generate(tmp_path, days=2, orders_per_day=100)
    orders = [f for f in data.files if f.path.parent.name == "orders"]
    for file in orders:
        with file.path.open(newline="") as handle:
            rows = list(csv.reader(handle))
        header, body = rows[0], rows[1:]
        assert tuple(header) == ORDER_COLUMNS
        assert len(body) == file.rows
        ragged = [r for r in body if len(r) != len(ORDER_COLUMNS)]
        not_numeric = [r for r in body if len(r) == len(header) and not r[3].isdigit()]
        bad_month = [r for r in body if len(r) == len(header) and r[6][5:7] == "13"]
        assert (len(ragged), len(not_numeric), len(bad_month)) == (1, 1, 1)
        assert file.malformed == 3
        ids = [r[0] for r in body if len(r) == len(header)]
        assert len(ids) > len(set(ids)), "duplicates and updates repeat order ids"
    second_day = orders[1]
    with second_day.path.open(newline="") as handle:
        dates = {r[6][:10] for r in list(csv.reader(handle))[1:] if len(r) == len(ORDER_COLUMNS)}
    assert any(d < "2026-11-02" for d in dates if d[5:7] != "13"), "late rows from earlier days"


def test_customers_change_over_days_and_have_two_bad_lines(tmp_path: Path) -> None:
    data = generate(tmp_path, days=2)
    day1, day2 = (f for f in data.files if f.path.parent.name == "customers")
    parsed, bad = [], 0
    for line in day2.path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            bad += 1
            continue
        if "customer_id" not in record:
            bad += 1
        else:
            parsed.append(record)
    assert bad == day2.malformed == 2
    assert len(parsed) == 6
    first = {json.loads(x)["customer_id"]: json.loads(x) for x in _good_lines(day1.path)}
    changed = [r for r in parsed if (r["email"], r["segment"]) != _key(first[r["customer_id"]])]
    assert changed, "day two changes e-mails or segments of existing customers"


def _good_lines(path: Path) -> list[str]:
    out = []
    for line in path.read_text().splitlines():
        try:
            if "customer_id" in json.loads(line):
                out.append(line)
        except json.JSONDecodeError:
            continue
    return out


def _key(record: dict[str, object]) -> tuple[object, object]:
    return record["email"], record["segment"]


def test_totals_add_up(tmp_path: Path) -> None:
    data = generate(tmp_path, days=3)
    assert data.rows == sum(f.rows for f in data.files)
    assert data.malformed == 3 * 3 + 3 * 2 + 2 * 1
    assert all(f.good_rows == f.rows - f.malformed for f in data.files)
