"""patients share phones; opt-outs per address; staff messages in the outbox; replies moved

A patient is a person, not a phone number: the unique phone goes (an index stays for lookups).
An opt-out belongs to an address (a phone for texts, an email for email), so STOP from a shared
phone stops texts to it for everyone using it. Staff can write to a patient: their text rides
in the outbox row (`body`, `sent_by`, `reply_to_id`). A reply from a shared phone is flagged,
and an answered reply says by whom.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Names the unnamed constraints of 0001 so that SQLite's batch rebuild can drop one of them.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    op.create_table(
        "opted_out_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("medium", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("medium", "address", name="uq_opted_out_address"),
    )
    # Every opted-out patient's phone (and email: STOP used to stop everything) stays opted out.
    op.execute(
        "INSERT INTO opted_out_address (medium, address, opted_out_at, source) "
        "SELECT 'sms', phone, opted_out_at, 'migrated' FROM patient "
        "WHERE opted_out_at IS NOT NULL"
    )
    op.execute(
        "INSERT INTO opted_out_address (medium, address, opted_out_at, source) "
        "SELECT 'email', MIN(lower(email)), MIN(opted_out_at), 'migrated' FROM patient "
        "WHERE opted_out_at IS NOT NULL AND email IS NOT NULL GROUP BY lower(email)"
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_constraint("patient_phone_key", "patient", type_="unique")
        with op.batch_alter_table("patient") as batch_op:
            batch_op.drop_column("opted_out_at")
            batch_op.create_index("ix_patient_phone", ["phone"])
    else:
        with op.batch_alter_table("patient", naming_convention=NAMING) as batch_op:
            batch_op.drop_constraint("uq_patient_phone", type_="unique")
            batch_op.drop_column("opted_out_at")
            batch_op.create_index("ix_patient_phone", ["phone"])
    with op.batch_alter_table("outbound_message") as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("sent_by", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("reply_to_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_outbound_reply_to", "inbound_message", ["reply_to_id"], ["id"]
        )
    with op.batch_alter_table("inbound_message") as batch_op:
        batch_op.add_column(
            sa.Column("shared_phone", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("answered_by", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_message") as batch_op:
        batch_op.drop_column("answered_by")
        batch_op.drop_column("answered_at")
        batch_op.drop_column("shared_phone")
    with op.batch_alter_table("outbound_message") as batch_op:
        batch_op.drop_constraint("fk_outbound_reply_to", type_="foreignkey")
        batch_op.drop_column("reply_to_id")
        batch_op.drop_column("sent_by")
        batch_op.drop_column("body")
    # Fails when two patients share a phone: that data cannot go back to one row per phone.
    with op.batch_alter_table("patient") as batch_op:
        batch_op.drop_index("ix_patient_phone")
        batch_op.add_column(sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint("patient_phone_key", ["phone"])
    op.execute(
        "UPDATE patient SET opted_out_at = (SELECT o.opted_out_at FROM opted_out_address o "
        "WHERE o.medium = 'sms' AND o.address = patient.phone)"
    )
    op.drop_table("opted_out_address")
