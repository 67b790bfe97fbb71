"""Incremental steps by column: process only rows above the last committed watermark.

With ``incremental: {by: updated_at}``, every input that has the column is read from above
the watermark the step's previous commit recorded, and the new watermark — the highest
value among the rows read — is committed in the same Delta transaction as the data
(``sluiceway.watermark`` in the commit's metadata). A crash can therefore never record a
watermark without its rows, or rows without their watermark. Inputs without the column
(dimension tables joined for lookups) are read in full.

Late rows: a row whose ``by`` value is at or below the watermark when it lands is never
picked up. Use a column stamped on arrival — ``_sw_loaded_at``, which the lake sets on every
row at commit time — when upstream data can arrive late.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from sluiceway.lake.history import WATERMARK_KEY

if TYPE_CHECKING:
    from sluiceway.engines.base import Engine, Input
    from sluiceway.lake.table import LakeTable

HISTORY_DEPTH = 1000
"""How many recent commits are searched for the step's last watermark."""


def last_watermark(table: LakeTable, app_id: str, column: str) -> Any:
    """The watermark the step's latest commit recorded for ``column`` (None if none)."""
    if not table.exists():
        return None
    for commit in table.delta().history(HISTORY_DEPTH):
        if commit.get("sluiceway.app_id") != app_id or WATERMARK_KEY not in commit:
            continue
        recorded = json.loads(str(commit[WATERMARK_KEY]))
        if recorded.get("column") == column:
            return _decode(recorded)
        return None  # the step changed its column: start again from the beginning
    return None


def restrict(inputs: dict[str, Input], column: str, watermark: Any) -> dict[str, Input]:
    """``inputs`` with the ones holding ``column`` read from above ``watermark`` only."""
    if watermark is None:
        return inputs
    return {
        name: replace(item, newer_than=(column, watermark))
        if item.schema.get_field_index(column) >= 0
        else item
        for name, item in inputs.items()
    }


def next_watermark(
    engine: Engine, inputs: dict[str, Input], column: str, previous: Any
) -> dict[str, str]:
    """The commit metadata recording the highest ``column`` value the step is reading."""
    highest = previous
    for name, item in inputs.items():
        if item.schema.get_field_index(column) < 0:
            continue
        layer, _, table = name.partition(".")
        query = exp.select(exp.Max(this=exp.column(column, quoted=True)).as_("top")).from_(
            exp.table_(table, db=layer, quoted=True)
        )
        value = engine.query(query.sql("duckdb"), {name: item}).column("top")[0].as_py()
        if value is not None and (highest is None or value > highest):
            highest = value
    if highest is None:
        return {}
    return {WATERMARK_KEY: json.dumps({"column": column, **_encode(highest)})}


def _encode(value: Any) -> dict[str, Any]:
    if isinstance(value, datetime):
        return {"type": "timestamp", "value": value.isoformat()}
    if isinstance(value, date):
        return {"type": "date", "value": value.isoformat()}
    return {"type": type(value).__name__, "value": value}


def _decode(recorded: dict[str, Any]) -> Any:
    kind, value = recorded.get("type"), recorded.get("value")
    if kind == "timestamp":
        return datetime.fromisoformat(str(value))
    if kind == "date":
        return date.fromisoformat(str(value))
    return value
