"""A table's retention is kept whole (days, column, archive), which may exceed 64 characters.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tables") as batch:
        batch.alter_column("retention", type_=sa.Text(), existing_type=sa.String(length=64))


def downgrade() -> None:
    raise NotImplementedError("metadata migrations are forward-only")
