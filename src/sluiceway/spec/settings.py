"""Project settings, ``sluiceway.yaml``: storage locations, engine, layers and defaults.

The values here are what the file says, with the selected environment's section and the
``SLUICEWAY_*`` variables applied on top (see :mod:`sluiceway.spec.overrides`). Secrets
stay ``${env:NAME}`` references; paths stay as written, made absolute only by
:meth:`ProjectSettings.location` when used.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from sluiceway.spec.alerts import AlertSettings
from sluiceway.spec.base import EngineName, Identifier, SpecModel
from sluiceway.spec.durations import Duration
from sluiceway.spec.openlineage import OpenLineageSettings
from sluiceway.spec.secrets import SecretRef, SecretUrl

RESERVED_LAYERS = frozenset({"_system"})
DEFAULT_METADATA = "sqlite:///.sluiceway/metadata.db"


def _check_location(value: str) -> str:
    if "://" in value and not value.startswith(("s3://", "file://")):
        raise ValueError(f"{value!r} is neither a local folder nor an s3://bucket/prefix URL")
    return value


def _check_url(value: str) -> str:
    if "://" not in value:
        raise ValueError(
            "expected a SQLAlchemy URL such as sqlite:///path or postgresql+psycopg://"
        )
    return value


StorageRoot = Annotated[str, AfterValidator(_check_location)]
MetadataUrl = Annotated[SecretUrl, AfterValidator(_check_url)]

# Binary multiples, as Spark and Delta spell file sizes: 128MB is 128 × 1024 × 1024 bytes.
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt]?)(?:i?b)?)\s*$", re.IGNORECASE)
SIZE_PATTERN = r"^\s*\d+(\.\d+)?\s*([kKmMgGtT]?([iI]?[bB])?)\s*$"


def parse_size(value: Any) -> int:
    """Bytes from ``134217728``, ``"128MB"``, ``"512KiB"`` or ``"1.5GB"`` (binary multiples).

    Raises:
        PydanticCustomError: the value is not a size; the message shows the accepted forms.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    if match:
        size = int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])
        if size > 0:
            return size
    raise PydanticCustomError(
        "byte_size",
        "{value} is not a size: write a positive number of bytes or e.g. 512KB, 128MB, 1GB",
        {"value": repr(value)},
    )


ByteSize = Annotated[
    int,
    BeforeValidator(parse_size),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": SIZE_PATTERN, "examples": ["128MB", "1GB"]},
                {"type": "integer", "minimum": 1, "description": "bytes"},
            ]
        }
    ),
]
"""A size in bytes, written as a number of bytes or ``512KB``/``128MB``/``1GB``."""


class Defaults(SpecModel):
    """Run settings every pipeline and step inherits unless it overrides them."""

    retries: int = Field(2, ge=0, description="Retries after a failed step.")
    retry_delay: Duration = Field(timedelta(seconds=10), description="Wait between retries.")
    timeout: Duration = Field(timedelta(hours=1), description="Longest a step may run.")
    max_parallel: int = Field(4, ge=1, description="Steps run at once in one run.")


class TableDefaults(SpecModel):
    """How tables are written and kept, unless a table says otherwise."""

    target_file_size: ByteSize = Field(
        128 * 1024**2,
        description="Size Parquet files are cut at: bytes, or e.g. `128MB` (binary multiples).",
    )
    compression: Literal["zstd", "snappy"] = Field(
        "zstd",
        description="Codec of written Parquet files: `zstd` (smaller; the default) or `snappy` "
        "(faster to write and read, files about a third larger).",
    )
    compression_level: int = Field(
        3, ge=1, le=22, description="zstd level of written Parquet files (1 fast … 22 small)."
    )
    lineage_columns: Literal["visible", "hidden"] = Field(
        "visible",
        description="Whether readers show the `_sw_*` lineage columns by default; "
        "they are always stored.",
    )
    autocompact_files: int = Field(
        64,
        ge=0,
        description="A write that leaves a table (or partition) holding at least this many "
        "small files (< 16 MiB) compacts it; 0 turns automatic compaction off.",
    )
    vacuum_retention: Duration = Field(
        timedelta(days=7),
        description="Unreferenced files younger than this are kept by vacuum "
        "(time travel reaches this far back).",
    )


