"""Where tables live: a local folder or ``s3://bucket/prefix``, and how to reach it.

A table ``layer.name`` in environment ``env`` is stored at ``{root}/{env}/{layer}/{name}``.
delta-rs takes the location as a URI plus ``storage_options``; pyarrow readers take a
filesystem. Both are derived here from the project settings, so no other module handles
credentials. Readers always get a native pyarrow filesystem: letting delta-rs supply its
own makes the process abort at exit (see docs/lake.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from sluiceway.lake.names import TableName

if TYPE_CHECKING:
    import pyarrow.fs as pafs

    from sluiceway.spec.settings import ProjectSettings


@dataclass(frozen=True)
class S3Access:
    """Resolved S3 credentials and endpoint (values, never logged: see ``__repr__``)."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    allow_http: bool = False


@dataclass(frozen=True)
class LakeStorage:
    """The lake root and the means to reach it.

    ``root`` is an absolute local path (no scheme) or an ``s3://bucket/prefix`` URI.
    """

    root: str
    s3: S3Access | None = None

    @property
    def is_local(self) -> bool:
        """True for a folder on this machine."""
        return not self.root.startswith("s3://")

    def table_uri(self, env: str, table: TableName) -> str:
        """The URI delta-rs opens for ``table`` in ``env``."""
        return f"{self.root.rstrip('/')}/{env}/{table.layer}/{table.name}"

    def uri(self, *parts: str) -> str:
        """Any location under the root, e.g. the cold prefix for archives."""
        return "/".join([self.root.rstrip("/"), *parts])

    def storage_options(self) -> dict[str, str]:
        """Options for delta-rs: empty for local folders, credentials and endpoint for S3."""
        if self.is_local or self.s3 is None:
            return {}
        access, options = self.s3, {}
        for key, value in (
            ("AWS_ENDPOINT_URL", access.endpoint_url),
            ("AWS_REGION", access.region),
            ("AWS_ACCESS_KEY_ID", access.access_key_id),
            ("AWS_SECRET_ACCESS_KEY", access.secret_access_key),
            ("AWS_SESSION_TOKEN", access.session_token),
        ):
            if value:
                options[key] = value
        if access.allow_http:
            options["AWS_ALLOW_HTTP"] = "true"
        return options

    def filesystem(self, uri: str) -> pafs.FileSystem:
        """A native pyarrow filesystem rooted at ``uri`` (a table's folder)."""
        import pyarrow.fs as pafs

        if self.is_local:
            path = uri.removeprefix("file://")
            Path(path).mkdir(parents=True, exist_ok=True)
            return pafs.SubTreeFileSystem(path, pafs.LocalFileSystem())
        parsed = urlparse(uri)
        access = self.s3 or S3Access()
        endpoint = access.endpoint_url
        scheme = "https"
        if endpoint:
            endpoint_parsed = urlparse(endpoint)
            scheme = endpoint_parsed.scheme or "https"
            endpoint = endpoint_parsed.netloc or endpoint
        s3 = pafs.S3FileSystem(
            access_key=access.access_key_id,
            secret_key=access.secret_access_key,
            session_token=access.session_token,
            region=access.region or "us-east-1",
            endpoint_override=endpoint,
            scheme=scheme,
        )
        return pafs.SubTreeFileSystem(f"{parsed.netloc}{parsed.path}", s3)


def lake_storage(
    settings: ProjectSettings, root: Path, environ: Mapping[str, str] | None = None
) -> LakeStorage:
    """The lake of a project, with ``${env:NAME}`` secrets resolved from ``environ``."""
    from sluiceway.spec.secrets import resolve

    env = os.environ if environ is None else environ
    location = settings.location(settings.lake, root)
    if location.startswith("file://"):
        location = location.removeprefix("file://")
    s3 = None
    config = settings.storage.s3
    if config is not None:

        def value(text: str | None) -> str | None:
            return None if text is None else resolve(text, env)

        s3 = S3Access(
            endpoint_url=value(config.endpoint_url),
            region=value(config.region),
            access_key_id=value(config.access_key_id),
            secret_access_key=value(config.secret_access_key),
            session_token=value(config.session_token),
            allow_http=config.allow_http,
        )
    elif location.startswith("s3://"):
        # Fall back to the standard AWS variables, as every S3 client does.
        s3 = S3Access(
            endpoint_url=env.get("AWS_ENDPOINT_URL"),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
            access_key_id=env.get("AWS_ACCESS_KEY_ID"),
            secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
            session_token=env.get("AWS_SESSION_TOKEN"),
            allow_http=env.get("AWS_ALLOW_HTTP", "").lower() == "true",
        )
    return LakeStorage(root=location, s3=s3)
