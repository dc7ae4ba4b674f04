"""security: email sender verification, the paging log, the per-address login throttle

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Replies stored before this revision were acted on as verified; they keep that meaning.
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sender_verified", sa.Boolean(), nullable=False, server_default=sa.true())
        )

    op.create_table(
        "page_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("page_log", schema=None) as batch_op:
        batch_op.create_index("ix_page_log_recipient_at", ["recipient", "at"], unique=False)

    op.create_table(
        "login_throttle",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("source"),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    with op.batch_alter_table("page_log", schema=None) as batch_op:
        batch_op.drop_index("ix_page_log_recipient_at")
    op.drop_table("page_log")
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_column("sender_verified")
