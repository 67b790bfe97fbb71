"""Profiles of the data each commit added, kept as history for expectations and anomalies.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profiles",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("env", sa.String(length=64), nullable=False),
        sa.Column("table_name", sa.String(length=255), nullable=False),
        sa.Column("delta_version", sa.BigInteger(), nullable=True),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("sampled_rows", sa.BigInteger(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("profiled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
    )
    op.create_index(
        op.f("ix_profiles_env_table_name_profiled_at"),
        "profiles",
        ["env", "table_name", "profiled_at"],
        unique=False,
    )


def downgrade() -> None:
    raise NotImplementedError("metadata migrations are forward-only")
