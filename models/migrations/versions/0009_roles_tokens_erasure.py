"""roles, API tokens per integration, erased patients, what lists showed

Staff accounts get a role (every existing account becomes admin, so that nobody loses access;
the README asks to review them) and may be linked to a practitioner. API tokens are stored as
SHA-256 digests, one per integration. A patient whose data was erased keeps its row with
`erased_at`. Audit events of lists keep the ids of the patients shown (`shown`), and the audit
page's filters get indexes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user") as batch_op:
        # The server default fills existing rows only; new accounts name their role.
        batch_op.add_column(
            sa.Column("role", sa.String(length=20), nullable=False, server_default="admin")
        )
        batch_op.add_column(sa.Column("practitioner_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_staff_user_practitioner", "practitioner", ["practitioner_id"], ["id"]
        )
    with op.batch_alter_table("staff_user") as batch_op:
        batch_op.alter_column("role", server_default=None, existing_type=sa.String(length=20))

    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=320), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("patient") as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.add_column(sa.Column("shown", sa.Text(), nullable=True))
        batch_op.create_index("ix_audit_event_actor_at", ["actor", "at"], unique=False)
        batch_op.create_index("ix_audit_event_target", ["target"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.drop_index("ix_audit_event_target")
        batch_op.drop_index("ix_audit_event_actor_at")
        batch_op.drop_column("shown")
    with op.batch_alter_table("patient") as batch_op:
        batch_op.drop_column("erased_at")
    op.drop_table("api_token")
    with op.batch_alter_table("staff_user") as batch_op:
        batch_op.drop_constraint("fk_staff_user_practitioner", type_="foreignkey")
        batch_op.drop_column("practitioner_id")
        batch_op.drop_column("role")
