"""Files in an ``s3://`` landing zone: list at an interval, hand on new or changed objects.

An object store has no file events a process can subscribe to without cloud set-up, so
the watcher lists the landing prefix every ``interval`` seconds (10 by default) and appends
``file.arrived`` for each object whose ETag it has not handed on. An object is visible only
once its upload completed, so a listed object is always complete. For lower latency, point
the bucket's event notifications at the webhook server's ``/hooks/s3``: both paths append
through the same deduplication key, so an object announced twice is appended once.

The listing goes through boto3 (the ``s3`` extra), because pyarrow's listing does not
return ETags, and size plus second-resolution LastModified cannot tell two uploads of the
same size within one second apart.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from sluiceway.events.types import FileArrived
from sluiceway.orchestrate.triggers.errors import TriggerError
from sluiceway.orchestrate.triggers.files import FileFilter, emit_arrival, file_arrived
from sluiceway.orchestrate.triggers.thread import DEFAULT_RETRY_DELAY, LoopWatcher

if TYPE_CHECKING:
    from sluiceway.lake.storage import S3Access
    from sluiceway.meta.store import MetaStore
    from sluiceway.orchestrate.triggers.clock import Clock

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 10.0


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` → (``bucket``, ``a/b``), the prefix without slashes at its ends."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise TriggerError(f"{uri!r} is not an s3://bucket/prefix location")
    return parsed.netloc, parsed.path.strip("/")


class S3FilesWatcher(LoopWatcher):
    """Appends ``file.arrived`` for new or changed objects under an ``s3://`` landing root."""

    name = "files"

    def __init__(
        self,
        store: MetaStore,
        root: str,
        globs: Sequence[str],
        *,
        access: S3Access | None = None,
        interval: float = DEFAULT_INTERVAL,
        clock: Clock | None = None,
        retry_delay: float = DEFAULT_RETRY_DELAY,
    ) -> None:
        """Args:
        store: where events are appended.
        root: the landing root, ``s3://bucket/prefix``.
        globs: the ``files`` trigger globs, relative to ``root``.
        access: endpoint and credentials (as the lake's); None uses boto3's defaults.
        interval: seconds between listings.
        clock: the clock the interval is measured on.
        """
        super().__init__(clock=clock, retry_delay=retry_delay)
        self.store = store
        self.root = root.rstrip("/")
        self.bucket, self.prefix = split_s3_uri(self.root)
        self.filter = FileFilter(tuple(globs))
        self.access = access
        self.interval = interval
        self._client: Any = None
        self._seen: dict[str, str] = {}  # path → ETag handed on (or found already handed on)

    def _prepare(self) -> None:
        if self._client is None:
            self._client = _client(self.access)

    def _step(self) -> float:
        self.scan()
        return self.interval

    def scan(self) -> list[FileArrived]:
        """List the landing zone once; returns the events this listing appended."""
        self._prepare()
        appended: list[FileArrived] = []
        listed: set[str] = set()
        now = self.clock.now()
        for path, item in self._objects():
            if self.stopping:
                break
            listed.add(path)
            etag = str(item.get("ETag", "")).strip('"')
            if self._seen.get(path) == etag:
                continue
            event = file_arrived(
                uri=f"{self.root}/{path}",
                path=path,
                size=int(item.get("Size", 0)),
                mtime=item.get("LastModified"),
                etag=etag or None,
                time=now,
            )
            stored = emit_arrival(self.store, event)
            self._seen[path] = etag
            if stored is not None:
                appended.append(stored)
                log.info("file arrived: %s (etag %s)", path, etag)
        if not self.stopping:  # forget deleted objects, so memory follows the bucket
            self._seen = {p: e for p, e in self._seen.items() if p in listed}
        return appended

    def _objects(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(path relative to the root, listing entry) of every object the triggers want."""
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start
        )
        for page in pages:
            for item in page.get("Contents", []):
                path = str(item["Key"])[len(start) :]
                if self.filter.accepts(path):
                    yield path, item


def _client(access: S3Access | None) -> Any:
    """A boto3 S3 client for the landing zone's endpoint and credentials."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:
        raise TriggerError(
            "watching an s3:// landing zone needs boto3",
            hint="pip install 'sluiceway[s3]'",
        ) from exc
    options: dict[str, Any] = {}
    if access is not None:
        options = {
            "endpoint_url": access.endpoint_url,
            "region_name": access.region or "us-east-1",
            "aws_access_key_id": access.access_key_id,
            "aws_secret_access_key": access.secret_access_key,
            "aws_session_token": access.session_token,
        }
    config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3})
    return boto3.client("s3", config=config, **options)
