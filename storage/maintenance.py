"""History growth: roll intraday points up to one per day after a while; on PostgreSQL, keep monthly
partitions of price_history created ahead of time (the seed's design)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

DAY = 86_400


def _month_start(year: int, month: int) -> datetime:
    return datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=timezone.utc)


def create_month_partitions_sql(months_ahead: int, now: datetime | None = None, months_back: int = 1) -> list[str]:
    """CREATE TABLE IF NOT EXISTS ... PARTITION OF price_history for each month from a month back to ahead.

    Older history (backfills) lands in the default partition, which is always there."""
    now = now or datetime.now(timezone.utc)
    statements = []
    for offset in range(-months_back, months_ahead + 1):
        start = _month_start(now.year, now.month + offset)
        end = _month_start(start.year, start.month + 1)
        name = f"price_history_y{start.year}m{start.month:02d}"
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF price_history "
            f"FOR VALUES FROM ({int(start.timestamp())}) TO ({int(end.timestamp())})"
        )
    return statements


async def ensure_partitions(engine: AsyncEngine, months_ahead: int = 3, now: datetime | None = None) -> int:
    """Create the coming months' partitions (PostgreSQL; a no-op elsewhere). Returns statements run.

    A month whose rows already sit in the default partition cannot be attached; it stays there."""
    if engine.dialect.name != "postgresql":
        return 0
    ran = 0
    async with engine.begin() as conn:
        for statement in create_month_partitions_sql(months_ahead, now, months_back=0):
            savepoint = await conn.begin_nested()
            try:
                await conn.execute(text(statement))
                await savepoint.commit()
                ran += 1
            except Exception:  # noqa: BLE001 - rows for that month already in the default partition
                await savepoint.rollback()
    return ran


async def rollup_intraday(engine: AsyncEngine, older_than: datetime) -> int:
    """Keep only the day's last point for intraday points older than `older_than` (daily points stay)."""
    cutoff = int(older_than.timestamp())
    statement = text(
        "DELETE FROM price_history WHERE ts < :cutoff AND ts % :day <> 0 AND EXISTS ("
        " SELECT 1 FROM price_history later WHERE later.printing_id = price_history.printing_id"
        " AND later.source_id = price_history.source_id AND later.condition = price_history.condition"
        " AND later.currency = price_history.currency AND later.ts > price_history.ts"
        " AND later.ts < (price_history.ts / :day + 1) * :day)"
    )
    async with engine.begin() as conn:
        result = await conn.execute(statement, {"cutoff": cutoff, "day": DAY})
    return result.rowcount or 0


def is_partition_table(name: str) -> bool:
    """Partitions are not in the SQLAlchemy metadata: schema comparisons leave them alone."""
    return name == "price_history_default" or (name.startswith("price_history_y") and "m" in name[15:])
