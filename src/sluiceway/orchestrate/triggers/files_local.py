"""Files in a local landing folder: OS file events (inotify on Linux), handed on when complete.

A file must not be handed on while it is still being written, or a run would load half of
it. On Linux the kernel says when a writer is done: the watcher waits for the file to be
closed after writing (``IN_CLOSE_WRITE``), however long the writer pauses in between. A
file renamed into place (the safe way to publish a file) is complete when it appears.
Elsewhere, and for files that appear without any sign of a writer (already there at start,
moved in from another filesystem, inside a folder moved in), a file is complete once its
size and modification time stayed the same over a settle interval (0.3 s by default).

Watchdog's thread only queues what it saw; this watcher's own thread keeps the state and
appends events, so a slow metadata store never makes the kernel's event queue overflow
(and if it does overflow, the whole folder is scanned again).
"""

from __future__ import annotations

import logging
import os
import queue
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from sluiceway.events.types import FileArrived
from sluiceway.orchestrate.triggers.files import (
    FileFilter,
    emit_arrival,
    file_arrived,
    is_candidate,
)
from sluiceway.orchestrate.triggers.thread import DEFAULT_RETRY_DELAY, LoopWatcher

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore

log = logging.getLogger(__name__)

DEFAULT_SETTLE = 0.3
IDLE_WAIT = 1.0  # seconds the thread blocks on an empty queue with nothing to settle

# What the handler queues (kind, path, destination of a move).
_CREATED = "created"  # appeared: written by someone (opened follows) or moved in whole
_MODIFIED = "modified"
_OPENED = "opened"
_WRITTEN = "written"  # closed after writing: complete
_READ = "read"  # closed without writing
_MOVED = "moved"  # renamed within the folder
_GONE = "gone"
_SCAN = "scan"  # a folder appeared, or the kernel dropped events: look at every file


@dataclass
class _Pending:
    size: int
    mtime_ns: int
    stable_since: float


