"""The anomaly detector on small, hand-made series: what it flags, and what it learns."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sluiceway.quality.anomaly import Point, Sensitivity, detect

START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)  # a Monday
DEFAULT = Sensitivity()


def series(values: list[float], start: datetime = START) -> list[Point]:
    return [Point(start + timedelta(days=i), v) for i, v in enumerate(values)]


def noisy(n: int, level: float = 1000.0, noise: float = 0.03, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [level * (1 + rng.gauss(0, noise)) for _ in range(n)]


def following(history: list[Point], value: float) -> Point:
    return Point(history[-1].time + timedelta(days=1), value)


def test_it_is_silent_until_it_has_enough_history() -> None:
    history = series(noisy(DEFAULT.min_history - 1))
    verdict = detect(history, following(history, 50_000), DEFAULT)
    assert not verdict.anomalous
    assert verdict.reason == "13 points of history, 14 needed"


def test_a_spike_and_a_drop_are_flagged_and_normal_noise_is_not() -> None:
    history = series(noisy(30))
    assert not detect(history, following(history, 1040), DEFAULT).anomalous
    spike = detect(history, following(history, 1500), DEFAULT)
    assert spike.anomalous and spike.score is not None and spike.score > DEFAULT.threshold
    assert spike.reason is not None and "above the expected" in spike.reason
    drop = detect(history, following(history, 0), DEFAULT)
    assert drop.anomalous and "below" in (drop.reason or "")


def test_past_anomalies_do_not_widen_the_normal_range() -> None:
    values = noisy(30)
    values[10], values[20] = 9000.0, 0.0  # two bad days in the history
    history = series(values)
    verdict = detect(history, following(history, 1400), DEFAULT)
    assert verdict.anomalous and verdict.baseline == 28


def test_a_level_shift_becomes_the_new_normal() -> None:
    before = noisy(30)
    after = noisy(DEFAULT.shift_points, level=2000.0, seed=2)
    history = series(before + after)
    verdict = detect(history, following(history, 2030), DEFAULT)
    assert not verdict.anomalous and verdict.expected is not None
    assert 1900 < verdict.expected < 2100
    # Before the shift is confirmed, the new level is still an anomaly.
    early = series(before + after[:2])
    assert detect(early, following(early, 2030), DEFAULT).anomalous


def test_weekday_seasonality_is_learnt_from_three_weeks() -> None:
    rng = random.Random(3)
    values = [
        (300.0 if (START + timedelta(days=i)).weekday() >= 5 else 1000.0) * (1 + rng.gauss(0, 0.03))
        for i in range(35)
    ]
    history = series(values)
    saturday = following(history, 310.0)  # day 35 is a Monday; go to the next Saturday
    saturday = Point(saturday.time + timedelta(days=5), 310.0)
    verdict = detect(history, saturday, DEFAULT)
    assert verdict.seasonal and not verdict.anomalous
    assert detect(history, Point(saturday.time, 1000.0), DEFAULT).anomalous  # busy Saturday
    monday = detect(history, following(history, 1000.0), DEFAULT)
    assert monday.seasonal and not monday.anomalous


def test_a_constant_series_tolerates_a_floor_of_change() -> None:
    history = series([0.0] * 20)
    fractions = Sensitivity(absolute_floor=0.01)
    assert not detect(history, following(history, 0.02), fractions).anomalous
    assert detect(history, following(history, 0.2), fractions).anomalous
