"""``openlineage:`` in ``sluiceway.yaml``: where lineage events are sent.

Every run and step is reported as OpenLineage ``RunEvent``s (START, then COMPLETE, FAIL or
ABORT). Sending never holds up a run: events are read from the event log by a sink with its
own cursor, and a receiver that is down is retried later.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Self

from pydantic import Field, field_validator, model_validator

from sluiceway.spec.base import SpecModel
from sluiceway.spec.durations import Duration
from sluiceway.spec.secrets import SecretRef


class OpenLineageSettings(SpecModel):
    """Where OpenLineage events go: an HTTP endpoint (Marquez-compatible), a file, or both."""

    url: str | None = Field(
        None, description="Base URL of an OpenLineage HTTP receiver, e.g. `http://marquez:5000`."
    )
    endpoint: str = Field("api/v1/lineage", description="Path of the receiver's endpoint.")
    api_key: SecretRef | None = Field(
        None, description="Bearer token for the receiver, only as `${env:NAME}`."
    )
    file: str | None = Field(
        None,
        description="File to append events to, one JSON document per line (relative paths are "
        "project-relative).",
    )
    namespace: str | None = Field(
        None, description="Namespace of the jobs (default: the project's name)."
    )
    timeout: Duration = Field(timedelta(seconds=5), description="Longest wait for one request.")
    retries: int = Field(5, ge=0, description="Attempts after a failed delivery, with backoff.")

    @field_validator("url")
    @classmethod
    def _http(cls, url: str | None) -> str | None:
        # Caught here rather than as a failed delivery: a receiver without a scheme would
        # keep every event waiting behind the cursor until someone read the logs.
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"url {url!r} must start with http:// or https://")
        return url

    @field_validator("timeout")
    @classmethod
    def _positive(cls, timeout: timedelta) -> timedelta:
        if timeout <= timedelta(0):
            raise ValueError("timeout must be longer than 0s")
        return timeout

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if self.url is None and self.file is None:
            raise ValueError("openlineage needs a url, a file, or both")
        return self
