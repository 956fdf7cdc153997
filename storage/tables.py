"""The schema. Migrations in storage/migrations are the source of truth; a test keeps this in step."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, on SQLite (which stores naive text) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:  # noqa: ANN001
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _ts(name: str, nullable: bool = True) -> Column:
    return Column(name, UtcDateTime(), nullable=nullable)


tcg_sets = Table(
    "tcg_sets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("game", String(16), nullable=False),
    Column("code", String(32), nullable=False),
    Column("language", String(8), nullable=False),
    Column("name", String(200), nullable=False),
    Column("series", String(100), nullable=False, server_default=""),
    Column("release_date", Date),
    Column("printed_total", Integer),
    Column("total", Integer),
    Column("ptcgo_code", String(16)),
    _ts("updated_at", nullable=False),
    UniqueConstraint("game", "code", "language"),
)

cards = Table(
    "cards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("game", String(16), nullable=False),
    Column("canonical_id", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("set_id", Integer, ForeignKey("tcg_sets.id", ondelete="RESTRICT"), nullable=False, index=True),
    Column("number", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("rarity", String(64)),
    Column("supertype", String(32)),
    Column("image_url", String(500)),
    Column("variant", String(8)),
    Column("packs", String(200), nullable=False, server_default=""),
    _ts("updated_at", nullable=False),
    # canonical_id first: price ingest looks cards up by id alone.
    UniqueConstraint("canonical_id", "game", "language"),
)

# A printing is a card in one finish; prices attach here.
printings = Table(
    "printings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("card_id", Integer, ForeignKey("cards.id", ondelete="CASCADE"), nullable=False),
    Column("finish", String(32), nullable=False),
    # "" for the plain printing; product variants such as "staff", "prerelease+staff", "cosmos_holo", "jumbo"
    Column("variant", String(64), nullable=False, server_default=""),
    UniqueConstraint("card_id", "finish", "variant"),
)

data_sources = Table(
    "data_sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(32), nullable=False, unique=True),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    _ts("last_success_at"),
    _ts("last_error_at"),
    Column("last_error", Text),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("circuit_state", String(16), nullable=False, server_default="closed"),
    _ts("last_snapshot_at"),
)

# Which printing a source's product (and sub-type) is; unmatched rows keep their reason.
source_products = Table(
    "source_products",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("data_sources.id"), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("sub_type", String(64), nullable=False, server_default=""),
    Column("printing_id", Integer, ForeignKey("printings.id", ondelete="SET NULL"), index=True),
    Column("product_name", String(300), nullable=False, server_default=""),
    Column("group_ref", String(64), nullable=False, server_default=""),
    Column("confidence", Float, nullable=False, server_default="0"),
    Column("method", String(32), nullable=False, server_default=""),
    Column("unmatched_reason", Text),
    Column("is_override", Boolean, nullable=False, server_default=false()),
    # A digest of what the mapper said (see storage.source_mappings.mapping_fingerprint): a collection run compares
    # it instead of loading every product name; NULL (rows from before it existed) reads as changed.
    Column("fingerprint", BigInteger),
    _ts("updated_at", nullable=False),
    UniqueConstraint("source_id", "external_id", "sub_type"),
)

# Clustered by printing and time (WITHOUT ROWID on SQLite): one printing's history is one range scan.
# Integer ids, codes and cents keep a stored point small; see core.prices for the codes.
price_history = Table(
    "price_history",
    metadata,
    Column("printing_id", Integer, ForeignKey("printings.id", ondelete="CASCADE"), nullable=False),
    Column("source_id", SmallInteger, nullable=False),
    Column("condition", SmallInteger, nullable=False),
    Column("currency", SmallInteger, nullable=False),
    Column("ts", BigInteger, nullable=False),  # UTC epoch seconds
    Column("market_cents", BigInteger),
    Column("low_cents", BigInteger),
    Column("mid_cents", BigInteger),
    Column("high_cents", BigInteger),
    Column("direct_low_cents", BigInteger),
    Column("sample_size", Integer),
    PrimaryKeyConstraint("printing_id", "source_id", "condition", "currency", "ts"),
    sqlite_with_rowid=False,
)

# One row per ingested snapshot unit (source, group, day): the ledger that keeps collectors on several
# machines from ingesting the same unit twice, and the audit trail of what each run did.
ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("data_sources.id"), nullable=False),
    Column("unit", String(64), nullable=False),
    Column("snapshot_ts", BigInteger, nullable=False),
    Column("inserted", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("unchanged", Integer, nullable=False, server_default="0"),
    Column("invalid", Integer, nullable=False, server_default="0"),
    Column("unmatched", Integer, nullable=False, server_default="0"),
    _ts("finished_at", nullable=False),
    UniqueConstraint("source_id", "unit", "snapshot_ts"),
)

# The newest point per (printing, source, condition, currency), kept by ingest in the same transaction:
# "latest price of N printings" and trending read this instead of max(ts) over the whole history.
latest_prices = Table(
    "latest_prices",
    metadata,
    Column("printing_id", Integer, ForeignKey("printings.id", ondelete="CASCADE"), nullable=False),
    Column("source_id", SmallInteger, nullable=False),
    Column("condition", SmallInteger, nullable=False),
    Column("currency", SmallInteger, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("market_cents", BigInteger),
    Column("low_cents", BigInteger),
    Column("mid_cents", BigInteger),
    Column("high_cents", BigInteger),
    Column("direct_low_cents", BigInteger),
    Column("sample_size", Integer),
    Column("prev_ts", BigInteger),  # the point before the newest: old -> new for alerts and feeds
    Column("prev_market_cents", BigInteger),
    PrimaryKeyConstraint("printing_id", "source_id", "condition", "currency"),
    sqlite_with_rowid=False,
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("display_name", String(100), nullable=False, server_default=""),
    Column("locale", String(16), nullable=False, server_default="en"),
    _ts("created_at", nullable=False),
)

user_identities = Table(
    "user_identities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("platform", String(16), nullable=False),
    Column("platform_user_id", String(64), nullable=False),
    Column("username", String(100), nullable=False, server_default=""),
    _ts("created_at", nullable=False),
    UniqueConstraint("platform", "platform_user_id"),
)

link_codes = Table(
    "link_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("platform", String(16), nullable=False),
    _ts("expires_at", nullable=False),
    _ts("used_at"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(50), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),  # sha256 of the key; the key itself is never kept
    Column("hint", String(16), nullable=False),
    Column("platform", String(16), nullable=False),  # the chat identity it acts as (and alerts go to)
    Column("platform_user_id", String(64), nullable=False),
    _ts("created_at", nullable=False),
    _ts("last_used_at"),
    _ts("revoked_at"),
)


def _printing_guessed() -> Column:
    """True while the printing is the rarity's guess made before any source priced the card (see
    storage/first_prices.py): the item follows the card's first prices if they come in another finish."""
    return Column("printing_guessed", Boolean, nullable=False, server_default=false())