class S3Settings(SpecModel):
    """Credentials and endpoint for s3:// locations."""

    endpoint_url: str | None = Field(None, description="Endpoint of an S3-compatible store.")
    region: str | None = Field(None, description="Region, e.g. `us-east-1`.")
    access_key_id: str | None = Field(
        None, description="Access key id; usually `${env:AWS_ACCESS_KEY_ID}`."
    )
    secret_access_key: SecretRef | None = Field(
        None, description="Secret key, only as `${env:NAME}`."
    )
    session_token: SecretRef | None = Field(
        None, description="Session token, only as `${env:NAME}`."
    )
    allow_http: bool = Field(False, description="Allow plain HTTP (local test stores).")


class DuckDBSettings(SpecModel):
    """How the DuckDB engine runs: its share of the machine and where it spills."""

    threads: int | None = Field(
        None, ge=1, description="Worker threads; default: every core of the machine."
    )
    memory_limit: ByteSize | None = Field(
        None,
        description="Memory DuckDB may use before spilling, e.g. `4GB`; default: 80% of RAM.",
    )
    spill_directory: str | None = Field(
        None,
        description="Folder for spilled intermediate results; default: a temporary folder.",
    )
    reader: Literal["auto", "arrow"] = Field(
        "auto",
        description="How inputs are scanned: `auto` reads local tables with DuckDB's own "
        "Parquet reader from the pinned file list (faster, inside `memory_limit`) and the "
        "rest as Arrow datasets; `arrow` scans every input as an Arrow dataset.",
    )


class SparkSettings(SpecModel):
    """How the Spark engine connects: local, a standalone or Kubernetes master, or Connect."""

    master: str = Field(
        "local[*]",
        pattern=r"^(local(\[(\*|\d+)\])?|spark://.+|k8s://.+|yarn|sc://.+)$",
        description="`local[*]`, `spark://host:7077`, `k8s://https://…`, `yarn`, "
        "or a Spark Connect server `sc://host:15002`.",
    )
    app_name: str = Field("sluiceway", description="Application name shown by Spark.")
    staging_dir: str | None = Field(
        None,
        description="A folder the driver and every executor see at the same path (a shared "
        "volume: NFS, a ReadWriteMany volume on Kubernetes), where Spark writes a step's "
        "result before the lake commits it. Needed with a `spark://`, `k8s://` or `yarn` "
        "master; default: next to the table, which only local Spark can write.",
    )
    conf: dict[str, str] = Field(
        default_factory=dict,
        description="Extra Spark configuration, e.g. `spark.executor.memory: 4g`.",
    )


class EngineSettings(SpecModel):
    """Per-engine settings; each engine reads only its own section."""

    duckdb: DuckDBSettings = Field(default_factory=DuckDBSettings, description="DuckDB.")
    spark: SparkSettings = Field(default_factory=SparkSettings, description="Spark.")


class StorageSettings(SpecModel):
    """How to reach remote storage."""

    s3: S3Settings | None = Field(None, description="Settings for s3:// locations.")


