"""Acceptance: two consumer processes, one killed with SIGKILL mid-way and restarted.

10,000 events are appended in batches by two concurrent producers while two consumers,
each in its own process, handle them. Consumer ``a`` is killed (SIGKILL) once it has
recorded at least 3,000 deliveries, then restarted. Every delivery is recorded durably
(fsync) before the cursor moves. For each consumer we check:

* no loss: every event in the log was delivered;
* at-least-once with bounded redelivery: a restarted process re-handles only a suffix of
  what the killed one recorded (the batch whose cursor move the kill prevented);
* order: the deduplicated delivery sequence is strictly increasing.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sluiceway.events import EventLog, GenericEvent
from sluiceway.meta.store import open_store

WORKER = Path(__file__).with_name("crash_consumer.py")
PRODUCERS, BATCHES, BATCH = 2, 50, 100  # 10,000 events
KILL_AFTER = 3000


def _deliveries(path: Path) -> list[int]:
    if not path.exists():
        return []
    text = path.read_text(encoding="ascii")
    lines = text.split("\n")
    return [int(line) for line in lines[:-1]]  # a torn last line (no newline) is not a record


def _start(url: str, name: str, output: Path, delay: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(WORKER), url, name, str(output), str(delay)])


def _produce(url: str) -> None:
    with open_store(url) as store:
        log = EventLog(store)
        for b in range(BATCHES):
            log.append_many(
                [GenericEvent(type="test.ping", data={"b": b, "n": n}) for n in range(BATCH)]
            )
            time.sleep(0.002)


def _check(name: str, runs: list[list[int]], expected: list[int]) -> None:
    everything = [event_id for run in runs for event_id in run]
    assert set(everything) == set(expected), f"{name}: events lost"
    for run in runs:
        assert run == sorted(set(run)), f"{name}: out of order or repeated within one process"
    for before, after in itertools.pairwise(runs):
        redelivered = [event_id for event_id in after if event_id in set(before)]
        assert redelivered == before[len(before) - len(redelivered) :], (
            f"{name}: redelivered events are not a suffix of the killed process's deliveries"
        )
        assert after[: len(redelivered)] == redelivered, f"{name}: redelivery not first"
        fresh = after[len(redelivered) :]
        if fresh and before:  # the restart resumes right after the killed process's last id
            assert fresh[0] == before[-1] + 1, f"{name}: restart skipped or repeated events"
    deduplicated = list(dict.fromkeys(everything))
    assert deduplicated == sorted(deduplicated) == expected, f"{name}: order not preserved"


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_consumers_survive_sigkill_without_loss(metadata_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    outputs = {
        "a": [tmp_path / "a-0.log", tmp_path / "a-1.log"],
        "b": [tmp_path / "b-0.log"],
    }
    consumer_a = _start(metadata_url, "a", outputs["a"][0], delay=0.02)
    consumer_b = _start(metadata_url, "b", outputs["b"][0], delay=0.0)
    processes = [consumer_a, consumer_b]
    try:
        producers = [threading.Thread(target=_produce, args=(metadata_url,)) for _ in range(2)]
        for producer in producers:
            producer.start()

        deadline = time.monotonic() + 60
        while len(_deliveries(outputs["a"][0])) < KILL_AFTER:
            assert time.monotonic() < deadline, "consumer a never reached the kill point"
            assert consumer_a.poll() is None, "consumer a exited before being killed"
            time.sleep(0.005)
        time.sleep(random.uniform(0, 0.03))  # land anywhere in the handle/write/commit cycle
        os.kill(consumer_a.pid, signal.SIGKILL)
        assert consumer_a.wait(timeout=10) == -signal.SIGKILL
        restarted = _start(metadata_url, "a", outputs["a"][1], delay=0.0)
        processes.append(restarted)

        for producer in producers:
            producer.join()
        with open_store(metadata_url) as store:
            done = EventLog(store).append(GenericEvent(type="test.done"))
        assert done.id is not None
        assert restarted.wait(timeout=60) == 0
        assert consumer_b.wait(timeout=60) == 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()

    expected = list(range(1, done.id + 1))  # the migration event, 10,000 pings, done
    assert len(expected) == PRODUCERS * BATCHES * BATCH + 2
    runs_a = [_deliveries(path) for path in outputs["a"]]
    assert KILL_AFTER <= len(runs_a[0]) < len(expected), "the kill did not land mid-way"
    print(f"a: killed after {len(runs_a[0])}, redelivered {len(set(runs_a[0]) & set(runs_a[1]))}")
    _check("a", runs_a, expected)
    _check("b", [_deliveries(path) for path in outputs["b"]], expected)
    assert time.monotonic() - started < 30
