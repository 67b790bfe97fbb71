"""Names in OpenLineage: jobs, run ids and datasets, derived the same way every time.

OpenLineage joins events by name, so a name must not depend on which process sent the
event or when. Jobs are ``<pipeline>`` and ``<pipeline>.<step>`` in the project's
namespace; run ids are our run ids (UUIDs already) or derived from them with UUID v5, so
an event sent twice (delivery is at least once) describes the same run. Datasets follow
the OpenLineage naming spec for file systems and object stores — the storage location is
the identity every other tool (Spark, Trino, a notebook) would report for the same Delta
table — and carry the catalog name as a ``symlinks`` identifier.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_ENV = "prod"
"""The environment whose names carry no suffix (the spec's default environment)."""

CATALOG_SCHEME = "sluiceway://"

_RUN_NAMESPACE = uuid.UUID("6f0e3f0c-35a4-5d2b-9a51-7a1c1e0b7d42")
"""Fixed namespace of the UUID v5 run ids: changing it would rename every run."""

_OBJECT_STORES = {"s3", "s3a", "s3n", "gs", "gcs", "abfss", "abfs", "wasbs", "wasb"}
_SCHEME_ALIASES = {"s3a": "s3", "s3n": "s3", "gcs": "gs"}


@dataclass(frozen=True, slots=True)
class DatasetName:
    """An OpenLineage dataset identity: ``namespace`` (where) and ``name`` (what)."""

    namespace: str
    name: str


def dataset_name(location: str) -> DatasetName:
    """The OpenLineage identity of the data stored at ``location``.

    Follows the naming spec: a local path is namespace ``file`` with the absolute path as
    name; an object store is ``<scheme>://<bucket>`` with the key as name (``s3a`` and
    ``s3n`` are ``s3``); any other URL is ``<scheme>://<authority>`` with its path.

    >>> dataset_name("s3://lake/prod/silver/orders")
    DatasetName(namespace='s3://lake', name='prod/silver/orders')
    >>> dataset_name("/data/lake/prod/silver/orders")
    DatasetName(namespace='file', name='/data/lake/prod/silver/orders')
    """
    location = location.rstrip("/") or "/"
    if "://" not in location:
        return DatasetName("file", location)
    parts = urlsplit(location)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return DatasetName("file", parts.path or "/")
    scheme = _SCHEME_ALIASES.get(scheme, scheme)
    path = parts.path
    if scheme in _OBJECT_STORES or scheme in _SCHEME_ALIASES.values():
        path = path.lstrip("/")
    return DatasetName(f"{scheme}://{parts.netloc}", path or "/")


def catalog_namespace(project: str, env: str) -> str:
    """The namespace of catalog names: ``sluiceway://shop`` (``sluiceway://shop/dev``)."""
    base = f"{CATALOG_SCHEME}{project}"
    return base if env == DEFAULT_ENV else f"{base}/{env}"


def job_namespace(namespace: str, env: str) -> str:
    """The namespace of a project's jobs in ``env``: ``shop`` in prod, ``shop.dev`` else.

    Environments run the same pipeline names against different tables; in one namespace
    a dev run would overwrite the job's lineage with dev datasets.
    """
    return namespace if env == DEFAULT_ENV else f"{namespace}.{env}"


def pipeline_job(pipeline: str) -> str:
    """The job name of a pipeline run."""
    return pipeline


def step_job(pipeline: str, step: str) -> str:
    """The job name of a step: ``<pipeline>.<step>``, as Airflow names tasks in a DAG."""
    return f"{pipeline}.{step}"


def run_uuid(run_id: str) -> str:
    """The OpenLineage run id of one of our runs: the run id itself when it is a UUID.

    Keeping it lets a user paste an id from Marquez into ``sluiceway run-info``; any other
    id is turned into a UUID v5, which is the same on every call.
    """
    try:
        return str(uuid.UUID(run_id))
    except ValueError:
        return str(uuid.uuid5(_RUN_NAMESPACE, f"run:{run_id}"))


def step_run_uuid(run_id: str, step: str, attempt: int = 1) -> str:
    """The OpenLineage run id of one attempt of a step within one of our runs.

    Each attempt is a run of its own (as Airflow counts a task's tries), so a failed
    attempt ends FAIL and its retry can still end COMPLETE.
    """
    return str(uuid.uuid5(uuid.UUID(run_uuid(run_id)), f"step:{step}:{attempt}"))