class ServeSettings(SpecModel):
    """How `sluiceway serve` runs: workers, trigger watchers, SLA watchdog, metrics endpoint."""

    workers: int = Field(2, ge=1, description="Runs executed at once.")
    step_workers: int = Field(
        2, ge=0, description="Warm worker processes the steps run in (0: in the runs' threads)."
    )
    settle: Duration = Field(
        timedelta(milliseconds=300),
        description="How long a local file's size must stay still to count as complete, "
        "where the OS reports no close-after-write.",
    )
    s3_poll_interval: Duration = Field(
        timedelta(seconds=10), description="Time between listings of an `s3://` landing zone."
    )
    webhook_host: str = Field("127.0.0.1", description="Address the webhook listener binds.")
    webhook_port: int = Field(8787, ge=0, le=65535, description="Its port (0: a free one).")
    webhook_max_body: int = Field(
        1024 * 1024, ge=1, description="Largest webhook request body accepted, in bytes."
    )
    s3_hook_secret: SecretRef | None = Field(
        None, description="When set, S3 notifications posted to `/hooks/s3` must be signed."
    )
    retry_delay: Duration = Field(
        timedelta(seconds=5), description="Wait after a watcher's failed round before the next."
    )
    system_tables_interval: Duration = Field(
        timedelta(seconds=60),
        description="Time between exports of the metadata store to the `_system` tables "
        "(0s: the daemon does not export them; `sluiceway query` still does).",
    )
    metrics_host: str = Field(
        "127.0.0.1", description="Address the Prometheus endpoint (`/metrics`) binds."
    )
    metrics_port: int = Field(
        9464, ge=0, le=65535, description="Port of `/metrics` and `/healthz` (0: a free one)."
    )
    sla_interval: Duration = Field(
        timedelta(seconds=30),
        description="Longest time between two checks of the tables' SLAs (an SLA falling "
        "due sooner is checked at that instant).",
    )

    @field_validator("sla_interval")
    @classmethod
    def _positive_interval(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("sla_interval must be longer than zero")
        return value


class EnvironmentSettings(SpecModel):
    """What an environment changes; fields given are applied over the top-level ones."""

    lake: StorageRoot | None = Field(None, description="Lake root for this environment.")
    landing: StorageRoot | None = Field(None, description="Landing zone for this environment.")
    metadata: MetadataUrl | None = Field(None, description="Metadata store URL.")
    engine: EngineName | None = Field(None, description="Engine for this environment.")
    defaults: Defaults | None = Field(
        None, description="Defaults; keys given are merged over the top-level `defaults`."
    )


class ProjectSettings(SpecModel):
    """The settings of a project, read from `sluiceway.yaml`."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")] = Field(
        description="Project name: lower-case letters, digits and _."
    )
    lake: StorageRoot = Field(
        "./lake", description="Lake root: folder relative to the project, or `s3://bucket/prefix`."
    )
    landing: StorageRoot = Field(
        "./landing", description="Landing zone root: folder or `s3://bucket/prefix`."
    )
    metadata: MetadataUrl = Field(
        DEFAULT_METADATA,
        description="Metadata store, a SQLAlchemy URL; relative sqlite paths are project-relative.",
    )
    engine: EngineName = Field("duckdb", description="Default engine.")
    engines: EngineSettings = Field(
        default_factory=EngineSettings, description="How each engine runs."
    )
    layers: list[Identifier] = Field(
        default_factory=lambda: ["raw", "silver", "gold"],
        min_length=1,
        description="Allowed table layers, in data-flow order; `_system` is reserved.",
    )
    defaults: Defaults = Field(default_factory=Defaults, description="Default run settings.")
    table_defaults: TableDefaults = Field(
        default_factory=TableDefaults, description="How tables are written and kept."
    )
    storage: StorageSettings = Field(
        default_factory=StorageSettings, description="Credentials for remote storage."
    )
    daemon: ServeSettings = Field(
        default_factory=ServeSettings, description="How `sluiceway serve` runs."
    )
    openlineage: OpenLineageSettings | None = Field(
        None, description="Where OpenLineage events are sent (none: nowhere)."
    )
    alerts: AlertSettings = Field(
        default_factory=AlertSettings, description="Alert channels and rules."
    )
    environments: dict[Identifier, EnvironmentSettings] = Field(
        default_factory=dict, description="Named environments; `prod` always exists."
    )

    @field_validator("layers")
    @classmethod
    def _layers(cls, layers: list[str]) -> list[str]:
        reserved = sorted(RESERVED_LAYERS.intersection(layers))
        if reserved:
            raise ValueError(f"layer {reserved[0]!r} is reserved for Sluiceway's own tables")
        if len(set(layers)) != len(layers):
            raise ValueError("layers must be distinct")
        return layers

    def location(self, value: str, root: Path) -> str:
        """A lake/landing value made absolute: local folders resolve against ``root``."""
        if "://" in value:
            return value
        return str((root / value).resolve())

    def metadata_url(self, root: Path) -> str:
        """``metadata`` with a relative sqlite path made project-relative; refs unresolved."""
        prefix = "sqlite:///"
        url = self.metadata
        if url.startswith(prefix) and not url[len(prefix) :].startswith("/"):
            path = url[len(prefix) :]
            if path and path != ":memory:":
                return prefix + str((root / path).resolve())
        return url
