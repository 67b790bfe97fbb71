"""Anomalies in a metric's history: a robust detector that learns what normal looks like.

For each new point of a series (rows added per commit, a column's null fraction, the lag
between commits, a step's duration) the detector asks every earlier point what it predicts
for the new one, then compares the value with those predictions:

* **weekly pattern:** with ``season_weeks`` weeks of history and days that really differ
  (a weekday's median at least three robust deviations from the overall median), each
  earlier point is first carried over to the new point's weekday: scaled by the ratio of
  the two weekdays' medians (or shifted by their difference when a median is zero) — a
  Sunday predicts a Monday as a Sunday's share of a Monday;
* **trend:** a series that grows or shrinks steadily (the Theil–Sen slope, the median of
  the slopes between all pairs of points, moves it by more than three robust deviations
  over the history) has each prediction moved along the slope to the new point's time;
* **robust:** the expected value is the median of the predictions and the spread their
  median absolute deviation (MAD, scaled by 1.4826 to match a standard deviation), so a few
  past outliers move neither; a point is anomalous when it lies more than ``threshold``
  such deviations away (a robust z-score). A series that never moved (MAD 0) gets a floor
  spread (``relative_floor`` of the median, at least ``absolute_floor``);
* **clean baseline:** predictions from the history's own anomalies (beyond the threshold of
  the others) are left out before the point is judged, re-judged each time rather than
  remembered;
* **level shifts:** when the last ``shift_points`` points all lie beyond the threshold on the
  same side, the level moved: they are the new normal, and predictions come from them;
* **skewed metrics:** durations vary by factors, not by amounts; with ``log`` the detector
  works on the logarithm of the values (what was 2× slower is as far as 2× faster);
* **silent until it knows:** with fewer than ``min_history`` points (two weeks of a daily
  series, enough to see a weekly pattern) it says nothing.

Everything here is pure: :func:`detect` takes the history and the point and returns a
:class:`Verdict`; recording points and emitting ``anomaly.detected`` is the caller's job.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

MAD_SCALE = 1.4826
"""MAD × this estimates the standard deviation of normally distributed values."""
DAY = 86_400.0


@dataclass(frozen=True)
class Sensitivity:
    """How readily a metric's detector speaks. Lower ``threshold`` = more alerts."""

    threshold: float = 4.5
    min_history: int = 14
    window: int = 60
    season_weeks: int = 2
    shift_points: int = 4
    relative_floor: float = 0.02
    absolute_floor: float = 0.0
    log: bool = False
    """Judge the logarithm of the values (for durations and other skewed metrics)."""


@dataclass(frozen=True)
class Point:
    """One value of a series."""

    time: datetime
    value: float


@dataclass(frozen=True)
class Verdict:
    """What the detector thinks of one point."""

    anomalous: bool
    value: float
    expected: float | None = None
    low: float | None = None
    high: float | None = None
    score: float | None = None
    baseline: int = 0
    seasonal: bool = False
    trend: float = 0.0
    """The slope used, in units per day (0 when the series has no trend)."""
    reason: str | None = None
    """Why nothing was judged (too little history), or what is wrong, in words."""


