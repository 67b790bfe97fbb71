"""The OpenLineage sink: a consumer of the event log that sends lineage, never in the way.

Runs never wait for lineage. The sink reads the log with its own durable cursor
(``openlineage``) on its own thread in ``sluiceway serve``, or after the run with
:func:`drain_openlineage` in ``sluiceway run``; a run only appends its events, as it
always does.

Nothing is lost while a receiver is down. Each event is tried ``1 + retries`` times with
exponential backoff; if it still fails, the sink waits ``pause`` seconds and starts over
with the same event — the cursor never moves past an event some transport has not
taken. The only events passed over are those a receiver rejects as such (HTTP 400, 413,
422: sending them again cannot work); they are logged with the reason. Delivery is at
least once: after a crash, the events of the batch in hand are sent again, identical
(same run ids and event times), which OpenLineage receivers treat as one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sluiceway.events.consumer import IDLE_WAIT, Consumer
from sluiceway.events.errors import HandlerFailedError
from sluiceway.events.log import EventLog
from sluiceway.events.notify import Subscription
from sluiceway.events.sinks.openlineage_delivery import Delivery, RetryPolicy
from sluiceway.events.sinks.openlineage_facets import Json
from sluiceway.events.sinks.openlineage_facts import MetaFacts, NotReadyError
from sluiceway.events.sinks.openlineage_mapping import MAPPED_TYPES, LineageMapper
from sluiceway.events.sinks.openlineage_transports import (
    DeliveryError,
    FileTransport,
    HttpTransport,
    Transport,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sluiceway.events.base import Event
    from sluiceway.meta.store import MetaStore
    from sluiceway.spec.project import Project

log = logging.getLogger(__name__)

CONSUMER = "openlineage"
PENDING_LIMIT = 10_000
"""Pending events counted at most (a backlog beyond is reported as at least this)."""


@dataclass(frozen=True)
class DrainReport:
    """What :meth:`OpenLineageSink.drain` achieved.

    Attributes:
        delivered: OpenLineage events handed to the transports.
        rejected: events a receiver refused for good (logged, then passed over).
        pending: our events still to send (at least this many when ``PENDING_LIMIT``);
            None when the metadata store could not say.
        error: why the sink stopped short, when it did.
    """

    delivered: int
    rejected: int
    pending: int | None
    error: str | None = None

    @property
    def complete(self) -> bool:
        """True when nothing is left to send."""
        return self.pending == 0


class OpenLineageSink:
    """Sends the lineage of every run and step to ``transports`` (see the module doc).

    Has the daemon's watcher shape: ``name``, ``start()``, ``stop(timeout)``.

    Args:
        store: the metadata store whose event log is read.
        mapper: turns events into OpenLineage events.
        transports: where each event goes (every one of them gets every event).
        policy: retries and waits.
        batch_size: events read between two cursor moves.
        consumer: the cursor's name.
    """

    name = "openlineage"

    def __init__(
        self,
        store: MetaStore,
        mapper: LineageMapper,
        transports: Sequence[Transport],
        *,
        policy: RetryPolicy | None = None,
        batch_size: int = 100,
        consumer: str = CONSUMER,
    ) -> None:
        self.store = store
        self.mapper = mapper
        self.policy = policy or RetryPolicy()
        self.log = EventLog(store)
        self.consumer = Consumer(
            self.log,
            consumer,
            self._handle,
            batch_size=batch_size,
            types=MAPPED_TYPES,
            before_commit=self._flush,
        )
        self._stop = threading.Event()
        self._delivery = Delivery(transports, self.policy, self._stop)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._mapped: tuple[int, list[Json]] | None = None

    @property
    def delivered(self) -> int:
        """OpenLineage events a transport took, since the sink was made."""
        return self._delivery.delivered

    @property
    def rejected(self) -> int:
        """OpenLineage events a receiver refused for good (logged and passed over)."""
        return self._delivery.rejected

    @property
    def last_error(self) -> str | None:
        """Why the latest try failed; None once events go through again."""
        return self._delivery.last_error

    # --- the daemon's side ------------------------------------------------------------

    def start(self) -> None:
        """Start sending on a daemon thread; returns at once. A second call does nothing."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._loop, name=f"sluiceway-{self.name}", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (a retry wait ends at once) and close the transports."""
        with self._lock:
            self._stop.set()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("%s did not stop within %.1f s", self.name, timeout)
        self._delivery.close()

    @property
    def running(self) -> bool:
        """True while the sink's thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    # --- the CLI's side ---------------------------------------------------------------

    def drain(self, timeout: float = 10.0) -> DrainReport:
        """Send what the log holds now, for at most ``timeout`` seconds; never raises.

        With the sink's thread running, waits for it to catch up instead. What is left
        (a receiver down) stays behind the cursor for the next drain or the daemon.
        """
        deadline = time.monotonic() + timeout
        before_delivered, before_rejected = self.delivered, self.rejected
        pending: int | None = None
        try:
            if self.running:
                while not self._caught_up() and time.monotonic() < deadline:
                    time.sleep(0.05)
            else:
                self._delivery.deadline = deadline
                try:
                    self._drain_until(deadline)
                finally:
                    self._delivery.deadline = None
            pending = self.pending()
        except Exception as exc:  # the store is unreachable: the report says so
            self._note(f"{type(exc).__name__}: {exc}")
        return DrainReport(
            delivered=self.delivered - before_delivered,
            rejected=self.rejected - before_rejected,
            pending=pending,
            error=self.last_error,
        )

    def pending(self) -> int:
        """Our events the sink has still to send (capped at :data:`PENDING_LIMIT`)."""
        cursor = self.store.events.cursor(self.consumer.name)
        return len(self.store.events.read(cursor, MAPPED_TYPES, PENDING_LIMIT))

    def _caught_up(self) -> bool:
        newest = self.store.events.newest(MAPPED_TYPES, limit=1)
        return not newest or self.store.events.cursor(self.consumer.name) >= newest[0].id

    # --- the work ---------------------------------------------------------------------

    def _drain_until(self, deadline: float) -> None:
        while time.monotonic() < deadline and not self._stop.is_set():
            try:
                if not self.consumer.poll():
                    self._delivery.last_error = None
                    return
            except HandlerFailedError as exc:
                if not self._failed(exc, lambda delay: _sleep_until(deadline, delay)):
                    return  # undelivered, or the deadline came: the rest waits for later
            except Exception as exc:  # the store itself is unreachable
                self._note(f"{type(exc).__name__}: {exc}")
                return

    def _loop(self) -> None:
        with Subscription(self.store) as subscription:
            while not self._stop.is_set():
                try:
                    latest = self.log.latest_id()
                    if self.consumer.poll():
                        if self.last_error is not None:
                            log.info("%s: sending again", self.name)
                            self._delivery.last_error = None
                        continue
                except HandlerFailedError as exc:
                    if self._failed(exc, self._stop.wait) is None:
                        log.warning("%s: trying again in %.0f s", self.name, self.policy.pause)
                        self._stop.wait(self.policy.pause)
                    continue
                except Exception as exc:  # the store itself is down: wait for it
                    self._note(f"{type(exc).__name__}: {exc}")
                    self._stop.wait(self.policy.pause)
                    continue
                subscription.wait(max(latest, self.consumer.position), IDLE_WAIT)

    def _failed(self, exc: HandlerFailedError, wait: Callable[[float], bool]) -> bool | None:
        """Note why the handler failed.

        Returns:
            For an event whose facts are not recorded yet: whether the short wait for
            them ran its course (False: cut short by a stop or the deadline). None for
            an event that could not be delivered (or mapped): the caller decides how
            long to wait before the next round.
        """
        cause = exc.__cause__
        if isinstance(cause, NotReadyError):
            return not wait(self.policy.not_ready_delay)
        if isinstance(cause, DeliveryError):
            self._note(f"event {exc.event_id} not delivered: {cause}")
        else:  # a bug in the mapping: keep the event, say so loudly, try again later
            log.error("%s failed on event %s", self.name, exc.event_id, exc_info=cause)
            self._delivery.last_error = f"event {exc.event_id}: {cause}"
        return None

    def _handle(self, event: Event) -> None:
        assert event.id is not None
        if self._mapped is not None and self._mapped[0] == event.id:
            payloads = self._mapped[1]  # a retry sends exactly what the first try built
        else:
            payloads = self.mapper.map(event)
            self._mapped = (event.id, payloads)
        self._delivery.send(event.id, payloads)

    def _flush(self) -> None:
        self._delivery.flush()

    def _note(self, message: str) -> None:
        self._delivery.last_error = message
        log.warning("%s: %s", self.name, message)


def openlineage_sink(
    project: Project,
    store: MetaStore,
    *,
    policy: RetryPolicy | None = None,
    environ: Mapping[str, str] | None = None,
) -> OpenLineageSink | None:
    """The sink ``project``'s ``openlineage:`` settings ask for; None when there are none.

    Args:
        policy: retries and waits (default: from the settings' ``retries``).
        environ: where the API key reference is resolved (default: the process's).
    """
    settings = project.settings.openlineage
    if settings is None:
        return None
    transports: list[Transport] = []
    if settings.file:  # first: the file has an event even while a receiver is down
        transports.append(FileTransport(_project_path(project, settings.file)))
    if settings.url:
        transports.append(
            HttpTransport(
                settings.url,
                settings.endpoint,
                api_key=settings.api_key,
                timeout=settings.timeout.total_seconds(),
                environ=environ,
            )
        )
    namespace = settings.namespace or project.settings.name
    mapper = LineageMapper(MetaFacts(store, project), namespace)
    return OpenLineageSink(store, mapper, transports, policy=policy or RetryPolicy.of(settings))


def drain_openlineage(
    project: Project, store: MetaStore, timeout: float = 10.0
) -> DrainReport | None:
    """Send the lineage of what the log holds, within ``timeout`` s (``sluiceway run``).

    Returns None when OpenLineage is not configured. Never raises and never fails the
    run: what could not be sent is in the report and stays for the next drain or
    ``sluiceway serve``.
    """
    sink = openlineage_sink(project, store)
    if sink is None:
        return None
    try:
        return sink.drain(timeout)
    finally:
        sink.stop(timeout=0)


def _project_path(project: Project, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path(project.root) / path


def _sleep_until(deadline: float, delay: float) -> bool:
    """Sleep ``delay`` s unless that passes ``deadline``; True when it would (cut short)."""
    if time.monotonic() + delay >= deadline:
        return True
    time.sleep(delay)
    return False
