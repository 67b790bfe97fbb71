"""Alerts: each alert's state (for de-duplication, grouping and resolution across restarts)
and the outbox of messages to channels.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("rule", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=1024), nullable=False),
        sa.Column("group_key", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("pipeline", sa.String(length=255), nullable=True),
        sa.Column("step", sa.String(length=255), nullable=True),
        sa.Column("table_name", sa.String(length=255), nullable=True),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("first_event_id", sa.BigInteger(), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending", sa.String(length=16), nullable=True),
        sa.Column("pending_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "status IN ('firing', 'resolved', 'expired')", name=op.f("ck_alerts_status")
        ),
        sa.CheckConstraint(
            "pending IN ('firing', 'reminder', 'resolved')", name=op.f("ck_alerts_pending")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(op.f("ix_alerts_rule_subject"), "alerts", ["rule", "subject"], unique=False)
    op.create_index(op.f("ix_alerts_pending"), "alerts", ["pending"], unique=False)
    op.create_index(op.f("ix_alerts_status"), "alerts", ["status"], unique=False)

    op.create_table(
        "alert_notifications",
        sa.Column("id", _ID, nullable=False),
        sa.Column("channel", sa.String(length=255), nullable=False),
        sa.Column("rule", sa.String(length=255), nullable=True),
        sa.Column("group_key", sa.String(length=512), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'held', 'summarized')",
            name=op.f("ck_alert_notifications_status"),
        ),
        sa.CheckConstraint(
            "kind IN ('alert', 'summary', 'test')", name=op.f("ck_alert_notifications_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_notifications")),
    )
    op.create_index(
        op.f("ix_alert_notifications_channel_status"),
        "alert_notifications",
        ["channel", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_alert_notifications_rule_group_key"),
        "alert_notifications",
        ["rule", "group_key"],
        unique=False,
    )
    op.create_index(
        op.f("ix_alert_notifications_created_at"),
        "alert_notifications",
        ["created_at"],
        unique=False,
    )


def downgrade() -> None:
    raise NotImplementedError("metadata migrations are forward-only")
