"""Lineage sent over HTTP by the sink running beside the runs, as in ``sluiceway serve``:
a receiver that hangs or is down never slows a run, and once it is back every event
arrives — each run's and step's start and end, possibly more than once but identical."""

from __future__ import annotations

import logging
import socket
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from sluiceway.events.sinks import RetryPolicy, openlineage_sink
from sluiceway.meta.store import open_project_store
from sluiceway.orchestrate.runner import run_pipeline
from sluiceway.spec.project import load_project
from support.openlineage import Receiver, validate

pytestmark = pytest.mark.slow

KEY = "k3y-v4lue-never-logged"
FAST = RetryPolicy(attempts=2, first_delay=0.05, max_delay=0.2, pause=0.3)


def _project(root: Path, port: int) -> Path:
    (root / "pipelines").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text(
        "name: hub\n"
        "openlineage:\n"
        f"  url: http://127.0.0.1:{port}\n"
        "  api_key: ${env:OL_KEY}\n"
        "  timeout: 1s\n"
    )
    (root / "pipelines" / "chain.yaml").write_text(
        "name: chain\nsteps:\n"
        "  - {name: first, type: sql, query: 'select range as n from range(5)', table: raw.a}\n"
        "  - {name: second, type: sql, query: 'select n * 2 as m from raw.a', table: raw.b}\n"
    )
    return root


def _hung_receiver(port: int) -> socket.socket:
    """Accepts connections (the kernel does) and never answers: every request times out."""
    hung = socket.socket()
    hung.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hung.bind(("127.0.0.1", port))
    hung.listen(64)
    return hung


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_receiver_down_delays_no_run_and_gets_every_event_when_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port = _free_port()
    root = _project(tmp_path / "hub", port)
    project = load_project(root, environ={})
    hung = _hung_receiver(port)
    receiver: Receiver | None = None
    with open_project_store(project, environ={}) as store:
        sink = openlineage_sink(project, store, policy=FAST, environ={"OL_KEY": KEY})
        assert sink is not None
        sink.start()
        try:
            # Each request hangs for the 1 s timeout, twice per round: a run waiting for
            # its 6 events would take well over 10 s.
            started = time.monotonic()
            report = run_pipeline(project, "chain", store)
            took = time.monotonic() - started
            assert report.status == "succeeded"
            assert took < 8, f"the run took {took:.1f} s with the receiver hanging"
            deadline = time.monotonic() + 10
            while sink.last_error is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert "not delivered" in (sink.last_error or "")
            assert "timed out" in (sink.last_error or "")
            time.sleep(1)
            assert sink.pending() == 6  # nothing passed over, the cursor did not move
            assert store.events.cursor("openlineage") == 0

            # The receiver comes back on the same address.
            hung.close()
            receiver = Receiver(port)
            assert receiver.wait_for(6, timeout=30), receiver.events
            deadline = time.monotonic() + 10
            while sink.pending() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert sink.pending() == 0

            # A second run goes through at once.
            second = run_pipeline(project, "chain", store)
            assert receiver.wait_for(12, timeout=30)
        finally:
            sink.stop()
            hung.close()

        # A sink started again (the daemon restarted) resumes at its cursor: nothing is
        # sent twice, and new runs are sent.
        assert receiver is not None
        received = len(receiver.events)
        again = openlineage_sink(project, store, policy=FAST, environ={"OL_KEY": KEY})
        assert again is not None
        again.start()
        try:
            time.sleep(0.5)
            assert len(receiver.events) == received
            third = run_pipeline(project, "chain", store)
            assert receiver.wait_for(received + 6, timeout=30)
        finally:
            again.stop()
        receiver.close()

    events = receiver.events
    assert all(not validate(e) for e in events), [validate(e) for e in events][:3]
    copies: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        copies[(event["run"]["runId"], event["eventType"])].append(event)
    # At least once: a copy is always the same event (same run id, same event time).
    assert all(all(c == group[0] for c in group) for group in copies.values())
    for run in (report, second, third):
        assert (run.run_id, "START") in copies and (run.run_id, "COMPLETE") in copies
    kinds = {key[1] for key in copies}
    assert kinds == {"START", "COMPLETE"}
    assert len(copies) == 3 * 6
    assert {h["Authorization"] for h in receiver.headers} == {f"Bearer {KEY}"}
    assert KEY not in caplog.text
