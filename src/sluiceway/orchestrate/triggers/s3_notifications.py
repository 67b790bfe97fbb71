"""S3 event notifications (``{"Records": [{"s3": …}]}``) turned into ``file.arrived`` events.

AWS S3, MinIO and most S3-compatible stores send this shape when an object is created. The
webhook server calls :func:`arrivals_from_notification` for requests to ``/hooks/s3``; the
events carry the ETag, so an object also seen by the listing watcher is appended once.
Only ``ObjectCreated:*`` records for objects under the landing root that some ``files``
trigger wants become events; the rest (deletions, other buckets, the test event S3 sends
when notifications are configured) are ignored, not errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

from sluiceway.events.types import FileArrived
from sluiceway.orchestrate.triggers.errors import NotificationError
from sluiceway.orchestrate.triggers.files import FileFilter, file_arrived
from sluiceway.orchestrate.triggers.files_s3 import split_s3_uri


def arrivals_from_notification(
    notification: Any, root: str, file_filter: FileFilter
) -> list[FileArrived]:
    """The ``file.arrived`` events an S3 event notification announces.

    Args:
        notification: the parsed JSON body.
        root: the landing root, ``s3://bucket/prefix``.
        file_filter: which paths (relative to ``root``) the project's triggers want.

    Raises:
        NotificationError: the body is not a notification (no ``Records`` list, a record
            without ``s3.bucket.name`` or ``s3.object.key``).
    """
    if not isinstance(notification, Mapping):
        raise NotificationError("expected a JSON object")
    if "Records" not in notification:
        if notification.get("Event") == "s3:TestEvent":
            return []
        raise NotificationError("expected an S3 event notification with a Records list")
    records = notification["Records"]
    if not isinstance(records, list):
        raise NotificationError("Records must be a list")
    bucket_wanted, prefix = split_s3_uri(root)
    start = f"{prefix}/" if prefix else ""
    events = []
    for index, record in enumerate(records):
        bucket, key, obj = _object(record, index)
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        if bucket != bucket_wanted or not key.startswith(start):
            continue
        path = key[len(start) :]
        if not file_filter.accepts(path):
            continue
        size = obj.get("size")
        events.append(
            file_arrived(
                uri=f"{root.rstrip('/')}/{path}",
                path=path,
                size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
                etag=str(obj["eTag"]) if obj.get("eTag") else None,
            )
        )
    return events


def _object(record: Any, index: int) -> tuple[str, str, Mapping[str, Any]]:
    """(bucket, decoded key, object section) of one record."""
    try:
        s3 = record["s3"]
        bucket = str(s3["bucket"]["name"])
        obj = s3["object"]
        key = unquote_plus(str(obj["key"]))  # keys arrive URL-encoded, spaces as "+"
    except (KeyError, TypeError) as exc:
        raise NotificationError(
            f"Records[{index}] has no s3.bucket.name and s3.object.key"
        ) from exc
    if not isinstance(obj, Mapping):
        raise NotificationError(f"Records[{index}].s3.object must be an object")
    return bucket, key, obj
