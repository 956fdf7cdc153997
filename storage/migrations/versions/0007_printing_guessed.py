"""Watches and alerts made before any source priced their card remember that their printing was a guess.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("watchlist_items", "alert_rules")


def upgrade() -> None:
    # Existing rows are not guesses (false): they keep their printing, as they did before this revision.
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("printing_guessed", sa.Boolean(), nullable=False, server_default=sa.false()))
        op.create_index(f"ix_{table}_guessed", table, ["printing_id"], unique=False,
                        sqlite_where=sa.text("printing_guessed = 1"), postgresql_where=sa.text("printing_guessed"))


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_guessed", table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("printing_guessed")