def detect(history: Sequence[Point], point: Point, sensitivity: Sensitivity) -> Verdict:
    """Judge ``point`` against ``history`` (oldest first, ``point`` not included)."""
    recent = list(history)[-sensitivity.window :]
    if len(recent) < sensitivity.min_history:
        return Verdict(
            False,
            point.value,
            baseline=len(recent),
            reason=f"{len(recent)} points of history, {sensitivity.min_history} needed",
        )
    if sensitivity.log:
        recent = [Point(p.time, math.log1p(max(p.value, 0.0))) for p in recent]
        judged = Point(point.time, math.log1p(max(point.value, 0.0)))
    else:
        judged = point
    # The level first (a shift makes the points before it irrelevant), then the trend
    # within the current level: a slope fitted across a step would be the step's.
    flat = _Model.fit(recent, judged, sensitivity, trend=False)
    levels = flat.predictions(recent, judged)
    since = _level_shift(levels, sensitivity)
    segment = recent if since is None else recent[len(recent) - since :]
    model = _Model.fit(segment, judged, sensitivity, trend=len(segment) >= sensitivity.min_history)
    model = model if since is None else replace(model, weekday_level=flat.weekday_level)
    predictions = model.predictions(segment, judged)
    baseline = _cleaned(predictions, sensitivity) if since is None else predictions
    floor = 0.0
    if since is not None:
        # A few points at a new level say little about its noise: the noise before the
        # shift, scaled to the new level, is the least spread to assume.
        earlier = levels[-since - sensitivity.min_history : -since]
        before, width = _center(_cleaned(earlier, sensitivity), sensitivity)
        level = statistics.median(predictions)
        floor = width * abs(level / before) if before else width
    median, spread = _center(baseline, sensitivity)
    spread = max(spread, floor)
    score = (judged.value - median) / spread
    low = median - sensitivity.threshold * spread
    high = median + sensitivity.threshold * spread
    anomalous = abs(score) > sensitivity.threshold
    if sensitivity.log:
        median, low, high = math.expm1(median), math.expm1(low), math.expm1(high)
    reason = None
    if anomalous:
        side = "above" if score > 0 else "below"
        basis = "same-weekday " if model.seasonal else ""
        reason = (
            f"{point.value:g} is {abs(score):.1f} deviations {side} the expected {median:g} "
            f"(normal: {low:g} to {high:g}, from {len(baseline)} {basis}points)"
        )
    return Verdict(
        anomalous,
        point.value,
        expected=median,
        low=low,
        high=high,
        score=score,
        baseline=len(baseline),
        seasonal=model.seasonal,
        trend=model.slope * DAY,
        reason=reason,
    )


@dataclass(frozen=True)
class _Model:
    """How an earlier point predicts the new one: a weekly pattern and a trend, if any."""

    weekday_level: dict[int, float]
    overall: float
    multiplicative: bool
    slope: float  # per second

    @property
    def seasonal(self) -> bool:
        return bool(self.weekday_level)

    @classmethod
    def fit(
        cls, recent: list[Point], point: Point, sensitivity: Sensitivity, *, trend: bool = True
    ) -> _Model:
        levels, overall, multiplicative = _weekly(recent, point, sensitivity)
        model = cls(levels, overall, multiplicative, 0.0)
        if not trend:
            return model
        adjusted = model.predictions(recent, point)
        return cls(levels, overall, multiplicative, _trend(recent, adjusted, sensitivity))

    def predictions(self, recent: list[Point], point: Point) -> list[float]:
        """What each point of ``recent`` says ``point``'s value should be."""
        target = point.time.weekday()
        found = []
        for p in recent:
            value = p.value
            if self.weekday_level:
                have = self.weekday_level.get(p.time.weekday(), self.overall)
                want = self.weekday_level.get(target, self.overall)
                value = value * want / have if self.multiplicative else value - have + want
            value += self.slope * (point.time - p.time).total_seconds()
            found.append(value)
        return found


