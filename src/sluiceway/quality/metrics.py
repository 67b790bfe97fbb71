"""The metrics the platform watches for anomalies, and how sensitive each detector is."""

from __future__ import annotations

from sluiceway.quality.anomaly import Sensitivity

ROWS_ADDED = "table.rows_added"
"""Rows a commit added to a table (subject: the table)."""
NULL_FRACTION = "column.null_fraction"
"""A column's share of nulls in a commit's rows (subject: ``layer.table.column``)."""
COMMIT_LAG = "table.commit_lag_s"
"""Seconds since the table's previous commit, measured at each commit (subject: the table)."""
STEP_DURATION = "step.duration_s"
"""A step's wall time in seconds (subject: ``pipeline.step``)."""

_SENSITIVITY = {
    ROWS_ADDED: Sensitivity(),
    # A column that never had nulls may gain a few without anyone minding: a change under
    # 0.01% of the rows is below the floor.
    NULL_FRACTION: Sensitivity(absolute_floor=0.0001),
    COMMIT_LAG: Sensitivity(log=True),
    STEP_DURATION: Sensitivity(log=True),
}


def sensitivity(metric: str) -> Sensitivity:
    """The detector settings of ``metric`` (defaults for metrics not listed)."""
    return _SENSITIVITY.get(metric, Sensitivity())
