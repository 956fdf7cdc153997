"""A covering index for set-wise alert evaluation (kind, state, then the join, threshold and state columns).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = ["active", "kind", "state", "printing_id", "condition", "currency", "source_id", "threshold_cents",
           "pending_count", "rearm_margin_bp", "confirm_snapshots", "cooldown_s", "last_triggered_at"]


def upgrade() -> None:
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.create_index("ix_alert_rules_evaluation", COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_rules_evaluation")
