"""Runs become a queue: a dedup key per trigger, a start-not-before, selected steps, cancel,
and the tables each run writes (one writer per table at a time).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("dedup_key", sa.String(length=512), nullable=True))
        batch.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("steps", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("writes", sa.JSON(), nullable=True))
        batch.create_unique_constraint(batch.f("uq_runs_dedup_key"), ["dedup_key"])


def downgrade() -> None:
    raise NotImplementedError("metadata migrations are forward-only")
