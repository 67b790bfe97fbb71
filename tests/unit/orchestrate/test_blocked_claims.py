"""A run waiting for a table another run writes: it waits for a live run, and not for one
whose process is gone from this machine."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

from sluiceway.meta.store import MetaStore
from sluiceway.orchestrate.runner import claim_when_free

LEASE = timedelta(seconds=30)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # exited and reaped: the pid names no process now
    return child.pid


def test_a_blocker_whose_process_is_gone_does_not_hold_the_table(store: MetaStore) -> None:
    dead = f"run:{socket.gethostname()}:{_dead_pid()}:abc123"
    killed = store.runs.create("ingest", "prod", writes=["raw.orders"])
    assert store.runs.claim(killed.id, dead, LEASE) is not None
    again = store.runs.create("ingest", "prod", writes=["raw.orders"])

    started = time.monotonic()
    claimed = claim_when_free(store, again, "run:me", poll=0.05)

    assert claimed.status == "running" and claimed.lease_owner == "run:me"
    assert time.monotonic() - started < 5  # not the 30 s lease
    orphan = store.runs.require(killed.id)
    assert orphan.status == "running"  # an orphan now, for a worker to recover
    assert store.runs.orphaned()[0].id == killed.id


def test_a_blocker_whose_process_lives_is_waited_for(store: MetaStore) -> None:
    alive = f"run:{socket.gethostname()}:1:abc123"  # pid 1 lives as long as the machine
    holder = store.runs.create("ingest", "prod", writes=["raw.orders"])
    assert store.runs.claim(holder.id, alive, LEASE) is not None
    waiting = store.runs.create("ingest", "prod", writes=["raw.orders"])
    claimed: list[object] = []
    thread = threading.Thread(
        target=lambda: claimed.append(claim_when_free(store, waiting, "run:me", poll=0.05))
    )
    thread.start()
    time.sleep(0.5)
    assert claimed == [] and store.runs.require(waiting.id).status == "queued"
    store.runs.transition(holder.id, "succeeded")
    thread.join(timeout=10)
    assert len(claimed) == 1
