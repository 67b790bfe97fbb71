"""How long ``sluiceway --help`` takes, against a bare interpreter start.

Target (issue: foundation): under 0.5 s. Runs both commands alternately, reports medians and
the platform's cost above the interpreter, and writes ``benchmarks/results/cli_startup.md``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe

ROUNDS = 15
COMMANDS = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "sluiceway --help": [sys.executable, "-m", "sluiceway.cli.main", "--help"],
}


def main() -> None:
    """Time each command ROUNDS times, alternating, and print medians."""
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(ROUNDS):
        for name, argv in COMMANDS.items():
            started = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            times[name].append(time.perf_counter() - started)
    base, cli = (statistics.median(times[n]) for n in COMMANDS)
    lines = [
        "# CLI start-up",
        "",
        f"Machine: {describe()}. {ROUNDS} alternating rounds, medians.",
        "",
        "| command | median | p90 |",
        "|---|---|---|",
    ]
    for name, samples in times.items():
        p90 = statistics.quantiles(samples, n=10)[-1]
        lines.append(
            f"| `{name}` | {statistics.median(samples) * 1000:.0f} ms | {p90 * 1000:.0f} ms |"
        )
    lines += [
        "",
        f"`sluiceway --help` median {cli * 1000:.0f} ms (target < 500 ms); "
        f"{(cli - base) * 1000:.0f} ms above the bare interpreter, ratio {cli / base:.1f}×.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    out = Path(__file__).parent / "results" / "cli_startup.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report)


if __name__ == "__main__":
    main()
