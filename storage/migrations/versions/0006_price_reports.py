"""Price reports: people tell operators a card's price looks wrong (the wrong printing priced).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "price_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=300), server_default="", nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_price_reports_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_price_reports_card_id_cards"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_reports")),
    )
    with op.batch_alter_table("price_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_price_reports_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_price_reports_card_id"), ["card_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("price_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_reports_card_id"))
        batch_op.drop_index(batch_op.f("ix_price_reports_user_id"))
    op.drop_table("price_reports")
