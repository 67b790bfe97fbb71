"""Wake-ups: in-process waiters wake at once; other processes via NOTIFY or polling."""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time

from sluiceway.events import EventLog
from sluiceway.events.notify import Subscription, announce, wait_for
from sluiceway.events.types import RunStarted


def test_wait_returns_at_once_for_an_id_already_announced() -> None:
    announce("test://already", 5)
    assert wait_for("test://already", 4, timeout=0) is True
    assert wait_for("test://already", 5, timeout=0.01) is False


def test_in_process_wake_up_latency_is_small(store) -> None:
    log = EventLog(store)
    latencies = []
    for _ in range(30):
        latest = log.latest_id()
        woken = threading.Event()
        woke_at: list[float] = []

        def waiter(
            after: int = latest, woken: threading.Event = woken, woke_at: list[float] = woke_at
        ) -> None:
            if wait_for(store.key, after, timeout=5):
                woke_at.append(time.perf_counter())
            woken.set()

        thread = threading.Thread(target=waiter)
        thread.start()
        started = time.perf_counter()
        log.append(RunStarted())
        woken.wait(5)
        thread.join()
        latencies.append(woke_at[0] - started)
    assert statistics.median(latencies) < 0.05  # append + wake-up, well under 50 ms


APPENDER = """
import sys, time
from sluiceway.events import EventLog
from sluiceway.events.types import RunStarted
from sluiceway.meta.store import open_store
time.sleep(0.5)
with open_store(sys.argv[1]) as store:
    print(EventLog(store).append(RunStarted(run_id="other-process")).id, flush=True)
"""


def test_appends_from_another_process_wake_subscribers(store, metadata_url: str) -> None:
    log = EventLog(store)
    latest = log.latest_id()
    with Subscription(store) as subscription:
        child = subprocess.Popen(
            [sys.executable, "-c", APPENDER, metadata_url], stdout=subprocess.PIPE, text=True
        )
        try:
            waited = time.perf_counter()
            woke = subscription.wait(latest, timeout=15)
            waited = time.perf_counter() - waited
            out, _ = child.communicate(timeout=15)
        finally:
            child.kill()
    assert woke
    appended_id = int(out.strip())
    assert [e.run_id for e in log.read(after_id=latest)] == ["other-process"]
    assert log.latest_id() == appended_id
    assert waited < 10  # woken by the append (after the child's 0.5 s), not by the timeout
