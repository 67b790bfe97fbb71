"""Learned expectations: checks proposed only where every profiled commit agrees."""

from __future__ import annotations

from typing import Any

import yaml

from sluiceway.quality.suggest import as_yaml, suggest


def profile(rows: int, **columns: dict[str, Any]) -> dict[str, Any]:
    return {
        "rows": rows,
        "sampled_rows": rows,
        "columns": [{"name": name, "nulls": 0, **spec} for name, spec in columns.items()],
    }


def history() -> list[dict[str, Any]]:
    return [
        profile(
            100 + i * 10,
            order_id={"type": "bigint", "distinct": 100 + i * 10, "min": 1, "max": 500},
            status={
                "type": "varchar",
                "distinct": 2,
                "top": [["paid", 60 + i * 10], ["open", 40]],
            },
            amount={"type": "decimal(12, 2)", "distinct": 50, "min": 2.5 + i, "max": 99.5},
            note={"type": "varchar", "distinct": 10, "nulls": 5 * i},
        )
        for i in range(3)
    ]


def test_checks_that_always_held_are_suggested_in_shadow_mode() -> None:
    found = {s.name: s.check for s in suggest(history())}
    assert found["not_null_order_id"] == {
        "type": "not_null",
        "columns": ["order_id"],
        "mode": "shadow",
    }
    assert "not_null_note" not in found  # it had nulls in two commits
    assert found["accepted_values_status"]["values"] == ["open", "paid"]
    assert found["unique_order_id"]["columns"] == ["order_id"]
    assert "unique_amount" not in found
    assert found["range_amount"] == {
        "type": "range",
        "column": "amount",
        "min": 0.0,  # 2.5 less 10% of the span is negative: a non-negative column stays so
        "max": 110.0,  # 99.5 plus 10% of the span (9.7), rounded up to 3 figures
        "mode": "shadow",
    }
    assert found["range_order_id"]["min"] == 0 and found["range_order_id"]["max"] == 550
    assert found["row_count"] == {"type": "row_count", "min": 50, "max": 240, "mode": "shadow"}


def test_too_little_history_or_sampled_profiles_say_less() -> None:
    assert suggest(history()[:2]) == []
    sampled = history()
    for p in sampled:
        p["sampled_rows"] = p["rows"] // 2
    assert "unique_order_id" not in {s.name for s in suggest(sampled)}


def test_declared_checks_are_not_suggested_again_and_the_yaml_loads() -> None:
    found = suggest(history(), declared=["not_null_order_id", "row_count"])
    names = {s.name for s in found}
    assert "not_null_order_id" not in names and "row_count" not in names
    text = as_yaml("silver.orders", found, profiles=3)
    loaded = yaml.safe_load(text)
    checks = loaded["tables"]["silver.orders"]["checks"]
    assert [c["type"] for c in checks] == [s.check["type"] for s in found]
    assert all(c["mode"] == "shadow" for c in checks)
