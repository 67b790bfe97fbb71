"""Anomaly detection on synthetic metric series with planted anomalies: recall and false alarms.

Target (issue: quality gates): recall ≥ 90% of the planted anomalies and false positives
≤ 2% of the normal points, reported. A plain mean ± 3σ detector over the same history
(``naive``) runs beside, on the same series, for scale.

The series imitate what the platform watches, one point a day for 140 days:

* ``rows``: rows added per commit, around a level between 1e3 and 1e6, 2–10% noise;
* ``weekly``: the same with a weekly pattern (weekends at 20–70% of weekdays);
* ``trend``: rows growing 0.2–1% a day;
* ``nulls``: a null fraction around 0.2–5%, binomial noise on 50,000 rows;
* ``duration``: a step's seconds, log-normal noise (long right tail).

Planted anomalies, after a warm-up of 35 days, each at least 6 noise deviations from what
the day should have been (so a person looking at the chart would call it one): ``spike``
(up), ``drop`` (down, to as low as zero) and ``shift`` (a lasting change of level). A spike
or a drop is one labelled point. A level shift labels its first point; the next
``shift_points - 1`` points are a transition that counts neither way (the detector is still
confirming the new level); later points are normal again.

Every point after the first 10 days is judged with only the points before it, as it would be
in production. Recall = labelled points flagged / labelled points; false-positive rate =
flags on normal points / normal points judged.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe

from sluiceway.quality.anomaly import Point, Sensitivity, detect

DAYS = 140
WARM_UP = 35
JUDGED_FROM = 10
START = datetime(2026, 1, 5, tzinfo=UTC)
KINDS = ("rows", "weekly", "trend", "nulls", "duration")
RESULTS = Path(__file__).parent / "results" / "anomaly.md"


@dataclass
class Series:
    """One synthetic series: values, labels and the transition points to ignore."""

    kind: str
    values: list[float]
    labels: dict[int, str] = field(default_factory=dict)
    ignored: set[int] = field(default_factory=set)


def sensitivity_for(kind: str) -> Sensitivity:
    """What the platform uses for each kind of metric (``sluiceway.quality.metrics``)."""
    from sluiceway.quality.metrics import sensitivity

    return sensitivity(
        {"nulls": "column.null_fraction", "duration": "step.duration_s"}.get(
            kind, "table.rows_added"
        )
    )


def make_series(kind: str, rng: random.Random, shift_points: int) -> Series:
    """A series of ``kind`` with 1–3 planted anomalies."""
    level = 10 ** rng.uniform(3, 6)
    noise = rng.uniform(0.02, 0.10)
    weekend = rng.uniform(0.2, 0.7)
    growth = rng.uniform(0.002, 0.01)
    fraction = rng.uniform(0.002, 0.05)
    seconds = rng.uniform(5, 600)
    sigma = rng.uniform(0.05, 0.2)

    def expected(day: int, base_level: float) -> float:
        weekday = (START + timedelta(days=day)).weekday()
        if kind == "weekly":
            return base_level * (weekend if weekday >= 5 else 1.0)
        if kind == "trend":
            return base_level * (1 + growth) ** day
        return base_level

    def noisy(mean: float) -> float:
        if kind == "nulls":
            n = 50_000
            sd = math.sqrt(mean * (1 - mean) / n)
            return min(1.0, max(0.0, rng.gauss(mean, sd)))
        if kind == "duration":
            return mean * math.exp(rng.gauss(0, sigma))
        return max(0.0, rng.gauss(mean, mean * noise))

    def deviation(mean: float) -> float:
        """One noise deviation at ``mean`` (for sizing anomalies)."""
        if kind == "nulls":
            return math.sqrt(mean * (1 - mean) / 50_000)
        if kind == "duration":
            return mean * sigma
        return mean * noise

    base = {"nulls": fraction, "duration": seconds}.get(kind, level)
    values: list[float] = []
    labels: dict[int, str] = {}
    ignored: set[int] = set()
    events: dict[int, str] = {}
    day = WARM_UP + rng.randrange(0, 10)
    while day < DAYS - 10 and len(events) < 3:
        events[day] = rng.choice(("spike", "drop", "shift"))
        day += rng.randrange(12, 30)
    for day in range(DAYS):
        mean = expected(day, base)
        event = events.get(day)
        value = noisy(mean)
        if event is not None:
            size = rng.uniform(6, 25) * deviation(mean)
            if event == "spike":
                value = mean + size
            elif event == "drop":
                value = max(0.0, mean - size)
                if value >= mean - 6 * deviation(mean):  # a floor at zero can eat a drop
                    event = None
            else:
                up = rng.random() < 0.5 or kind == "nulls"
                new = base + size if up else max(base * 0.05, base - size)
                if abs(new - base) < 6 * deviation(mean):
                    event = None
                else:
                    base = new
                    value = noisy(expected(day, base))
                    for later in range(day + 1, min(DAYS, day + shift_points)):
                        ignored.add(later)
            if event is not None:
                labels[day] = event
        values.append(value if kind != "nulls" else min(1.0, value))
    return Series(kind, values, labels, ignored)


def naive(history: list[Point], point: Point) -> bool:
    """mean ± 3σ of the whole history: what a first attempt usually is."""
    if len(history) < 10:
        return False
    values = [p.value for p in history]
    mean, sd = statistics.fmean(values), statistics.pstdev(values)
    return abs(point.value - mean) > 3 * sd if sd else point.value != mean


@dataclass
class Score:
    """Counts of one detector over many series."""

    found: dict[str, list[int]] = field(default_factory=dict)
    false_flags: int = 0
    normal: int = 0
    seconds: float = 0.0

    def recall(self, kind: str | None = None) -> float:
        pairs = [v for k, v in self.found.items() if kind is None or k == kind]
        hit = sum(v[0] for v in pairs)
        total = sum(v[1] for v in pairs)
        return hit / total if total else float("nan")

    @property
    def false_positive_rate(self) -> float:
        return self.false_flags / self.normal if self.normal else 0.0


def judge(series: Series, detector: Callable[[list[Point], Point], bool], score: Score) -> None:
    """Run ``detector`` over one series, point by point, and count."""
    points = [Point(START + timedelta(days=i), v) for i, v in enumerate(series.values)]
    started = time.perf_counter()
    for i in range(JUDGED_FROM, len(points)):
        flagged = detector(points[:i], points[i])
        label = series.labels.get(i)
        if label is not None:
            hit, total = score.found.setdefault(label, [0, 0])
            score.found[label] = [hit + int(flagged), total + 1]
        elif i not in series.ignored:
            score.normal += 1
            score.false_flags += int(flagged)
    score.seconds += time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=100, help="series per kind")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    shift_points = Sensitivity().shift_points
    platform, baseline = Score(), Score()
    by_kind: dict[str, tuple[Score, Score]] = {k: (Score(), Score()) for k in KINDS}
    for kind in KINDS:
        sensitivity = sensitivity_for(kind)
        for _ in range(args.series):
            series = make_series(kind, rng, shift_points)
            for detector, scores in (
                (
                    lambda h, p, s=sensitivity: detect(h, p, s).anomalous,
                    (platform, by_kind[kind][0]),
                ),
                (naive, (baseline, by_kind[kind][1])),
            ):
                for score in scores:
                    judge(series, detector, score)
    lines = [
        "# Anomaly detection on synthetic series",
        "",
        f"Produced by `.venv/bin/python benchmarks/anomaly.py --series {args.series} "
        f"--seed {args.seed}`: {args.series} series of {DAYS} daily points per kind, "
        f"{len(KINDS) * args.series} in all (see the script's docstring for how they are made).",
        "",
        f"Machine: {describe()}.",
        "",
        "| detector | recall | spikes | drops | level shifts | false positives | per point |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, score in (("platform (median/MAD, weekly)", platform), ("naive mean ± 3σ", baseline)):
        judged = score.normal + sum(v[1] for v in score.found.values())
        lines.append(
            f"| {name} | {score.recall():.1%} | {score.recall('spike'):.1%} | "
            f"{score.recall('drop'):.1%} | {score.recall('shift'):.1%} | "
            f"{score.false_positive_rate:.2%} ({score.false_flags} of {score.normal}) | "
            f"{score.seconds / judged * 1e6:.0f} µs |"
        )
    lines += ["", "By kind of series (platform; naive in brackets):", ""]
    lines += ["| series | recall | false positives |", "|---|---:|---:|"]
    for kind, (mine, theirs) in by_kind.items():
        lines.append(
            f"| {kind} | {mine.recall():.1%} ({theirs.recall():.1%}) | "
            f"{mine.false_positive_rate:.2%} ({theirs.false_positive_rate:.2%}) |"
        )
    recall, fpr = platform.recall(), platform.false_positive_rate
    verdict = "met" if recall >= 0.90 and fpr <= 0.02 else "missed"
    lines += [
        "",
        f"Target: recall ≥ 90% and false positives ≤ 2% of normal points: **{verdict}** "
        f"(recall {recall:.1%}, false positives {fpr:.2%}).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
