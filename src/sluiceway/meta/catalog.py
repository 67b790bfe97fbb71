"""The catalog: registered tables, their current columns and their schema history.

``register`` is an upsert keyed by (env, layer, name). When the columns' names, types or
nullability differ from the current schema, it writes a new schema version with the
computed diff in the same transaction; documentation-only changes update the columns
without a new version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sluiceway.meta.errors import NotFoundError, StoreConfigError
from sluiceway.meta.models import SchemaVersionRow, TableColumnRow, TableRow, utcnow
from sluiceway.meta.schema_diff import Column, SchemaChange, diff_schema, duplicate_names

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore


@dataclass(frozen=True, slots=True)
class TableDefinition:
    """What a caller declares about a table; ``register`` stores it."""

    env: str
    layer: str
    name: str
    location: str
    columns: tuple[Column, ...] = ()
    description: str | None = None
    owner: str | None = None
    tags: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()
    zorder_by: tuple[str, ...] = ()
    schema_policy: str | None = None
    retention: str | None = None
    sla: Mapping[str, Any] | None = None
    is_view: bool = False
    view_sql: str | None = None


@dataclass(frozen=True, slots=True)
class TableInfo(TableDefinition):
    """A registered table as stored, with its schema version and timestamps."""

    id: int = 0
    schema_version: int = 0
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @property
    def qualified_name(self) -> str:
        """``layer.name``, as users write it."""
        return f"{self.layer}.{self.name}"


@dataclass(frozen=True, slots=True)
class SchemaVersion:
    """One version of a table's schema."""

    version: int
    columns: tuple[Column, ...]
    change: SchemaChange
    delta_version: int | None
    run_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Registration:
    """The result of ``register``: the table, and the schema version it created, if any."""

    table: TableInfo
    new_version: SchemaVersion | None


class CatalogRepo:
    """Tables, columns and schema versions."""

    def __init__(self, store: MetaStore) -> None:
        self._store = store

    def register(
        self,
        definition: TableDefinition,
        *,
        delta_version: int | None = None,
        run_id: str | None = None,
    ) -> Registration:
        """Create or update a table; record a schema version if its schema changed."""
        dupes = duplicate_names(definition.columns)
        if dupes:
            raise StoreConfigError(
                f"table {definition.layer}.{definition.name} has duplicate columns: "
                + ", ".join(dupes)
            )
        now = utcnow()
        with self._store.session(write=True) as session:
            row = _find(session, definition.env, definition.layer, definition.name)
            if row is None:
                row = TableRow(
                    env=definition.env,
                    layer=definition.layer,
                    name=definition.name,
                    schema_version=0,
                    created_at=now,
                )
                session.add(row)
                old_columns: list[Column] = []
            else:
                old_columns = _columns(session, row.id)
            _apply(row, definition, now)
            session.flush()
            change = diff_schema(old_columns, definition.columns)
            new_version = None
            if not change.is_empty or row.schema_version == 0:
                row.schema_version += 1
                new_version = SchemaVersion(
                    row.schema_version, definition.columns, change, delta_version, run_id, now
                )
                session.add(
                    SchemaVersionRow(
                        table_id=row.id,
                        version=new_version.version,
                        delta_version=delta_version,
                        schema=[c.to_json() for c in definition.columns],
                        change=change.to_json(),
                        run_id=run_id,
                        created_at=now,
                    )
                )
            if tuple(old_columns) != definition.columns:
                _replace_columns(session, row.id, definition.columns)
            session.flush()
            return Registration(_info(row, list(definition.columns)), new_version)

    def get(self, env: str, layer: str, name: str) -> TableInfo | None:
        """The table, or ``None`` if it is not registered."""
        with self._store.session() as session:
            row = _find(session, env, layer, name)
            return None if row is None else _info(row, _columns(session, row.id))

    def require(self, env: str, layer: str, name: str) -> TableInfo:
        """The table; raises :class:`NotFoundError` naming it if it is not registered."""
        table = self.get(env, layer, name)
        if table is None:
            raise NotFoundError(
                f"table {layer}.{name} is not registered in environment {env!r}",
                hint="run the pipeline that produces it, or check the name",
            )
        return table

    def tables(self, env: str | None = None, layer: str | None = None) -> list[TableInfo]:
        """Registered tables, by environment, layer and name."""
        query = select(TableRow).order_by(TableRow.env, TableRow.layer, TableRow.name)
        if env is not None:
            query = query.where(TableRow.env == env)
        if layer is not None:
            query = query.where(TableRow.layer == layer)
        with self._store.session() as session:
            rows = session.scalars(query).all()
            columns: dict[int, list[Column]] = {row.id: [] for row in rows}
            col_query = select(TableColumnRow).order_by(TableColumnRow.ordinal)
            for col in session.scalars(col_query.where(TableColumnRow.table_id.in_(columns))):
                columns[col.table_id].append(_column(col))
            return [_info(row, columns[row.id]) for row in rows]

    def names(self, env: str) -> list[str]:
        """The ``layer.name`` of every table registered in ``env`` (names only: cheap)."""
        query = select(TableRow.layer, TableRow.name).where(TableRow.env == env)
        with self._store.reader() as connection:
            return [f"{layer}.{name}" for layer, name in connection.execute(query)]

    def history(self, env: str, layer: str, name: str) -> list[SchemaVersion]:
        """Every schema version of the table, oldest first."""
        table = self.require(env, layer, name)
        query = (
            select(SchemaVersionRow)
            .where(SchemaVersionRow.table_id == table.id)
            .order_by(SchemaVersionRow.version)
        )
        with self._store.session() as session:
            return [
                SchemaVersion(
                    version=r.version,
                    columns=tuple(Column.from_json(c) for c in r.schema),
                    change=SchemaChange.from_json(r.change),
                    delta_version=r.delta_version,
                    run_id=r.run_id,
                    created_at=r.created_at,
                )
                for r in session.scalars(query)
            ]

    def drop(self, env: str, layer: str, name: str) -> bool:
        """Remove the table, its columns and history from the catalog; False if absent."""
        with self._store.session(write=True) as session:
            row = _find(session, env, layer, name)
            if row is None:
                return False
            session.delete(row)
            return True


