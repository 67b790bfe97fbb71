"""Events may carry a unique deduplication key, so a fact is appended at most once.

Trigger watchers (schedule ticks, arriving files) may race each other or restart and see the
same fact again; a unique index on the nullable key lets the database refuse the second
append. NULL keys never collide, so ordinary events are unaffected.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("dedup_key", sa.String(length=255), nullable=True))
    op.create_index(op.f("ix_events_dedup_key"), "events", ["dedup_key"], unique=True)


def downgrade() -> None:
    raise NotImplementedError("metadata migrations are forward-only")
