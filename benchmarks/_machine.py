"""Describe the machine a benchmark ran on, for the results files."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime


def describe() -> str:
    """One Markdown line: date, CPU count and model, memory, OS and Python."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = "unknown"
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    return (
        f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores ({model}), {memory} RAM, "
        f"{platform.system()} {platform.release()}, Python {sys.version.split()[0]}"
    )
