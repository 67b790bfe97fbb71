"""The thread every polling watcher runs on: start at once, stop promptly, survive errors.

A watcher's loop body may fail for reasons that pass (the metadata store restarting, the
object store timing out). Dying would silently stop a trigger, so the loop logs the error
(never a secret: errors from the store and storage layers mask credentials), waits
``retry_delay`` and tries again; ``last_error`` shows what went wrong to a health check.
"""

from __future__ import annotations

import logging
import threading

from sluiceway.orchestrate.triggers.clock import Clock, SystemClock

log = logging.getLogger(__name__)

DEFAULT_RETRY_DELAY = 5.0


class LoopWatcher:
    """Base of a watcher that repeats ``_step`` on its own thread until stopped.

    Subclasses implement :meth:`_step`, which does one round of work and returns how many
    seconds to wait before the next (on the watcher's clock), and may override
    :meth:`_prepare` (runs in ``start()``, where a configuration error should surface) and
    :meth:`_cleanup` (runs on the thread after the last round).
    """

    name: str = "watcher"

    def __init__(self, *, clock: Clock | None = None, retry_delay: float = DEFAULT_RETRY_DELAY):
        self.clock: Clock = clock or SystemClock()
        self.retry_delay = retry_delay
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start watching on a daemon thread; returns at once. A second call does nothing."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop = threading.Event()
            self._prepare()
            self._thread = threading.Thread(
                target=self._loop, name=f"sluiceway-{self.name}", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to stop and join it (up to ``timeout`` s). Safe to call twice."""
        with self._lock:
            self._stop.set()
            self._wake()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("%s did not stop within %.1f s", self.name, timeout)

    @property
    def running(self) -> bool:
        """True while the watcher's thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    @property
    def stopping(self) -> bool:
        """True once ``stop()`` was called: long rounds check it between items."""
        return self._stop.is_set()

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    delay = self._step()
                    self.last_error = None
                except Exception as exc:
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning(
                        "%s failed, retrying in %.0f s: %s", self.name, self.retry_delay, exc
                    )
                    delay = self.retry_delay
                if self._stop.is_set() or self.clock.wait(self._stop, delay):
                    break
        finally:
            self._cleanup()

    def _prepare(self) -> None:
        """Check configuration and acquire resources before the thread starts."""

    def _step(self) -> float:
        """One round of work; returns the seconds to wait before the next."""
        raise NotImplementedError

    def _wake(self) -> None:
        """Interrupt a blocking call other than the clock's wait (e.g. a queue get)."""

    def _cleanup(self) -> None:
        """Release resources; runs on the watcher's thread when it ends."""