def _weekly(
    recent: list[Point], point: Point, sensitivity: Sensitivity
) -> tuple[dict[int, float], float, bool]:
    """Each weekday's effect, when the series has a weekly pattern (else empty).

    A weekday's effect is the median of its points' ratios to their own week's median
    (their difference, when a week's median is zero): measured within weeks, it survives
    a change of level between weeks.
    """
    neutral_ratio = 1.0
    if point.time - recent[0].time < timedelta(weeks=sensitivity.season_weeks):
        return {}, neutral_ratio, False
    weeks: dict[tuple[int, int], list[float]] = {}
    for p in recent:
        weeks.setdefault(p.time.isocalendar()[:2], []).append(p.value)
    week_median = {week: statistics.median(v) for week, v in weeks.items() if len(v) >= 4}
    usable = [p for p in recent if p.time.isocalendar()[:2] in week_median]
    if not usable:
        return {}, neutral_ratio, False
    multiplicative = all(m > 0 for m in week_median.values())
    by_day: dict[int, list[float]] = {}
    for p in usable:
        middle = week_median[p.time.isocalendar()[:2]]
        relative = p.value / middle if multiplicative else p.value - middle
        by_day.setdefault(p.time.weekday(), []).append(relative)
    if len(by_day) < 2 or any(len(v) < 2 for v in by_day.values()):
        return {}, neutral_ratio, False
    effects = {day: statistics.median(v) for day, v in by_day.items()}
    neutral = 1.0 if multiplicative else 0.0
    scale = statistics.median(p.value for p in usable)
    residuals = [r - effects[day] for day, values in by_day.items() for r in values]
    within = max(
        MAD_SCALE * statistics.median(abs(r) for r in residuals),
        sensitivity.relative_floor * (1.0 if multiplicative else abs(scale)),
        sensitivity.absolute_floor if not multiplicative else 0.0,
    )
    if max(abs(e - neutral) for e in effects.values()) <= 3 * within:
        return {}, neutral, False
    return effects, neutral, multiplicative


def _trend(recent: list[Point], adjusted: list[float], sensitivity: Sensitivity) -> float:
    """The Theil–Sen slope (per second) of the weekly-adjusted values, if it matters."""
    n = len(recent)
    seconds = [(p.time - recent[0].time).total_seconds() for p in recent]
    slopes = [
        (adjusted[j] - adjusted[i]) / (seconds[j] - seconds[i])
        for i in range(n)
        for j in range(i + 1, n)
        if seconds[j] > seconds[i]
    ]
    if not slopes:
        return 0.0
    slope = statistics.median(slopes)
    level = statistics.median(adjusted)
    residuals = [a - slope * s for a, s in zip(adjusted, seconds, strict=True)]
    center = statistics.median(residuals)
    spread = max(
        MAD_SCALE * statistics.median(abs(r - center) for r in residuals),
        sensitivity.relative_floor * abs(level),
        sensitivity.absolute_floor,
    )
    return slope if abs(slope) * (seconds[-1] - seconds[0]) > 3 * spread else 0.0


def _center(values: Sequence[float], sensitivity: Sensitivity) -> tuple[float, float]:
    """Median and robust spread (never zero) of ``values``."""
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values)
    spread = max(
        MAD_SCALE * mad, sensitivity.relative_floor * abs(median), sensitivity.absolute_floor
    )
    return median, spread or 1e-12


def _cleaned(values: list[float], sensitivity: Sensitivity) -> list[float]:
    """``values`` without those beyond the threshold of the values themselves."""
    if len(values) < 3:
        return values
    median, spread = _center(values, sensitivity)
    return [v for v in values if abs(v - median) <= sensitivity.threshold * spread]


def _level_shift(predictions: list[float], sensitivity: Sensitivity) -> int | None:
    """How many trailing points are a new level (at least ``shift_points``), or None.

    The trailing points that all lie beyond the threshold of the ``min_history`` points just
    before them, on the same side, are the new level; the longest such run is the level
    since the shift.
    """
    threshold = sensitivity.threshold
    lookback = sensitivity.min_history
    found = None
    for run in range(sensitivity.shift_points, len(predictions) - lookback + 1):
        # The points just before the run: an older shift further back must not blur them.
        before = predictions[len(predictions) - run - lookback : len(predictions) - run]
        median, spread = _center(_cleaned(before, sensitivity), sensitivity)
        scores = [(v - median) / spread for v in predictions[-run:]]
        if all(z > threshold for z in scores) or all(z < -threshold for z in scores):
            found = run
        elif found is not None:
            break
    return found
