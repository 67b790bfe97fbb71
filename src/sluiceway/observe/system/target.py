"""One ``_system`` table in the lake: what it holds now, and committing a batch to it.

The exporter keeps no state of its own. Everything it needs to resume — the last batch it
committed, the highest id or finish time it exported, which ids it holds — is read from the
table itself, at one Delta version (a :class:`Snapshot`), so a crash at any point leaves
nothing to reconcile: the next pass reads the table and carries on from what committed.

Commits go through :meth:`Lake.write <sluiceway.lake.service.Lake.write>` with a Delta app
transaction (``app_id`` :data:`APP_ID`, version = the batch number): a batch at or below
the committed one is skipped, so two exporters that read the same snapshot (the daemon and
a ``sluiceway query``, say) commit its next batch once between them.

The lake is opened without the metadata store, so a commit registers nothing and emits no
``table.committed``: an event for each export would itself be exported, and every pass
would find something new. The table is registered in the catalog here instead, with its
documentation, which is what makes ``sluiceway query`` and pipelines know it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from sluiceway.lake.commit import WriteContext, committed_batch
from sluiceway.lake.names import TableName
from sluiceway.lake.registration import ColumnDoc, TableOptions, definition
from sluiceway.lake.table import open_delta

if TYPE_CHECKING:
    from deltalake import DeltaTable

    from sluiceway.lake.commit import CommitResult
    from sluiceway.lake.service import Lake
    from sluiceway.meta.store import MetaStore
    from sluiceway.observe.system.tables import SystemTable

APP_ID = "sluiceway/system-tables"
"""The Delta app id of every export commit."""
CREATE_APP_ID = "sluiceway/system-tables/create"
"""The app id of the empty commit that creates a table. Racing creators may both commit
it; being apart from :data:`APP_ID`, a late one cannot set the exports' batch back."""
OWNER = "sluiceway"


@dataclass
class Snapshot:
    """A system table at one Delta version (None-safe: ``delta`` is None before it exists)."""

    target: Target
    delta: DeltaTable | None

    @property
    def exists(self) -> bool:
        """Whether the table has been created."""
        return self.delta is not None

    @property
    def batch(self) -> int:
        """The last batch the exporter committed (0 before the first)."""
        return committed_batch(self.delta, APP_ID) or 0

    def column_max(self, column: str) -> Any:
        """The largest value of ``column`` (None when the table has none).

        Read from the files' statistics in the Delta log, without reading data; a file
        without usable statistics makes it scan that column instead. Timestamp maxima in
        the log are cut to the millisecond, so callers treat a timestamp as approximate.
        """
        if self.delta is None:
            return None
        actions = pa.table(self.delta.get_add_actions(flatten=True))
        name = f"max.{column}"
        if actions.num_rows == 0:
            return None
        if name in actions.column_names and _stats_complete(actions, column):
            return pc.max(actions.column(name)).as_py()
        return pc.max(self.dataset().to_table(columns=[column]).column(column)).as_py()

    def ids_above(self, low: int) -> set[int]:
        """The ``id`` values above ``low`` (files below it are skipped by their statistics)."""
        if self.delta is None:
            return set()
        rows = self.dataset().to_table(columns=["id"], filter=pc.field("id") > low)
        return {int(v) for v in rows.column("id").to_pylist()}

    def rows(self, keys: Sequence[Any], narrow: pc.Expression | None = None) -> pa.Table:
        """The exported columns of the rows whose ``id`` is in ``keys``.

        ``narrow`` is a filter every wanted row is known to meet (e.g. ``queued_at`` at or
        after the earliest wanted), so files outside it are skipped by their statistics.
        """
        columns = list(self.target.table.column_names)
        if self.delta is None or not keys:
            return self.target.table.empty()
        wanted = pc.field("id").isin(pa.array(keys, self.target.table.schema.field("id").type))
        condition = wanted if narrow is None else narrow & wanted
        return self.dataset().to_table(columns=columns, filter=condition)

    def dataset(self) -> Any:
        """The version as a pyarrow dataset on a native filesystem (see ``docs/lake.md``)."""
        assert self.delta is not None
        storage = self.target.lake.storage
        return self.delta.to_pyarrow_dataset(filesystem=storage.filesystem(self.target.uri))


