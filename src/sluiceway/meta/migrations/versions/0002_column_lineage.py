"""Column-level lineage edges, recorded on each commit of a computed table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "column_lineage",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("env", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("column", sa.String(length=255), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("source_column", sa.String(length=255), nullable=True),
        sa.Column("delta_version", sa.BigInteger(), nullable=True),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_column_lineage")),
    )
    op.create_index(
        op.f("ix_column_lineage_env_target"), "column_lineage", ["env", "target"], unique=False
    )
    op.create_index(
        op.f("ix_column_lineage_env_source"), "column_lineage", ["env", "source"], unique=False
    )


def downgrade() -> None:
    raise NotImplementedError("metadata migrations are forward-only")
