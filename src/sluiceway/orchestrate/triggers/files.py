"""What the files watchers share: which paths count, and how an arrival is appended once.

A path counts when some pipeline's ``files`` trigger glob matches it and it is not work in
progress or already handled: ``_processed/`` (where loaded files are moved), names
starting with ``.`` or ``_`` (hidden files, writers' scratch files; the ingest step does
not list them either) and names ending in ``.tmp`` or ``.part`` (partial uploads and
downloads, renamed when complete).

One ``file.arrived`` is appended per distinct (uri, fingerprint): the fingerprint is the
object store's ETag, else the local file's size and modification time, exactly as the
file ledger identifies a delivery. The watchers, the S3 notification hook and a restarted
watcher may all see one delivery; the deduplication key lets only the first append.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sluiceway.events import emit
from sluiceway.events.types import FileArrived
from sluiceway.ingest.files.landing import matches
from sluiceway.meta.ledger import fingerprint
from sluiceway.spec.triggers import FilesTrigger

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.spec.project import Project

TEMP_SUFFIXES = (".tmp", ".part")


def is_candidate(path: str) -> bool:
    """False for ``_processed/…``, hidden or ``_``-prefixed names, and ``.tmp``/``.part``."""
    parts = path.split("/")
    if any(not part or part.startswith((".", "_")) for part in parts):
        return False
    return not parts[-1].lower().endswith(TEMP_SUFFIXES)


@dataclass(frozen=True)
class FileFilter:
    """The globs of a project's ``files`` triggers (relative to the landing root)."""

    globs: tuple[str, ...]

    def accepts(self, path: str) -> bool:
        """True when ``path`` (relative, ``/``-separated) should be handed on."""
        return is_candidate(path) and any(matches(path, glob) for glob in self.globs)


def file_globs(project: Project) -> tuple[str, ...]:
    """Every distinct ``files`` trigger glob in ``project``, in pipeline order."""
    globs: dict[str, None] = {}
    for pipeline in project.pipelines.values():
        for trigger in pipeline.on:
            if isinstance(trigger, FilesTrigger):
                globs.setdefault(trigger.glob, None)
    return tuple(globs)


def pipelines_for_file(project: Project, path: str) -> list[str]:
    """The pipelines a ``file.arrived`` at ``path`` (relative to the landing root) triggers."""
    if not is_candidate(path):
        return []
    return [
        pipeline.name
        for pipeline in project.pipelines.values()
        if any(isinstance(t, FilesTrigger) and matches(path, t.glob) for t in pipeline.on)
    ]


def file_arrived(
    *,
    uri: str,
    path: str,
    size: int | None,
    mtime: datetime | None = None,
    etag: str | None = None,
    time: datetime | None = None,
) -> FileArrived:
    """The ``file.arrived`` event of one delivery (ETag without its quotes)."""
    clean = etag.strip('"') if etag else None
    if time is None:
        return FileArrived(uri=uri, path=path, size=size, mtime=mtime, etag=clean)
    return FileArrived(uri=uri, path=path, size=size, mtime=mtime, etag=clean, time=time)


def arrival_key(event: FileArrived) -> str:
    """The deduplication key of a delivery: its URI and fingerprint."""
    version = fingerprint(size=event.size or 0, mtime=event.mtime, etag=event.etag)
    return f"file.arrived:{event.uri}:{version}"


def emit_arrival(store: MetaStore, event: FileArrived) -> FileArrived | None:
    """Append ``event`` unless this delivery was appended before; None for a duplicate."""
    return emit(store, event, dedup_key=arrival_key(event))


def emit_arrivals(store: MetaStore, events: Iterable[FileArrived]) -> list[FileArrived]:
    """Append each new delivery; returns the events appended (duplicates left out)."""
    appended = []
    for event in events:
        stored = emit_arrival(store, event)
        if stored is not None:
            appended.append(stored)
    return appended
