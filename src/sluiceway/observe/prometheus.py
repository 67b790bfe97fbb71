"""The Prometheus text exposition format (version 0.0.4), written by hand.

The format is a few lines per series, and writing it here keeps ``prometheus_client`` (and
its process-global registry, which a daemon and its tests would share) out of the runtime
dependencies. Tests parse the output with ``prometheus_client``'s own parser.

A family is rendered as ``# HELP``, ``# TYPE`` and its samples. A counter's samples end in
``_total`` and its ``TYPE`` line names them so, as ``prometheus_client`` writes them; a
histogram has cumulative ``_bucket{le=…}`` samples ending at ``+Inf``, then ``_sum`` and
``_count``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""What ``/metrics`` answers with."""

Kind = Literal["gauge", "counter", "histogram"]


@dataclass(frozen=True, slots=True)
class Sample:
    """One value of a family; ``suffix`` is ``_bucket``, ``_sum``, ``_count`` or empty."""

    labels: Mapping[str, str]
    value: float
    suffix: str = ""


@dataclass
class Family:
    """A metric name with its help text, type and samples."""

    name: str
    kind: Kind
    help: str
    samples: list[Sample] = field(default_factory=list)

    def add(self, value: float | None, **labels: str) -> None:
        """Add one sample; an unknown value (None) adds nothing rather than a made-up zero."""
        if value is not None:
            self.samples.append(Sample(labels, float(value)))

    def add_histogram(
        self,
        buckets: Sequence[float],
        counts: Sequence[int],
        total: float,
        **labels: str,
    ) -> None:
        """Add one histogram series: ``counts[i]`` observations ≤ ``buckets[i]`` (cumulative,
        ``buckets`` ending with ``inf``), and their ``total``."""
        if len(buckets) != len(counts) or not buckets or buckets[-1] != math.inf:
            raise ValueError("a histogram needs one count per bucket, the last bucket +Inf")
        for bound, count in zip(buckets, counts, strict=True):
            self.samples.append(Sample({**labels, "le": _bound(bound)}, float(count), "_bucket"))
        self.samples.append(Sample(dict(labels), float(total), "_sum"))
        self.samples.append(Sample(dict(labels), float(counts[-1]), "_count"))


def render(families: Iterable[Family]) -> str:
    """The exposition text of ``families``; families without samples are left out."""
    lines: list[str] = []
    for family in families:
        if not family.samples:
            continue
        name = family.name + ("_total" if family.kind == "counter" else "")
        lines.append(f"# HELP {name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {name} {family.kind}")
        for sample in family.samples:
            lines.append(
                f"{name if not sample.suffix else family.name + sample.suffix}"
                f"{_labels(sample.labels)} {_number(sample.value)}"
            )
    return "\n".join(lines) + "\n" if lines else ""


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{key}="{_escape_label(str(value))}"' for key, value in labels.items())
    return "{" + inner + "}"


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _bound(bound: float) -> str:
    """A bucket's ``le`` as ``prometheus_client`` writes it (``1.0``, ``0.5``, ``+Inf``), so
    series keep their identity if an exporter is swapped for the other."""
    return "+Inf" if math.isinf(bound) else repr(float(bound))


def _number(value: float) -> str:
    """A sample value as Prometheus writes it: ``+Inf``, ``NaN``, ``3`` or ``0.25``."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)