def _find(session: Session, env: str, layer: str, name: str) -> TableRow | None:
    query = select(TableRow).where(
        TableRow.env == env, TableRow.layer == layer, TableRow.name == name
    )
    return session.scalars(query).first()


def _apply(row: TableRow, definition: TableDefinition, now: datetime) -> None:
    row.location = definition.location
    row.description = definition.description
    row.owner = definition.owner
    row.tags = list(definition.tags)
    row.partition_by = list(definition.partition_by)
    row.zorder_by = list(definition.zorder_by)
    row.schema_policy = definition.schema_policy
    row.retention = definition.retention
    row.sla = dict(definition.sla) if definition.sla is not None else None
    row.is_view = definition.is_view
    row.view_sql = definition.view_sql
    row.updated_at = now


def _replace_columns(session: Session, table_id: int, columns: tuple[Column, ...]) -> None:
    session.execute(delete(TableColumnRow).where(TableColumnRow.table_id == table_id))
    session.add_all(
        TableColumnRow(
            table_id=table_id,
            ordinal=i,
            name=c.name,
            type=c.type,
            nullable=c.nullable,
            description=c.description,
            tags=list(c.tags),
        )
        for i, c in enumerate(columns)
    )


def _columns(session: Session, table_id: int) -> list[Column]:
    query = (
        select(TableColumnRow)
        .where(TableColumnRow.table_id == table_id)
        .order_by(TableColumnRow.ordinal)
    )
    return [_column(c) for c in session.scalars(query)]


def _column(row: TableColumnRow) -> Column:
    return Column(row.name, row.type, row.nullable, row.description, tuple(row.tags or ()))


def _info(row: TableRow, columns: list[Column]) -> TableInfo:
    return TableInfo(
        env=row.env,
        layer=row.layer,
        name=row.name,
        location=row.location,
        columns=tuple(columns),
        description=row.description,
        owner=row.owner,
        tags=tuple(row.tags or ()),
        partition_by=tuple(row.partition_by or ()),
        zorder_by=tuple(row.zorder_by or ()),
        schema_policy=row.schema_policy,
        retention=row.retention,
        sla=row.sla,
        is_view=row.is_view,
        view_sql=row.view_sql,
        id=row.id,
        schema_version=row.schema_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
