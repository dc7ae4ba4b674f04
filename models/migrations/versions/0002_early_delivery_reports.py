"""early delivery reports

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:46:32.481775
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "early_delivery_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("early_delivery_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_early_delivery_report_provider_id"), ["provider_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("early_delivery_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_early_delivery_report_provider_id"))

    op.drop_table("early_delivery_report")
