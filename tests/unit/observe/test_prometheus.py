"""The hand-written exposition format, checked against ``prometheus_client``'s parser."""

from __future__ import annotations

import math

import pytest

from sluiceway.observe.prometheus import Family, render
from support.metrics import parse, value


def test_label_values_and_help_survive_escaping() -> None:
    family = Family("sluiceway_demo", "gauge", 'Help with a \\ backslash,\nand a "quote".')
    family.add(1.5, table='we"ird\\na\nme', step="x")
    family.add(None, table="unknown")  # unknown values add nothing
    text = render([family])
    types, samples = parse(text)
    assert types == {"sluiceway_demo": "gauge"}
    assert value(samples, "sluiceway_demo", table='we"ird\\na\nme', step="x") == 1.5
    assert len(samples) == 1


def test_counters_end_in_total_and_histograms_are_cumulative() -> None:
    runs = Family("sluiceway_things", "counter", "Things.")
    runs.add(3, kind="a")
    durations = Family("sluiceway_wait_seconds", "histogram", "Waits.")
    durations.add_histogram((0.5, 1.0, math.inf), (1, 2, 4), 7.25, step="s")
    text = render([runs, durations, Family("sluiceway_empty", "gauge", "Nothing.")])
    assert "# TYPE sluiceway_things_total counter" in text
    assert 'sluiceway_wait_seconds_bucket{step="s",le="0.5"} 1' in text
    assert "sluiceway_empty" not in text  # a family without samples is left out
    types, samples = parse(text)
    assert types == {"sluiceway_things": "counter", "sluiceway_wait_seconds": "histogram"}
    assert value(samples, "sluiceway_things_total", kind="a") == 3
    assert value(samples, "sluiceway_wait_seconds_bucket", step="s", le="+Inf") == 4
    assert value(samples, "sluiceway_wait_seconds_count", step="s") == 4
    assert value(samples, "sluiceway_wait_seconds_sum", step="s") == 7.25


def test_special_values_and_bad_histograms() -> None:
    family = Family("sluiceway_odd", "gauge", "Odd values.")
    family.add(math.inf, v="inf")
    family.add(-math.inf, v="-inf")
    family.add(math.nan, v="nan")
    family.add(1e20, v="big")
    _, samples = parse(render([family]))
    assert value(samples, "sluiceway_odd", v="inf") == math.inf
    assert value(samples, "sluiceway_odd", v="-inf") == -math.inf
    assert math.isnan(value(samples, "sluiceway_odd", v="nan") or 0.0)
    assert value(samples, "sluiceway_odd", v="big") == 1e20
    with pytest.raises(ValueError, match="last bucket"):
        Family("h", "histogram", "h").add_histogram((1.0, 2.0), (1, 2), 3.0)