def _stats_complete(actions: pa.Table, column: str) -> bool:
    """Every file holding a non-null value of ``column`` records its maximum."""
    name, nulls = f"max.{column}", f"null_count.{column}"
    if nulls not in actions.column_names:
        return False
    for high, null_count, rows in zip(
        actions.column(name).to_pylist(),
        actions.column(nulls).to_pylist(),
        actions.column("num_records").to_pylist(),
        strict=True,
    ):
        if high is None and (rows is None or null_count is None or null_count < rows):
            return False
    return True


@dataclass
class Target:
    """Where one system table is written, and how it is registered.

    Args:
        lake: a lake opened without a metadata store (see the module's docstring).
        store: the metadata store the table is registered in.
        table: which system table.
        export_id: the export pass writing; it becomes the rows' ``_sw_run_id``.
    """

    lake: Lake
    store: MetaStore
    table: SystemTable
    export_id: str

    @property
    def name(self) -> TableName:
        """``_system.<name>`` as a table name."""
        return TableName.parse(self.table.qualified_name)

    @property
    def uri(self) -> str:
        """Where the table is stored: ``{lake}/{env}/_system/<name>``."""
        return self.lake.storage.table_uri(self.lake.env, self.name)

    def snapshot(self, *, create: bool = False) -> Snapshot:
        """The table as it is now (one Delta version for everything read from it).

        Args:
            create: create the table, empty, if it does not exist yet. Exporters always
                start with an empty first commit: two writers racing to create a table can
                both commit their first batch (the second lands as an append on the table
                the first created), which is harmless only when that batch holds no rows.
                Every later commit is made on a loaded table, where a concurrent commit of
                the same batch is a conflict and the loser skips it.
        """
        snapshot = Snapshot(self, open_delta(self.uri, self.lake.storage.storage_options()))
        if snapshot.delta is None and create:
            self.commit(self.table.empty(), 1, app_id=CREATE_APP_ID)
            snapshot = Snapshot(self, open_delta(self.uri, self.lake.storage.storage_options()))
        return snapshot

    def options(self) -> TableOptions:
        """Catalog options: the table's and its columns' documentation."""
        return TableOptions(
            description=self.table.description,
            owner=OWNER,
            tags=("system",),
            columns={c.name: ColumnDoc(c.description) for c in self.table.columns},
        )

    def commit(self, data: pa.Table, batch: int, *, app_id: str = APP_ID) -> CommitResult:
        """Commit ``data`` as ``batch`` (append or merge on the keys) and register the table.

        Returns the lake's result; ``skipped`` means another exporter committed this batch
        first, from the same state of the table, so this one's rows are already there.
        """
        from sluiceway.spec.materializations import Merge

        materialization: Any = "append"
        if self.table.kind == "merge":
            materialization = Merge(type="merge", keys=list(self.table.keys))
        ctx = WriteContext(
            run_id=self.export_id, app_id=app_id, batch=batch, source=self.table.source
        )
        result = self.lake.write(
            self.name, data, materialization, ctx, table_options=self.options()
        )
        if not result.skipped and result.version is not None:
            self._register(result.version)
        return result

    def register_current(self) -> None:
        """Register the table at its latest version (after a crash skipped registration)."""
        snapshot = self.snapshot()
        if snapshot.delta is not None:
            self._register(snapshot.delta.version())

    def _register(self, version: int) -> None:
        from sluiceway.meta.catalog import CatalogRepo
        from sluiceway.meta.errors import ConflictError

        committed = open_delta(self.uri, self.lake.storage.storage_options())
        assert committed is not None
        schema = pa.schema(committed.schema().to_arrow())
        registered = definition(
            self.name, self.lake.env, self.uri, self.options(), schema, partition_by=()
        )
        catalog = CatalogRepo(self.store)
        try:
            catalog.register(registered, delta_version=version, run_id=self.export_id)
        except ConflictError:
            # Another exporter registered the new table at the same moment (the catalog
            # looks, then inserts): it exists now, and registering again updates it.
            catalog.register(registered, delta_version=version, run_id=self.export_id)
