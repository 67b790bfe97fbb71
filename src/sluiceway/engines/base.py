"""The engine contract: what every engine offers, and what it is told about inputs and outputs.

An engine runs SQL over pinned Delta snapshots. It never commits: :meth:`Engine.stage` writes
the result as Parquet files into a staging folder the lake chose, and the lake then commits
those files to the Delta log without rewriting them (write-audit-publish: checks run on the
staged files first). Core code never branches on an engine's name; what differs between
engines is declared in :class:`Capabilities` and read from there.

SQL handed to an engine is always in the project's dialect (DuckDB's); an engine that speaks
another dialect transpiles it itself and reports constructs it cannot translate faithfully as
:class:`~sluiceway.engines.errors.NotSupportedError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sluiceway.lake.staged import Output, Staged, StagedFile

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds

__all__ = ["Capabilities", "Engine", "EngineFactory", "Input", "Output", "Staged", "StagedFile"]


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do, as data the planner and the lake read.

    Attributes:
        dialect: the sqlglot dialect the engine executes (the project's SQL is DuckDB's).
        stages_files: writes the result's Parquet files itself (else it returns Arrow and the
            lake writes them).
        stages_to_object_store: can write its staging folder on ``s3://`` directly; when
            False the lake gives it a local folder and uploads the finished files.
        spills: larger-than-memory inputs complete by spilling to disk.
        python_inputs: how a ``python`` step may receive its inputs from this engine.
        startup_seconds: typical cost of the first use in a process (a JVM for Spark).
    """

    dialect: str
    stages_files: bool = True
    stages_to_object_store: bool = False
    spills: bool = False
    python_inputs: tuple[str, ...] = ("arrow",)
    startup_seconds: float = 0.0


@dataclass(frozen=True)
class Input:
    """One table an engine reads, pinned to one Delta version.

    Attributes:
        name: the name used in SQL, ``layer.name``.
        uri: the table's root (``file:///…`` or ``s3://…``).
        version: the Delta version read; every read of the run sees this snapshot.
        files: absolute URIs of the version's data files (for engines that read Parquet
            directly: use them with ``basePath`` = :attr:`uri` so partition columns survive).
        schema: the version's Arrow schema (partition columns included).
        partition_by: the partition columns.
        open_dataset: opens the version as a pyarrow dataset on a native filesystem, for
            engines that scan Arrow (projection and filter pushdown).
        storage_options: credentials and endpoint for the table's store (delta-rs style keys:
            ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``…); empty for local tables.
        features: Delta reader features the snapshot uses (``deletionVectors``,
            ``columnMapping``…); engines reading files directly refuse those they cannot honour.
    """

    name: str
    uri: str
    version: int
    files: tuple[str, ...]
    schema: pa.Schema
    partition_by: tuple[str, ...] = ()
    open_dataset: Callable[[], ds.Dataset] | None = None
    storage_options: Mapping[str, str] = field(default_factory=dict)
    features: tuple[str, ...] = ()
    size_bytes: int | None = None
    """Bytes of the version's data files on disk (None when unknown): engines size their
    scans by it."""
    newer_than: tuple[str, Any] | None = None
    """``(column, value)``: read only rows whose column is above the value (an incremental
    step's watermark). Every engine must apply it."""
    plain_files: bool = False
    """The files are the whole input, with no Delta log to honour (a step's staged result):
    an engine may read them directly, partition values from their ``col=value`` folders."""
    never_null: frozenset[str] | None = None
    """Columns the files' statistics show hold no null (None: not known), so a check's
    null guards on them can be left out of its scan."""

    def dataset(self) -> ds.Dataset:
        """The snapshot as a pyarrow dataset (filtered by :attr:`newer_than`)."""
        if self.open_dataset is None:
            raise RuntimeError(f"input {self.name} was given without a dataset opener")
        dataset = self.open_dataset()
        if self.newer_than is not None:
            import pyarrow as pa
            import pyarrow.compute as pc

            column, value = self.newer_than
            bound = pa.scalar(value, dataset.schema.field(column).type)
            dataset = dataset.filter(pc.field(column) > bound)
        return dataset


class Engine(Protocol):
    """Runs the project's SQL over pinned snapshots; stages results for the lake to commit."""

    name: str
    capabilities: Capabilities

    def query(self, sql: str, inputs: Mapping[str, Input], *, limit: int | None = None) -> pa.Table:
        """Run a SELECT over ``inputs`` (keyed by ``layer.name``) and return its rows."""
        ...

    def stage(self, sql: str, inputs: Mapping[str, Input], output: Output) -> Staged:
        """Run a SELECT over ``inputs`` and write its rows as Parquet files into ``output``."""
        ...

    def python_input(self, item: Input, form: str) -> Any:
        """``item`` in ``form`` (one of ``capabilities.python_inputs`` other than ``arrow``,
        which the platform provides itself) for a python step, e.g. a DuckDB relation."""
        ...

    def close(self) -> None:
        """Release the engine's resources (connections, sessions, temporary folders)."""
        ...


EngineFactory = Callable[[Any], Engine]
"""Builds an engine from its settings model (``engines.<name>`` in ``sluiceway.yaml``)."""
