"""The lake as the rest of Sluiceway uses it: open a table, write a batch, define a view.

:class:`Lake` is a thin facade. Each concern lives in its own module and is only sequenced
here: input shapes (:mod:`~sluiceway.lake.streams`), lineage columns
(:mod:`~sluiceway.lake.lineage`), schema policy (:mod:`~sluiceway.lake.schema_policy`), the
materializers (:mod:`~sluiceway.lake.materializations`), catalog registration
(:mod:`~sluiceway.lake.registration`) and the ``table.committed`` event.

A write is skipped — nothing written, registered or emitted — when its batch is already in
the table's log, so a step re-run after a crash is a no-op. The skip is decided before the
schema is checked, because a later batch may have evolved the table since.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sluiceway.errors import UsageError
from sluiceway.lake.commit import CommitResult, WriteContext, already_committed
from sluiceway.lake.lineage import with_lineage
from sluiceway.lake.materializations import kind_of, materializer
from sluiceway.lake.materializations.view import ViewMaterializer
from sluiceway.lake.materializations.writing import Replay, Rows, TableTarget, open_target
from sluiceway.lake.names import TableName
from sluiceway.lake.registration import TableOptions, definition
from sluiceway.lake.schema_policy import plan_write
from sluiceway.lake.streams import as_reader, conform, without_views
from sluiceway.lake.table import LakeTable

if TYPE_CHECKING:
    from deltalake import DeltaTable

    from sluiceway.lake.staged import Output, Staged
    from sluiceway.lake.storage import LakeStorage
    from sluiceway.meta.catalog import TableInfo
    from sluiceway.meta.store import MetaStore
    from sluiceway.spec.project import Project
    from sluiceway.spec.settings import TableDefaults


TABLE_PROPERTIES: Mapping[str, str] = {
    # Opening a table reads every commit since the last checkpoint, one request each on an
    # object store; Delta's default of 100 makes a busy table slow to open.
    "delta.checkpointInterval": "10",
}
"""Delta table properties set when the lake creates a table."""


class Lake:
    """The tables of one environment, with their catalog entries and events.

    Args:
        storage: where the lake is.
        env: the environment (``prod`` unless ``--env``).
        store: the metadata store; without one, nothing is registered or emitted.
        defaults: the project's ``table_defaults`` (file size, compression, lineage display).
        tables: per-table options from the pipelines' ``tables:`` sections, by ``layer.name``.
    """

    def __init__(
        self,
        storage: LakeStorage,
        env: str = "prod",
        store: MetaStore | None = None,
        defaults: TableDefaults | None = None,
        tables: Mapping[str, TableOptions] | None = None,
    ) -> None:
        from sluiceway.spec.settings import TableDefaults

        self.storage = storage
        self.env = env
        self.store = store
        self.defaults = defaults or TableDefaults()
        self.tables = dict(tables or {})

    @classmethod
    def for_project(cls, project: Project, store: MetaStore | None) -> Lake:
        """The lake of a loaded project, in the project's selected environment."""
        from sluiceway.lake.storage import lake_storage

        tables = {
            name: TableOptions.from_meta(meta)
            for pipeline in project.pipelines.values()
            for name, meta in pipeline.tables.items()
        }
        # A table's owner defaults to the owner of the pipeline that writes it.
        for name, (pipeline, _) in project.tables_written().items():
            options = tables.get(name, TableOptions())
            if pipeline.owner and options.owner is None:
                tables[name] = dataclasses.replace(options, owner=pipeline.owner)
        return cls(
            lake_storage(project.settings, project.root),
            project.env,
            store,
            project.settings.table_defaults,
            tables,
        )

    def options(self, name: str | TableName) -> TableOptions:
        """The declared options of a table (defaults if its pipeline declares none)."""
        return self.tables.get(str(name), TableOptions())

    @property
    def hides_lineage(self) -> bool:
        """Whether readers see the ``_sw_*`` lineage columns only when they name them."""
        return self.defaults.lineage_columns == "hidden"

    def table(self, name: str | TableName) -> LakeTable:
        """A handle on ``layer.name`` (with its catalog entry when a store is attached)."""
        table_name = _name(name)
        return LakeTable(
            table_name,
            self.env,
            self.storage,
            info=self._info(table_name),
            hide_lineage=self.hides_lineage,
        )

    def target(
        self,
        name: str | TableName,
        spec: Any = None,
        options: TableOptions | None = None,
    ) -> TableTarget:
        """What materializers write to: location, layout, file settings and schema policy."""
        table_name = _name(name)
        options = options or self.options(table_name)
        info = self._info(table_name)
        return TableTarget(
            name=table_name,
            uri=self.storage.table_uri(self.env, table_name),
            storage=self.storage,
            partition_by=options.partition_by or tuple(getattr(spec, "partition_by", ())),
            target_file_size=self.defaults.target_file_size,
            compression=self.defaults.compression,
            compression_level=self.defaults.compression_level,
            configuration=dict(TABLE_PROPERTIES),
            schema_policy=options.schema_policy,
            schema_version=info.schema_version if info else None,
        )

    def write(
        self,
        table: str | TableName,
        data: Any,
        materialization: Any,
        ctx: WriteContext,
        *,
        table_options: TableOptions | None = None,
    ) -> CommitResult:
        """Commit ``data`` to ``table`` as batch ``ctx``: one Delta transaction, exactly once.

        Args:
            table: ``layer.name``.
            data: a ``pa.Table``, a ``RecordBatchReader``, an Arrow C stream or an iterable
                of record batches; lineage columns are added as it streams.
            materialization: the step's materialization (spec model or kind name).
            ctx: run, app id and batch number.
            table_options: overrides the options declared in the project.

        Raises:
            SchemaPolicyError: the data's schema breaks the table's policy (nothing written).
            CommitConflictError: concurrent writers kept winning (transient).
        """
        kind = kind_of(materialization)
        if kind == ViewMaterializer.kind:
            raise UsageError(f"{table} is a view", hint="define it with Lake.create_view")
        options = table_options or self.options(table)
        target = self.target(table, materialization, options)
        existing = open_target(target)
        if already_committed(existing, ctx):
            assert existing is not None
            return CommitResult(str(target.name), existing.version(), kind, skipped=True)
        reader = with_lineage(without_views(as_reader(data)), ctx)
        writer = materializer(kind)
        plan = plan_write(
            str(target.name),
            _schema(existing),
            reader.schema,
            target.schema_policy,
            replaces_table=kind == "overwrite",
            keeps=f"schema version {target.schema_version}" if target.schema_version else None,
            maintained=writer.maintained,
        )
        rows: Rows = conform(reader, plan.write_schema)
        if isinstance(data, pa.Table | pa.RecordBatch):
            # In memory already: a retry reads it again instead of spooling a copy to disk.
            def again() -> pa.RecordBatchReader:
                return conform(with_lineage(without_views(as_reader(data)), ctx), plan.write_schema)

            rows = Replay.repeatable(again)
        result = writer.write(target, rows, ctx, materialization)
        if not result.skipped:
            committed = self._record(target, options, result, ctx)
            self._autocompact(target, committed)
            if committed is not None:
                result = self._described(target, result, committed)
        return result

    @contextmanager
    def staging(
        self, table: str | TableName, ctx: WriteContext, *, root: str | None = None
    ) -> Iterator[Output]:
        """A staging folder and file settings for an engine computing batch ``ctx`` of ``table``.

        The output carries the batch's lineage columns as constants for the engine to project.
        ``root``: where the engine needs its staging folder (one its workers share).

        The folder (and whatever an unpublished result left in it) is deleted on exit.
        """
        from sluiceway.lake.lineage import lineage_constants
        from sluiceway.lake.staged import Output, staging_area

        target = self.target(table)
        with staging_area(target, root) as folder:
            yield Output(
                directory=folder,
                partition_by=self._partition_by(target),
                target_file_size=target.target_file_size,
                compression=target.compression,
                compression_level=target.compression_level,
                constants=lineage_constants(ctx),
            )

    def commit_staged(
        self,
        table: str | TableName,
        staged: Staged,
        materialization: Any,
        ctx: WriteContext,
        *,
        table_options: TableOptions | None = None,
    ) -> CommitResult:
        """Commit files an engine staged for ``table`` as batch ``ctx``, exactly once.

        Files that already have the table's schema and layout are committed as they are
        (``append``, ``overwrite``, ``partition_overwrite``); otherwise — a merge, an
        evolving schema — their rows stream through :meth:`write`.
        """
        from sluiceway.lake.staged_commit import commit_staged

        kind = kind_of(materialization)
        options = table_options or self.options(table)
        target = self.target(table, materialization, options)
        result = commit_staged(target, staged, kind, ctx)
        if result is None:
            return self.write(table, staged.reader(), materialization, ctx, table_options=options)
        if not result.skipped:
            committed = self._record(target, options, result, ctx)
            self._autocompact(target, committed)
            if committed is not None:
                result = self._described(target, result, committed)
        return result

    def already_committed(self, table: str | TableName, ctx: WriteContext) -> bool:
        """True when batch ``ctx`` is in ``table``'s log: the step need not compute it."""
        return already_committed(open_target(self.target(table)), ctx)

    @staticmethod
    def _partition_by(target: TableTarget) -> tuple[str, ...]:
        """The layout the next files must have: the table's own, else the declared one."""
        existing = open_target(target)
        if existing is not None:
            return tuple(existing.metadata().partition_columns)
        return target.partition_by

    def _autocompact(self, target: TableTarget, table: DeltaTable | None = None) -> None:
        """Compact once a table holds ``table_defaults.autocompact_files`` small files.

        Streams and frequent small loads leave many small files, and every reader pays
        for each one; compacting right after the commit that crossed the threshold keeps
        reads fast without a separate maintenance job.
        """
        from sluiceway.lake.maintenance import maybe_compact, store_sink

        table = table or open_target(target)
        if table is None:
            return
        maybe_compact(
            table,
            self.defaults.autocompact_files,
            name=str(target.name),
            target_size=target.target_file_size,
            emit=store_sink(self.store) if self.store is not None else None,
            writer_properties=target.writer_properties(),
        )

    def create_view(
        self,
        name: str | TableName,
        sql: str,
        ctx: WriteContext,
        *,
        table_options: TableOptions | None = None,
        schema: pa.Schema | None = None,
    ) -> TableInfo:
        """Define (or redefine) a view: its SQL goes to the catalog, nothing to the lake.

        ``schema`` is the columns the view returns, recorded for ``describe``.

        Raises:
            UsageError: no metadata store is attached, the SQL is empty, or a stored table
                already exists under this name.
        """
        table_name = _name(name)
        if self.store is None:
            raise UsageError(f"view {table_name} needs a metadata store to be defined in")
        handle = self.table(table_name)
        if handle.exists():
            raise UsageError(
                f"{table_name} is a stored table; it cannot become a view in place",
                hint="drop the table first, or give the view another name",
            )
        view = definition(
            table_name,
            self.env,
            handle.uri,
            table_options or self.options(table_name),
            schema,
            view_sql=sql,
        )
        return ViewMaterializer().define(self.store, view, ctx.run_id).table

    def _record(
        self, target: TableTarget, options: TableOptions, result: CommitResult, ctx: WriteContext
    ) -> DeltaTable | None:
        """Register the committed schema in the catalog and emit ``table.committed``.

        Returns:
            The table at the version committed (None without a store), for the checks
            that follow the commit.
        """
        if self.store is None or result.version is None:
            return None
        from deltalake import DeltaTable

        from sluiceway.events import emit
        from sluiceway.events.types import TableCommitted
        from sluiceway.meta.catalog import CatalogRepo

        committed = DeltaTable(
            target.uri, version=result.version, storage_options=target.storage_options()
        )
        registered = definition(
            target.name,
            self.env,
            target.uri,
            options,
            _schema(committed),
            partition_by=tuple(committed.metadata().partition_columns),
        )
        CatalogRepo(self.store).register(
            registered, delta_version=result.version, run_id=ctx.run_id
        )
        pipeline, _, step = ctx.app_id.partition("/")
        step = step.split("@", 1)[0]  # a partition's batches: pipeline/step@partition
        emit(
            self.store,
            TableCommitted(
                table=str(target.name),
                run_id=ctx.run_id,
                pipeline=pipeline if step else None,
                step=step or None,
                version=result.version,
                operation=result.operation,
                batch=ctx.batch,
                rows=result.rows_added,
            ),
        )
        return committed

    def _described(
        self, target: TableTarget, result: CommitResult, committed: DeltaTable
    ) -> CommitResult:
        """``result`` with the committed schema and the bytes its files added (its log entry)."""
        from sluiceway.lake.history import commit_files
        from sluiceway.lake.maintenance.common import TableRef

        assert result.version is not None
        files = commit_files(TableRef(self.storage, self.env, target.name), result.version)
        return dataclasses.replace(
            result, schema=_schema(committed), bytes_added=sum(f.size for f in files)
        )

    def _info(self, name: TableName) -> TableInfo | None:
        if self.store is None:
            return None
        from sluiceway.meta.catalog import CatalogRepo

        return CatalogRepo(self.store).get(self.env, name.layer, name.name)


def _name(name: str | TableName) -> TableName:
    return name if isinstance(name, TableName) else TableName.parse(name)


def _schema(table: Any) -> pa.Schema | None:
    import pyarrow as pa

    return None if table is None else pa.schema(table.schema().to_arrow())
