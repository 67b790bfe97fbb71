"""What one step costs the process running it: CPU time and peak memory.

Measured around the step's executor. In a worker process the step is alone, so the figures
are the step's own; in a run's own process they include what runs beside it (the previous
step's background profile), which is why the worker figures are the ones to trust.
"""

from __future__ import annotations

import contextlib
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


@dataclass
class Usage:
    """CPU seconds (user + system, every thread) and peak resident memory in MiB."""

    cpu_s: float
    peak_rss_mb: float


class Meter:
    """Start before a step, :meth:`stop` after it."""

    def __init__(self) -> None:
        _reset_peak()
        self._cpu = time.process_time()

    def stop(self) -> Usage:
        """The usage since the meter started."""
        return Usage(round(time.process_time() - self._cpu, 3), round(_peak_mb(), 1))


def _reset_peak() -> None:
    """Make the process's high-water mark its current size (Linux); elsewhere a no-op."""
    with contextlib.suppress(OSError):
        _CLEAR_REFS.write_text("5")


def _peak_mb() -> float:
    """The resident high-water mark since the last reset (Linux), else since start."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024
