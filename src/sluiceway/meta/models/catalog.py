"""Catalog tables: registered tables, their columns and their schema history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sluiceway.meta.models.base import Base


class TableRow(Base):
    """A catalog entry: one Delta table (or view) in one environment."""

    __tablename__ = "tables"
    __table_args__ = (UniqueConstraint("env", "layer", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    env: Mapped[str] = mapped_column(String(64))
    layer: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    location: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list[str]] = mapped_column(JSON)
    partition_by: Mapped[list[str]] = mapped_column(JSON)
    zorder_by: Mapped[list[str]] = mapped_column(JSON)
    schema_policy: Mapped[str | None] = mapped_column(String(32))
    retention: Mapped[str | None] = mapped_column(Text)
    sla: Mapped[dict[str, Any] | None]
    is_view: Mapped[bool] = mapped_column(Boolean, default=False)
    view_sql: Mapped[str | None] = mapped_column(Text)
    schema_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TableColumnRow(Base):
    """One column of a table's current schema."""

    __tablename__ = "table_columns"
    __table_args__ = (UniqueConstraint("table_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(255))
    nullable: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON)


class SchemaVersionRow(Base):
    """One version of a table's schema and what changed from the previous one."""

    __tablename__ = "schema_versions"
    __table_args__ = (UniqueConstraint("table_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    delta_version: Mapped[int | None] = mapped_column(BigInteger)
    schema: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    change: Mapped[dict[str, Any]] = mapped_column(JSON)
    run_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]
