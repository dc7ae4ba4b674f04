"""practitioner language: urgent pages and acknowledgements in the practitioner's language

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing practitioners were paged in English: they keep it until someone says otherwise.
    with op.batch_alter_table("practitioner", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=2), nullable=False, server_default="en")
        )


def downgrade() -> None:
    with op.batch_alter_table("practitioner", schema=None) as batch_op:
        batch_op.drop_column("language")