class LocalFilesWatcher(LoopWatcher):
    """Appends ``file.arrived`` for complete files in a local landing folder."""

    name = "files"

    def __init__(
        self,
        store: MetaStore,
        root: str | Path,
        globs: Sequence[str],
        *,
        settle: float = DEFAULT_SETTLE,
        close_events: bool | None = None,
        retry_delay: float = DEFAULT_RETRY_DELAY,
    ) -> None:
        """Args:
        store: where events are appended.
        root: the landing folder (created if missing).
        globs: the ``files`` trigger globs, relative to ``root``.
        settle: seconds a file's size and mtime must stay unchanged to count as complete
            when there is no close event to go by.
        close_events: whether the OS reports close-after-write; detected when None
            (False forces the settle rule everywhere, e.g. to test it on Linux).
        """
        super().__init__(retry_delay=retry_delay)
        self.store = store
        self.root = str(Path(root).resolve())
        self.filter = FileFilter(tuple(globs))
        self.settle = settle
        self.close_events = close_events
        self._queue: queue.SimpleQueue[tuple[str, str, str] | None] = queue.SimpleQueue()
        self._pending: dict[str, _Pending] = {}
        self._writing: set[str] = set()
        self._emitted: dict[str, tuple[int, int]] = {}
        self._observer: Any = None
        self._scanned = False

    def _prepare(self) -> None:
        Path(self.root).mkdir(parents=True, exist_ok=True)
        observer = Observer()
        if self.close_events is None:
            self.close_events = _reports_close(observer)
        observer.schedule(_Handler(self._queue), self.root, recursive=True)
        observer.start()  # before the scan: a file written meanwhile is seen by one or both
        self._observer = observer
        self._scanned = False

    def _wake(self) -> None:
        self._queue.put(None)

    def _cleanup(self) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(5.0)

    def _step(self) -> float:
        if not self._scanned:
            self._scan(self.root)
            self._scanned = True
        timeout = min(self.settle / 3, IDLE_WAIT) if self._pending else IDLE_WAIT
        try:
            item = self._queue.get(timeout=timeout)
            while item is not None:
                self._handle(*item)
                item = self._queue.get_nowait()
        except queue.Empty:
            pass
        self._settle_pending()
        return 0.0

    def _handle(self, kind: str, path: str, dest: str) -> None:
        if kind == _SCAN:
            self._scan(path)
        elif kind == _MOVED:
            self._moved(path, dest)
        elif kind == _GONE:
            self._forget(path)
        elif not self.close_events:
            if kind in (_CREATED, _MODIFIED, _WRITTEN):
                self._watch_settle(path)
        elif kind == _WRITTEN:
            self._writing.discard(path)
            self._pending.pop(path, None)
            self._hand_on(path)
        elif kind == _CREATED and path not in self._writing:
            self._watch_settle(path)  # moved in whole, unless an "opened" follows
        elif kind in (_OPENED, _MODIFIED) and path in self._pending:
            del self._pending[path]  # a writer is at work: wait for it to close the file
            self._writing.add(path)
        elif kind == _READ and path in self._writing:
            self._writing.discard(path)  # only a reader had it open after all
            self._watch_settle(path)

    def _forget(self, path: str) -> None:
        self._pending.pop(path, None)
        self._writing.discard(path)
        self._emitted.pop(path, None)

    def _moved(self, source: str, dest: str) -> None:
        """A rename within the folder: complete at once, unless a writer still has it open."""
        self._pending.pop(source, None)
        self._emitted.pop(source, None)
        if source in self._writing:
            self._writing.discard(source)
            self._writing.add(dest)
        elif self.close_events:
            self._hand_on(dest)
        else:
            self._watch_settle(dest)

    def _scan(self, folder: str) -> None:
        """Watch every file under ``folder`` until it settles (start, new folders, overflow)."""
        relative = os.path.relpath(folder, self.root).replace(os.sep, "/")
        if relative != "." and not is_candidate(relative):
            return  # e.g. a folder created under _processed/: nothing there is wanted
        for current, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
            for name in files:
                self._watch_settle(str(Path(current) / name))

    def _watch_settle(self, path: str) -> None:
        if self._relative(path) is None:
            return
        try:
            stat = Path(path).stat()
        except OSError:
            self._pending.pop(path, None)
            return
        self._pending[path] = _Pending(stat.st_size, stat.st_mtime_ns, time.monotonic())

    def _settle_pending(self) -> None:
        now = time.monotonic()
        for path, pending in list(self._pending.items()):
            if self.stopping:
                return
            try:
                stat = Path(path).stat()
            except OSError:
                del self._pending[path]
                continue
            if (stat.st_size, stat.st_mtime_ns) != (pending.size, pending.mtime_ns):
                self._pending[path] = _Pending(stat.st_size, stat.st_mtime_ns, now)
            elif now - pending.stable_since >= self.settle:
                del self._pending[path]
                self._hand_on(path)

    def _hand_on(self, path: str) -> FileArrived | None:
        """Append ``file.arrived`` for the file at ``path`` as it is now (once per version)."""
        relative = self._relative(path)
        if relative is None:
            return None
        try:
            stat = Path(path).stat()
        except OSError:
            return None  # gone already (moved to _processed/, deleted)
        version = (stat.st_size, stat.st_mtime_ns)
        if self._emitted.get(path) == version:
            return None
        event = file_arrived(
            uri=path, path=relative, size=stat.st_size, mtime=_mtime(stat.st_mtime_ns)
        )
        try:
            stored = emit_arrival(self.store, event)
        except Exception:
            self._watch_settle(path)  # not lost: handed on again once the store is back
            raise
        self._emitted[path] = version
        if stored is not None:
            log.info("file arrived: %s (%d bytes)", relative, stat.st_size)
        return stored

    def _relative(self, path: str) -> str | None:
        """``path`` relative to the root if the triggers want it, else None."""
        relative = os.path.relpath(path, self.root).replace(os.sep, "/")
        if relative.startswith("../") or not self.filter.accepts(relative):
            return None
        return relative


def _mtime(ns: int) -> datetime:
    seconds, rest = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=rest // 1000)


def _reports_close(observer: object) -> bool:
    """True when the observer reports close-after-write (inotify, i.e. Linux)."""
    try:
        from watchdog.observers.inotify import InotifyObserver
    except ImportError:  # not on Linux
        return False
    return isinstance(observer, InotifyObserver)


class _Handler(FileSystemEventHandler):
    """Runs on watchdog's thread: translates its events and queues them, nothing more."""

    def __init__(self, sink: queue.SimpleQueue[tuple[str, str, str] | None]) -> None:
        super().__init__()
        self._sink = sink

    def dispatch(self, event: FileSystemEvent) -> None:
        """Queue what the watcher's thread needs to know about ``event``."""
        kind = event.event_type
        source = os.fsdecode(event.src_path)
        dest = os.fsdecode(event.dest_path) if event.dest_path else ""
        if kind == "events_lost":
            self._sink.put((_SCAN, source, ""))
        elif event.is_directory:
            if kind in ("created", "moved"):
                self._sink.put((_SCAN, dest or source, ""))
        elif kind == "moved":
            self._sink.put((_MOVED, source, dest) if dest else (_GONE, source, ""))
        elif kind in _KINDS:
            self._sink.put((_KINDS[kind], source, ""))


_KINDS = {
    "created": _CREATED,
    "modified": _MODIFIED,
    "opened": _OPENED,
    "closed": _WRITTEN,
    "closed_no_write": _READ,
    "deleted": _GONE,
}
