"""Profiles: what each commit's new data looked like, column by column."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sluiceway.meta.models.base import Base, BigId


class ProfileRow(Base):
    """The profile of the rows one commit added to a table.

    ``columns`` is a JSON list of per-column statistics (nulls, distinct, min/max, mean and
    standard deviation, string lengths, top values); ``sampled_rows`` says how many rows
    the statistics that need a scan were computed on.
    """

    __tablename__ = "profiles"
    __table_args__ = (Index(None, "env", "table_name", "profiled_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    env: Mapped[str] = mapped_column(String(64))
    table_name: Mapped[str] = mapped_column(String(255))
    delta_version: Mapped[int | None] = mapped_column(BigInteger)
    run_id: Mapped[str | None] = mapped_column(String(36))
    rows: Mapped[int] = mapped_column(BigInteger)
    sampled_rows: Mapped[int] = mapped_column(BigInteger)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    profiled_at: Mapped[datetime]
