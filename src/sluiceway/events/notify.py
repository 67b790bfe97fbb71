"""Wake-ups: tell waiting consumers that the log has grown, without them polling the table.

In one process, :class:`EventLog` announces every append right after its COMMIT to a
per-process registry of condition variables keyed by the store (``store.key``), so a
waiter in another thread wakes within microseconds. Appends by other processes reach the
same registry through one background thread per store that runs the dialect's watcher:
LISTEN/NOTIFY on PostgreSQL, a ``PRAGMA data_version`` poll (50 ms) on SQLite. Waiters
never care which: they wait for "an id above the one I have seen".
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import TracebackType

    from sluiceway.meta.dialects import ChangeWatcher
    from sluiceway.meta.store import MetaStore

log = logging.getLogger(__name__)

WATCH_SLICE = 0.25  # seconds a watcher blocks before checking whether to stop
RETRY_DELAY = 1.0  # seconds before re-opening a failed watcher


@dataclass
class _Channel:
    condition: threading.Condition = field(default_factory=threading.Condition)
    latest: int = 0
    subscribers: int = 0
    stop: threading.Event | None = None
    thread: threading.Thread | None = None


_channels: dict[str, _Channel] = {}
_channels_lock = threading.Lock()


def _channel(key: str) -> _Channel:
    with _channels_lock:
        return _channels.setdefault(key, _Channel())


def announce(key: str, event_id: int) -> None:
    """Record that events up to ``event_id`` are committed in store ``key``; wake waiters."""
    channel = _channel(key)
    with channel.condition:
        if event_id > channel.latest:
            channel.latest = event_id
            channel.condition.notify_all()


def wait_for(key: str, after_id: int, timeout: float) -> bool:
    """Block until an id above ``after_id`` is announced for ``key``, or ``timeout`` passes.

    Returns:
        True if such an id was announced (it may have been before the call).
    """
    channel = _channel(key)
    with channel.condition:
        return channel.condition.wait_for(lambda: channel.latest > after_id, timeout)


class Subscription:
    """Waits for appends from this process and, while open, from other processes too.

    Use as a context manager; the background watcher is shared by every subscription to
    the same store in this process and stops when the last one closes.
    """

    def __init__(self, store: MetaStore) -> None:
        self._store = store
        self._key = store.key

    def __enter__(self) -> Subscription:
        channel = _channel(self._key)
        with _channels_lock:
            channel.subscribers += 1
            if channel.thread is None:
                channel.stop = threading.Event()
                channel.thread = threading.Thread(
                    target=_watch,
                    args=(self._store, self._key, channel.stop),
                    name=f"sluiceway-events-watch[{self._key}]",
                    daemon=True,
                )
                channel.thread.start()
        return self

    def wait(self, after_id: int, timeout: float) -> bool:
        """Block until an id above ``after_id`` is known, or ``timeout`` passes."""
        return wait_for(self._key, after_id, timeout)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        channel = _channel(self._key)
        thread = None
        with _channels_lock:
            channel.subscribers -= 1
            if channel.subscribers == 0 and channel.thread is not None:
                assert channel.stop is not None
                channel.stop.set()
                thread, channel.thread = channel.thread, None
        if thread is not None:
            thread.join(timeout=2 * WATCH_SLICE + RETRY_DELAY)


def _watch(store: MetaStore, key: str, stop: threading.Event) -> None:
    """Feed other processes' appends into the registry until ``stop`` is set."""
    watcher: ChangeWatcher | None = None
    try:
        while not stop.is_set():
            try:
                if watcher is None:
                    watcher = store.dialect.watch(store.engine)
                latest = watcher.wait(WATCH_SLICE)
            except NotImplementedError:
                return  # e.g. in-memory SQLite: nobody else can append
            except Exception as exc:  # keep waking in-process waiters; retry the watcher
                log.warning("event watcher for %s failed, retrying: %s", key, exc)
                if watcher is not None:
                    _close(watcher)
                    watcher = None
                time.sleep(RETRY_DELAY)
                continue
            if latest is not None:
                announce(key, latest)
    finally:
        if watcher is not None:
            _close(watcher)


def _close(watcher: ChangeWatcher) -> None:
    try:
        watcher.close()
    except Exception as exc:
        log.debug("closing event watcher failed: %s", exc)
