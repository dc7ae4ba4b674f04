"""reply photos kept in the database; alerts remember telling a practitioner of a later photo

Each photo a reply carried (MMS media, email attachment) gets a `reply_media` row: pending
until fetched, then stored (the image and its thumbnail as bytes) or refused (the reason). In
the database, not on disk, so that every service process serves every photo and the database
backup covers them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reply_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbound_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("refusal", sa.Text(), nullable=True),
        sa.Column("content_type", sa.String(length=50), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.ForeignKeyConstraint(["inbound_id"], ["inbound_message.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reply_media_inbound_id", "reply_media", ["inbound_id"], unique=False)
    op.create_index("ix_reply_media_patient_id", "reply_media", ["patient_id"], unique=False)
    op.create_index("ix_reply_media_alert_id", "reply_media", ["alert_id"], unique=False)
    op.create_index(
        "ix_reply_media_status_next", "reply_media", ["status", "next_attempt_at"], unique=False
    )
    with op.batch_alter_table("alert") as batch_op:
        batch_op.add_column(sa.Column("photo_told_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert") as batch_op:
        batch_op.drop_column("photo_told_at")
    op.drop_index("ix_reply_media_status_next", table_name="reply_media")
    op.drop_index("ix_reply_media_alert_id", table_name="reply_media")
    op.drop_index("ix_reply_media_patient_id", table_name="reply_media")
    op.drop_index("ix_reply_media_inbound_id", table_name="reply_media")
    op.drop_table("reply_media")
