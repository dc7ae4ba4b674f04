"""replies, alerts, staff accounts and the audit log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:04:59.596828
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)

    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("treatment_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("notify_claimed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("notify_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("notify_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("escalated_to", sa.String(length=320), nullable=True))
        batch_op.alter_column(
            "acknowledged_by",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.String(length=320),
            existing_nullable=True,
        )
        batch_op.drop_index(batch_op.f("ix_alert_inbound_id"))
        batch_op.create_index(
            batch_op.f("ix_alert_practitioner_id"), ["practitioner_id"], unique=False
        )
        batch_op.create_unique_constraint("uq_alert_inbound_id", ["inbound_id"])
        batch_op.create_foreign_key("fk_alert_treatment_id", "treatment", ["treatment_id"], ["id"])

    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("treatment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("to_address", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("media_urls", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("auto_reply", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("handled_by", sa.String(length=320), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_inbound_message_treatment_id"), ["treatment_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_inbound_message_treatment_id", "treatment", ["treatment_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_constraint("fk_inbound_message_treatment_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_inbound_message_treatment_id"))
        for column in ("handled_by", "handled_at", "auto_reply", "media_urls", "to_address"):
            batch_op.drop_column(column)
        batch_op.drop_column("treatment_id")

    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_constraint("fk_alert_treatment_id", type_="foreignkey")
        batch_op.drop_constraint("uq_alert_inbound_id", type_="unique")
        batch_op.drop_index(batch_op.f("ix_alert_practitioner_id"))
        batch_op.create_index(batch_op.f("ix_alert_inbound_id"), ["inbound_id"], unique=False)
        batch_op.alter_column(
            "acknowledged_by",
            existing_type=sa.String(length=320),
            type_=sa.VARCHAR(length=200),
            existing_nullable=True,
        )
        for column in ("escalated_to", "notify_error", "notify_attempts", "notify_claimed_at"):
            batch_op.drop_column(column)
        batch_op.drop_column("treatment_id")

    op.drop_table("staff_user")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))
    op.drop_table("audit_event")
