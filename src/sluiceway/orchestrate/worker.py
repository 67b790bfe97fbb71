"""Workers: take runs from the queue, one at a time, and execute them.

A worker claims the oldest run that is ready (queued and past its start time, or running
with an expired lease: its worker died) and allowed to start:

* its pipeline has fewer running runs than its ``max_concurrent_runs``;
* no running run writes a table it writes: two runs never write one table at once, so
  the second waits instead of racing the first's commits.

The claim is a compare-and-set in the metadata store, so two workers (threads, processes,
machines) never execute the same run; the lease the worker then renews is what lets another
worker recover the run when this one dies. Steps execute in the worker processes of a
shared :class:`~sluiceway.orchestrate.workers.ProcessSteps` pool (or in this process).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from typing import TYPE_CHECKING

from sluiceway.orchestrate.execution import LEASE
from sluiceway.orchestrate.step_run import error_text

if TYPE_CHECKING:
    from collections.abc import Callable

    from sluiceway.meta.runs import Run
    from sluiceway.meta.store import MetaStore
    from sluiceway.orchestrate.workers import StepRunner
    from sluiceway.spec.project import Project

log = logging.getLogger(__name__)

IDLE_WAIT = 0.2
"""Seconds a worker waits for news between looks at the queue."""


class Worker:
    """Claims and executes runs until stopped; finishes the run in hand before stopping."""

    def __init__(
        self,
        project: Callable[[], Project],
        store: MetaStore,
        owner: str,
        *,
        runner: StepRunner | None = None,
        engine: str | None = None,
        wake: threading.Event | None = None,
    ) -> None:
        self.project = project
        self.store = store
        self.owner = owner
        self.runner = runner
        self.engine = engine
        self.wake = wake or threading.Event()
        self.busy = threading.Event()
        self.runs_done = 0

    def run_forever(self, stop: threading.Event) -> None:
        """Claim and execute runs until ``stop`` is set (the current run is finished)."""
        while not stop.is_set():
            if not self.step():
                self.wake.wait(IDLE_WAIT)
                self.wake.clear()

    def step(self) -> bool:
        """Claim and execute one run if one is ready; True if one was executed."""
        from sluiceway.orchestrate.runner import execute_claimed

        project = self.project()
        run = self.claim_next(project)
        if run is None:
            return False
        self.busy.set()
        try:
            execute_claimed(project, self.store, run, engine=self.engine, runner=self.runner)
        except Exception as exc:  # recorded as the run's failure by execute_claimed
            log.warning("run %s of %s failed: %s", run.id, run.pipeline, error_text(exc))
        finally:
            self.busy.clear()
            self.runs_done += 1
        return True

    def claim_next(self, project: Project) -> Run | None:
        """The oldest ready run this worker may start, claimed; None if there is none."""
        from sluiceway.meta.runs import RunRepo

        runs = RunRepo(self.store)
        running = runs.running()
        for run in running:
            # A run whose worker process is gone from this very machine need not wait for
            # its lease to run out: take it over now.
            if run.lease_owner and owner_is_dead(run.lease_owner):
                taken = runs.take_over(run.id, run.lease_owner, self.owner, LEASE)
                if taken is not None:
                    log.info("recovering run %s of %s from a stopped worker (attempt %s)",
                             run.id, run.pipeline, taken.attempt)  # fmt: skip
                    return taken
        candidates = runs.orphaned() + runs.ready()
        for run in candidates:
            if run.pipeline not in project.pipelines:
                self._refuse(run, f"the project has no pipeline {run.pipeline!r} any more")
                continue
            orphan = run.status == "running"
            limit = project.pipelines[run.pipeline].max_concurrent_runs
            # The claim itself waits out runs writing the same tables and the pipeline's
            # limit, atomically: checking here first would race the other workers.
            claimed = runs.claim(run.id, self.owner, LEASE, limit=limit)
            if claimed is not None:
                if orphan:
                    log.info("recovering run %s of %s (attempt %s)", run.id, run.pipeline,
                             claimed.attempt)  # fmt: skip
                return claimed
        return None

    def _refuse(self, run: Run, reason: str) -> None:
        from sluiceway.meta.errors import InvalidTransitionError
        from sluiceway.meta.runs import RunRepo

        with contextlib.suppress(InvalidTransitionError):
            RunRepo(self.store).transition(run.id, "failed", error=reason)


def owner_is_dead(owner: str) -> bool:
    """Whether a lease owner (``role:host:pid:tag``) is a process of this host that is gone."""
    parts = owner.split(":")
    if len(parts) != 4 or parts[1] != socket.gethostname() or not parts[2].isdigit():
        return False
    pid = int(parts[2])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