def _guessed_index(table: str) -> Index:
    """Partial: the few guessed rows, so the check after every ingest unit costs one index probe."""
    return Index(f"ix_{table}_guessed", "printing_id", sqlite_where=text("printing_guessed = 1"),
                 postgresql_where=text("printing_guessed"))


watchlist_items = Table(
    "watchlist_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("printing_id", Integer, ForeignKey("printings.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("condition", SmallInteger, nullable=False),
    _ts("created_at", nullable=False),
    _printing_guessed(),
    UniqueConstraint("user_id", "printing_id", "condition"),
    _guessed_index("watchlist_items"),
)

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("printing_id", Integer, ForeignKey("printings.id", ondelete="CASCADE"), nullable=False),
    Column("condition", SmallInteger, nullable=False),
    Column("source_id", Integer, ForeignKey("data_sources.id")),  # NULL: best across sources
    Column("currency", SmallInteger, nullable=False),
    Column("kind", String(24), nullable=False),  # below, above, pct_move, n_day_low, availability
    Column("threshold_cents", BigInteger),
    Column("percent_bp", Integer),  # basis points: 1500 = 15%
    Column("window_days", Integer),
    Column("rearm_margin_bp", Integer, nullable=False, server_default="200"),
    Column("cooldown_s", Integer, nullable=False, server_default="21600"),
    Column("confirm_snapshots", SmallInteger, nullable=False, server_default="1"),
    Column("state", String(16), nullable=False, server_default="armed"),
    Column("pending_count", SmallInteger, nullable=False, server_default="0"),
    Column("last_price_cents", BigInteger),
    _ts("last_triggered_at"),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("paused_reason", Text),
    Column("target_platform", String(16)),
    Column("target_id", String(64)),
    _ts("created_at", nullable=False),
    _printing_guessed(),
    _guessed_index("alert_rules"),
    Index("ix_alert_rules_printing_active", "printing_id", "active"),
    # Evaluation scans by kind and state and joins on the printing: covering, so it never reads full rows.
    Index("ix_alert_rules_evaluation", "active", "kind", "state", "printing_id", "condition", "currency", "source_id",
          "threshold_cents", "pending_count", "rearm_margin_bp", "confirm_snapshots", "cooldown_s", "last_triggered_at"),
)

channel_subscriptions = Table(
    "channel_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("guild_id", String(64)),
    Column("channel_id", String(64), nullable=False),
    Column("game", String(16)),
    Column("set_code", String(32)),
    Column("rarity", String(64)),
    Column("min_price_cents", BigInteger),
    Column("min_move_bp", Integer),
    Column("direction", String(8), nullable=False, server_default="down"),
    Column("hourly_cap", Integer, nullable=False, server_default="10"),
    Column("digest", Boolean, nullable=False, server_default=false()),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("paused_reason", Text),
    _ts("created_at", nullable=False),
    Index("ix_channel_subscriptions_platform_channel", "platform", "channel_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dedup_key", String(128), nullable=False, unique=True),
    Column("rule_id", Integer, ForeignKey("alert_rules.id", ondelete="CASCADE")),
    Column("feed_id", Integer, ForeignKey("channel_subscriptions.id", ondelete="CASCADE")),
    Column("target_platform", String(16), nullable=False),
    Column("target_id", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    _ts("next_attempt_at", nullable=False),
    _ts("lease_until"),  # a deliverer holds the row until then; an expired lease means it died
    _ts("created_at", nullable=False),
    _ts("sent_at"),
    Column("last_error", Text),
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)

notification_log = Table(
    "notification_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("outbox_id", Integer, ForeignKey("outbox.id", ondelete="SET NULL")),
    Column("rule_id", Integer, ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True),
    Column("feed_id", Integer, ForeignKey("channel_subscriptions.id", ondelete="CASCADE")),
    Column("platform", String(16), nullable=False),
    Column("target_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("detail", Text),
    _ts("created_at", nullable=False),
)

# "This card's price looks wrong": what a person said, for operators to check the card's mappings against.
price_reports = Table(
    "price_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("card_id", Integer, ForeignKey("cards.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("note", String(300), nullable=False, server_default=""),
    Column("platform", String(16), nullable=False),
    _ts("created_at", nullable=False),
    _ts("resolved_at"),
    Column("resolution", String(300)),
)
