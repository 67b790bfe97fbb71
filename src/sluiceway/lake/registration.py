"""What the catalog records about a lake table: its options from YAML and its real columns.

The columns registered are the Delta table's own schema after the commit (lineage columns
included, documented here), so the catalog shows what readers get, and its schema versions
follow the table's: :meth:`~sluiceway.meta.catalog.CatalogRepo.register` diffs them and
records a new version (with ``added`` columns) whenever they change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sluiceway.lake import lineage
from sluiceway.lake.names import TableName
from sluiceway.lake.schema_policy import DEFAULT_POLICY, Policy, type_name
from sluiceway.meta.catalog import TableDefinition
from sluiceway.meta.schema_diff import Column

if TYPE_CHECKING:
    import pyarrow as pa

    from sluiceway.spec.tables import TableMeta

LINEAGE_DOCS: Mapping[str, str] = {
    lineage.RUN_ID: "Run that wrote the row (Sluiceway lineage).",
    lineage.LOADED_AT: "When the row was loaded, UTC (Sluiceway lineage).",
    lineage.SOURCE: "Where the row came from: file, table or source (Sluiceway lineage).",
    lineage.CREATED_AT: "When the row's key was first seen, UTC (Sluiceway lineage).",
    lineage.UPDATED_AT: "When the row last changed, UTC (Sluiceway lineage).",
    lineage.ROW_HASH: "Hash of the tracked columns, to detect changes (Sluiceway lineage).",
}


@dataclass(frozen=True)
class ColumnDoc:
    """Documentation of one column."""

    description: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableOptions:
    """Per-table settings from a pipeline's ``tables:`` section (defaults when absent)."""

    partition_by: tuple[str, ...] = ()
    zorder_by: tuple[str, ...] = ()
    schema_policy: Policy = DEFAULT_POLICY
    description: str | None = None
    owner: str | None = None
    tags: tuple[str, ...] = ()
    columns: Mapping[str, ColumnDoc] = field(default_factory=dict)
    retention: str | None = None
    sla: Mapping[str, Any] | None = None

    @classmethod
    def from_meta(cls, meta: TableMeta) -> TableOptions:
        """The options a ``TableMeta`` model declares."""
        retention = None
        if meta.retention is not None:
            # "730d on order_date, archived": every part of the policy, readable in listings.
            retention = f"{meta.retention.days}d on {meta.retention.column}"
            if meta.retention.archive:
                retention += ", archived"
        return cls(
            partition_by=tuple(meta.partition_by),
            zorder_by=tuple(meta.zorder_by),
            schema_policy=meta.schema_policy,
            description=meta.description,
            owner=meta.owner,
            tags=tuple(meta.tags),
            columns={
                name: ColumnDoc(doc.description, tuple(doc.tags))
                for name, doc in meta.columns.items()
            },
            retention=retention,
            sla=meta.sla.model_dump(mode="json", exclude_none=True) if meta.sla else None,
        )


def columns_of(schema: pa.Schema, docs: Mapping[str, ColumnDoc]) -> tuple[Column, ...]:
    """Catalog columns of an Arrow schema, documented from ``docs`` and the lineage notes."""
    columns = []
    for f in schema:
        doc = docs.get(f.name, ColumnDoc(LINEAGE_DOCS.get(f.name)))
        columns.append(Column(f.name, type_name(f.type), f.nullable, doc.description, doc.tags))
    return tuple(columns)


def definition(
    name: TableName,
    env: str,
    location: str,
    options: TableOptions,
    schema: pa.Schema | None = None,
    *,
    partition_by: tuple[str, ...] | None = None,
    view_sql: str | None = None,
) -> TableDefinition:
    """The catalog definition of a table (or, with ``view_sql``, of a view)."""
    return TableDefinition(
        env=env,
        layer=name.layer,
        name=name.name,
        location=location,
        columns=columns_of(schema, options.columns) if schema is not None else (),
        description=options.description,
        owner=options.owner,
        tags=options.tags,
        partition_by=options.partition_by if partition_by is None else partition_by,
        zorder_by=options.zorder_by,
        schema_policy=options.schema_policy,
        retention=options.retention,
        sla=options.sla,
        is_view=view_sql is not None,
        view_sql=view_sql,
    )
