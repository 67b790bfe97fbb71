"""Column-level lineage: which upstream columns each column of a table is computed from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sluiceway.meta.models.base import Base, BigId


class LineageEdgeRow(Base):
    """One edge: ``source.source_column`` feeds ``target.column``.

    ``column`` and ``source_column`` are NULL for a table-level edge (a python step's
    declared input, whose columns cannot be traced). A table's edges are replaced as a whole
    on each commit that recorded lineage; ``delta_version`` says which commit that was.
    """

    __tablename__ = "column_lineage"
    __table_args__ = (
        Index(None, "env", "target"),
        Index(None, "env", "source"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    env: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    column: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(255))
    source_column: Mapped[str | None] = mapped_column(String(255))
    delta_version: Mapped[int | None] = mapped_column(BigInteger)
    run_id: Mapped[str | None] = mapped_column(String(36))
    recorded_at: Mapped[datetime]
