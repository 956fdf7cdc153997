"""PostgreSQL: price_history becomes monthly range partitions on ts (SQLite keeps one clustered table).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
from alembic import op

from storage.maintenance import create_month_partitions_sql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = ("printing_id, source_id, condition, currency, ts, market_cents, low_cents, mid_cents, high_cents, "
           "direct_low_cents, sample_size")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE price_history RENAME TO price_history_plain")
    op.execute("ALTER TABLE price_history_plain RENAME CONSTRAINT pk_price_history TO pk_price_history_plain")
    op.execute("ALTER TABLE price_history_plain RENAME CONSTRAINT fk_price_history_printing_id_printings "
               "TO fk_price_history_plain_printing_id")
    op.execute("""
        CREATE TABLE price_history (
            printing_id INTEGER NOT NULL,
            source_id SMALLINT NOT NULL,
            condition SMALLINT NOT NULL,
            currency SMALLINT NOT NULL,
            ts BIGINT NOT NULL,
            market_cents BIGINT, low_cents BIGINT, mid_cents BIGINT, high_cents BIGINT,
            direct_low_cents BIGINT, sample_size INTEGER,
            CONSTRAINT pk_price_history PRIMARY KEY (printing_id, source_id, condition, currency, ts),
            CONSTRAINT fk_price_history_printing_id_printings FOREIGN KEY (printing_id)
                REFERENCES printings (id) ON DELETE CASCADE
        ) PARTITION BY RANGE (ts)
    """)
    op.execute("CREATE TABLE price_history_default PARTITION OF price_history DEFAULT")
    for statement in create_month_partitions_sql(months_ahead=3):
        op.execute(statement)
    op.execute(f"INSERT INTO price_history ({COLUMNS}) SELECT {COLUMNS} FROM price_history_plain")
    op.execute("DROP TABLE price_history_plain")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE price_history RENAME TO price_history_parted")
    op.execute("ALTER TABLE price_history_parted RENAME CONSTRAINT pk_price_history TO pk_price_history_parted")
    op.execute("ALTER TABLE price_history_parted RENAME CONSTRAINT fk_price_history_printing_id_printings "
               "TO fk_price_history_parted_printing_id")
    op.execute("""
        CREATE TABLE price_history (
            printing_id INTEGER NOT NULL, source_id SMALLINT NOT NULL, condition SMALLINT NOT NULL,
            currency SMALLINT NOT NULL, ts BIGINT NOT NULL, market_cents BIGINT, low_cents BIGINT,
            mid_cents BIGINT, high_cents BIGINT, direct_low_cents BIGINT, sample_size INTEGER,
            CONSTRAINT pk_price_history PRIMARY KEY (printing_id, source_id, condition, currency, ts),
            CONSTRAINT fk_price_history_printing_id_printings FOREIGN KEY (printing_id)
                REFERENCES printings (id) ON DELETE CASCADE
        )
    """)
    op.execute(f"INSERT INTO price_history ({COLUMNS}) SELECT {COLUMNS} FROM price_history_parted")
    op.execute("DROP TABLE price_history_parted CASCADE")
