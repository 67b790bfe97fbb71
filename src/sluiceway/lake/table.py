"""A handle on one table of the lake: where it is, which versions it has, how to read it.

Reads always go through a pyarrow dataset on the native filesystem of
:meth:`~sluiceway.lake.storage.LakeStorage.filesystem`: delta-rs's own filesystem makes the
reading process abort at exit (see docs/lake.md). A view has no Delta table: the handle
says so (:attr:`LakeTable.is_view`) and carries the SQL the engines resolve at read time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sluiceway.errors import UsageError
from sluiceway.lake.errors import (
    LakeError,
    TableNotFoundError,
    VersionUnavailableError,
    clean_message,
)
from sluiceway.lake.lineage import is_lineage
from sluiceway.lake.names import TableName
from sluiceway.lake.storage import LakeStorage

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    from deltalake import DeltaTable

    from sluiceway.meta.catalog import TableInfo


def open_delta(uri: str, storage_options: dict[str, str]) -> DeltaTable | None:
    """The table at ``uri`` at its latest version, or None when nothing was committed there.

    Opening and catching "not found" rather than asking ``DeltaTable.is_deltatable`` first:
    deltalake 1.6's ``is_deltatable`` holds the GIL during its requests, which stalls every
    other Python thread (and deadlocks against an S3 endpoint served from this process).
    """
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError as DeltaTableNotFound

    try:
        return DeltaTable(uri, storage_options=storage_options)
    except DeltaTableNotFound:
        return None
    except OSError as exc:
        raise storage_error(uri, exc) from exc


def storage_error(uri: str, exc: BaseException) -> LakeError:
    """A store's refusal (missing bucket, bad credentials, no route) as one plain error."""
    text = clean_message(exc)
    lowered = text.lower()
    if "nosuchbucket" in lowered:
        bucket = uri.split("://", 1)[-1].split("/", 1)[0]
        return LakeError(
            f"the lake's bucket {bucket!r} does not exist ({uri})",
            hint="create the bucket, or fix lake: in sluiceway.yaml",
        )
    if any(word in lowered for word in ("accessdenied", "invalidaccesskeyid", "signature")):
        return LakeError(
            f"the store refused access to {uri}",
            hint="check the credentials in storage.s3 or the AWS_* variables",
        )
    if any(word in lowered for word in ("connection refused", "dns error", "timed out")):
        return LakeError(
            f"the store holding {uri} cannot be reached",
            hint="check storage.s3.endpoint_url and the network",
        )
    return LakeError(f"reading the lake at {uri} failed: {text}")


@dataclass(frozen=True)
class LakeTable:
    """One table (``layer.name``) in one environment.

    Args:
        name: the table's name.
        env: the environment whose copy this is.
        storage: the lake it lives in.
        info: what the catalog says about it, when a catalog is attached.
        hide_lineage: whether :meth:`dataset` and :meth:`read` drop ``_sw_*`` columns by
            default (the project's ``table_defaults.lineage_columns``).
    """

    name: TableName
    env: str
    storage: LakeStorage
    info: TableInfo | None = None
    hide_lineage: bool = False

    @property
    def uri(self) -> str:
        """Where the table's Delta log and files are."""
        return self.storage.table_uri(self.env, self.name)

    @property
    def is_view(self) -> bool:
        """True for a view: nothing is stored, :attr:`view_sql` defines it."""
        return bool(self.info and self.info.is_view)

    @property
    def view_sql(self) -> str | None:
        """The SELECT of a view (None for a stored table)."""
        return self.info.view_sql if self.info else None

    def exists(self) -> bool:
        """True once the table has a first commit."""
        return open_delta(self.uri, self.storage.storage_options()) is not None

    def delta(self, version: int | None = None, as_of: datetime | None = None) -> DeltaTable:
        """The delta-rs table, at its latest version or travelled to ``version``/``as_of``.

        ``as_of`` is an instant; a naive datetime is taken as UTC.

        Raises:
            TableNotFoundError: nothing was ever committed here (or it is a view).
            VersionUnavailableError: the version never existed or its files were vacuumed.
        """
        if version is not None and as_of is not None:
            raise ValueError("give a version or an instant (as_of), not both")
        table = open_delta(self.uri, self.storage.storage_options())
        if table is None:
            what = "a view: it has no stored data" if self.is_view else "never been written"
            raise TableNotFoundError(
                f"table {self.name} ({self.env}) has {what}",
                hint="run the pipeline that writes it, or check the name and --env",
            )
        if version is None and as_of is None:
            return table
        if as_of is not None:
            # One rule for every reader: an instant before the first commit is an error
            # (delta-rs would silently load version 0), see ``history.version_at``.
            from sluiceway.lake.history import version_at

            version = version_at(table, _utc(as_of))
        assert version is not None
        try:
            table.load_as_version(version)
        except Exception as exc:
            raise VersionUnavailableError(
                f"table {self.name} has no version {version}: {clean_message(exc)}",
                hint="`sluiceway history` lists the versions that can be read",
            ) from exc
        return table

    def version(self) -> int:
        """The latest committed version."""
        return int(self.delta().version())

    def schema(self, version: int | None = None, as_of: datetime | None = None) -> pa.Schema:
        """The table's Arrow schema (lineage columns included)."""
        import pyarrow as pa

        return pa.schema(self.delta(version, as_of).schema().to_arrow())

    @property
    def partition_by(self) -> tuple[str, ...]:
        """The partition columns recorded in the Delta log."""
        return tuple(self.delta().metadata().partition_columns)

    def file_count(self, version: int | None = None) -> int:
        """How many data files make up the version (a measure of small-file debt)."""
        return len(self.delta(version).file_uris())

    def dataset(
        self,
        version: int | None = None,
        as_of: datetime | None = None,
        columns: Sequence[str] | None = None,
        hide_lineage: bool | None = None,
    ) -> ds.Dataset:
        """A pyarrow dataset of one version, for scans with projection and filter pushdown.

        Args:
            version: a version number; default the latest.
            as_of: an instant to travel to instead of a version.
            columns: keep only these columns, in this order.
            hide_lineage: drop ``_sw_*`` columns; default the project's setting.
        """
        import pyarrow as pa

        table = self.delta(version, as_of)
        dataset = table.to_pyarrow_dataset(filesystem=self.storage.filesystem(self.uri))
        hide = self.hide_lineage if hide_lineage is None else hide_lineage
        if columns is None and not hide:
            return dataset
        schema = dataset.schema
        names = list(columns) if columns is not None else schema.names
        missing = [n for n in names if schema.get_field_index(n) < 0]
        if missing:
            raise UsageError(
                f"table {self.name} has no column {', '.join(missing)}",
                hint="columns: " + ", ".join(schema.names),
            )
        keep = [schema.field(n) for n in names if not (hide and is_lineage(n))]
        return dataset.replace_schema(pa.schema(keep, metadata=schema.metadata))

    def read(
        self,
        version: int | None = None,
        as_of: datetime | None = None,
        columns: Sequence[str] | None = None,
        hide_lineage: bool | None = None,
        filter: pc.Expression | None = None,
    ) -> pa.Table:
        """The rows of one version as an Arrow table (small tables, tests, previews)."""
        return self.dataset(version, as_of, columns, hide_lineage).to_table(filter=filter)

    def count(self, version: int | None = None, as_of: datetime | None = None) -> int:
        """Rows in one version, from the Parquet footers (no data is read)."""
        return int(self.dataset(version, as_of).count_rows())


def _utc(value: datetime | None) -> datetime:
    assert value is not None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
