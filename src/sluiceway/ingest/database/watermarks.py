"""The cursor's high-water mark, stored the way incremental ``sql`` steps store theirs.

It lives in the commit metadata of the step's last commit (``sluiceway.watermark``), written
in the same Delta transaction as the rows it covers, so a crash can never move it without
its rows. Reading and the encoding are :mod:`sluiceway.orchestrate.steps.incremental`'s;
this module only adds what a database cursor needs beyond that: exact decimals.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sluiceway.orchestrate.steps.incremental import WATERMARK_KEY, _encode, last_watermark

if TYPE_CHECKING:
    import sqlalchemy as sa

    from sluiceway.lake.table import LakeTable

_DECIMAL = "decimal"


def watermark_metadata(column: str, value: Any) -> dict[str, str]:
    """The commit metadata recording ``value`` as the watermark of ``column``."""
    if isinstance(value, Decimal):
        # JSON has no exact decimal: kept as text, turned back by :func:`previous_watermark`.
        encoded: dict[str, Any] = {"type": _DECIMAL, "value": str(value)}
    else:
        encoded = _encode(value)
    return {WATERMARK_KEY: json.dumps({"column": column, **encoded})}


def previous_watermark(
    table: LakeTable, app_id: str, column: str, column_type: sa.types.TypeEngine[Any] | None
) -> Any:
    """The watermark the step's last commit recorded for ``column`` (None on a first run)."""
    import sqlalchemy as sa

    value = last_watermark(table, app_id, column)
    if isinstance(value, str) and isinstance(column_type, sa.Numeric):
        return Decimal(value)
    return value
