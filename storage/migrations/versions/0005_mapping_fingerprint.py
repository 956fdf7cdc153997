"""A fingerprint per source product mapping, so a collection run compares digests instead of loading names.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows keep NULL: the next collection sees them as changed and writes their fingerprint once.
    with op.batch_alter_table("source_products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source_products", schema=None) as batch_op:
        batch_op.drop_column("fingerprint")
