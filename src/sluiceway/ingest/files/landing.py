"""The landing zone: listing the files a glob selects, fetching them, disposing of them.

The landing root is a local folder or ``s3://bucket/prefix`` (``landing:`` in the project
settings, per environment), reached with the same credentials as the lake. Files are listed
through a native pyarrow filesystem; a remote file is copied to a local temporary file before
it is parsed, since the parsers read local paths (DuckDB's object-store extension is not part
of the core package). ``_processed/`` and names starting with ``.`` or ``_`` are never listed:
they hold what was already loaded and what writers have not finished.
"""

from __future__ import annotations

import fnmatch
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow.fs as pafs

    from sluiceway.lake.storage import LakeStorage
    from sluiceway.spec.project import Project

PROCESSED = "_processed"
"""Folder (under the landing root) that ``on_processed: move`` moves loaded files into."""
COPY_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class LandingFile:
    """One file in the landing zone.

    Attributes:
        path: relative to the landing root, ``/``-separated (what globs match and users see).
        uri: the full location, ``/abs/path`` or ``s3://bucket/prefix/path``.
        size: bytes.
        mtime: last modification (UTC), when the store reports one.
        etag: the object store's entity tag, when the listing provides one (pyarrow's does
            not: an S3 object is then identified by its LastModified time and size, which a
            new PUT always changes).
    """

    path: str
    uri: str
    size: int
    mtime: datetime | None
    etag: str | None = None


class Landing:
    """The landing zone of a project: list, fetch and dispose of files."""

    def __init__(self, storage: LakeStorage) -> None:
        self.storage = storage
        self.root = storage.root.rstrip("/")
        self._fs: pafs.FileSystem | None = None

    @classmethod
    def for_project(cls, project: Project) -> Landing:
        """The landing zone of ``project``'s environment, with the lake's credentials."""
        from sluiceway.lake.storage import LakeStorage, lake_storage

        settings = project.settings
        lake = lake_storage(settings, project.root)
        location = settings.location(settings.landing, project.root).removeprefix("file://")
        s3 = lake.s3 if location.startswith("s3://") else None
        if s3 is None and location.startswith("s3://"):
            s3 = lake_storage(settings.model_copy(update={"lake": location}), project.root).s3
        return cls(LakeStorage(location, s3))

    @property
    def is_local(self) -> bool:
        """True for a folder on this machine."""
        return self.storage.is_local

    @property
    def filesystem(self) -> pafs.FileSystem:
        """A native pyarrow filesystem rooted at the landing root."""
        if self._fs is None:
            self._fs = self.storage.filesystem(self.root)
        return self._fs

    def list(self, glob: str) -> list[LandingFile]:
        """The files matching ``glob`` (relative to the root; ``**`` crosses folders), sorted."""
        import pyarrow.fs as pafs

        base = _static_prefix(glob)
        selector = pafs.FileSelector(base, recursive=True, allow_not_found=True)
        found: list[LandingFile] = []
        for info in self.filesystem.get_file_info(selector):
            if info.type != pafs.FileType.File:
                continue
            path = info.path.lstrip("/")
            if _hidden(path) or not matches(path, glob):
                continue
            mtime = info.mtime.astimezone(UTC) if info.mtime is not None else None
            found.append(LandingFile(path, self.uri(path), int(info.size or 0), mtime))
        return sorted(found, key=lambda f: f.path)

    def uri(self, path: str) -> str:
        """The full location of ``path``."""
        return f"{self.root}/{path}"

    @contextmanager
    def local_path(self, file: LandingFile) -> Iterator[Path]:
        """A local path holding the file's bytes: the file itself, or a temporary copy."""
        if self.is_local:
            yield Path(self.root) / file.path
            return
        with tempfile.TemporaryDirectory(prefix="sw-landing-") as folder:
            local = Path(folder) / Path(file.path).name
            # compression=None: the bytes as stored (pyarrow would otherwise gunzip ".gz").
            stream = self.filesystem.open_input_stream(file.path, compression=None)
            with stream as source, local.open("wb") as out:
                shutil.copyfileobj(source, out, COPY_CHUNK)
            yield local

    def dispose(self, file: LandingFile, action: str) -> None:
        """Once its data is committed: ``keep`` the file, ``move`` it to ``_processed/``, or
        ``delete`` it. A file already gone (an earlier attempt disposed of it) is fine."""
        import pyarrow.fs as pafs

        if action == "keep":
            return
        # Gone already: an earlier run disposed of it and died before its ledger update.
        # (On S3 a missing source surfaces as a generic OSError from CopyObject, not as
        # FileNotFoundError, so look first.)
        if self.filesystem.get_file_info(file.path).type == pafs.FileType.NotFound:
            return
        try:
            if action == "delete":
                self.filesystem.delete_file(file.path)
            else:
                target = f"{PROCESSED}/{file.path}"
                if self.is_local:  # object stores have no folders (pyarrow would add markers)
                    self.filesystem.create_dir(target.rsplit("/", 1)[0], recursive=True)
                self.filesystem.move(file.path, target)
        except FileNotFoundError:
            return


def matches(path: str, glob: str) -> bool:
    """True when ``path`` matches ``glob``: ``*`` stays in a folder, ``**/`` crosses any."""
    import re

    pattern = ""
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            pattern += "(?:.*/)?"
            i += 3
        elif glob.startswith("**", i):
            pattern += ".*"
            i += 2
        elif glob[i] == "*":
            pattern += "[^/]*"
            i += 1
        elif glob[i] == "?":
            pattern += "[^/]"
            i += 1
        elif glob[i] == "[":
            end = glob.find("]", i)
            if end < 0:
                pattern += re.escape(glob[i])
                i += 1
            else:
                pattern += fnmatch.translate(glob[i : end + 1]).removeprefix("(?s:")[:-3]
                i = end + 1
        else:
            pattern += re.escape(glob[i])
            i += 1
    return re.fullmatch(pattern, path) is not None


def _static_prefix(glob: str) -> str:
    """The folder part of ``glob`` before any wildcard: where listing starts."""
    parts = glob.split("/")
    static: list[str] = []
    for part in parts[:-1]:
        if any(ch in part for ch in "*?["):
            break
        static.append(part)
    return "/".join(static)


def _hidden(path: str) -> bool:
    """``_processed/…``, ``.tmp`` files and ``_``-prefixed names are never landing files."""
    return any(part.startswith((".", "_")) for part in path.split("/"))
