"""History growth: intraday roll-up on both backends; monthly partitions on PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select, text

from storage.maintenance import create_month_partitions_sql, ensure_partitions, rollup_intraday
from storage.tables import price_history
from tests.storage.test_ingest import CHARIZARD, obs, store, unit  # noqa: F401 - fixture

DAY1 = datetime(2026, 3, 10, tzinfo=timezone.utc)


async def test_intraday_points_roll_up_to_the_last_of_each_day(store, engine):  # noqa: F811
    for hour in (6, 12, 18):
        ts = DAY1.replace(hour=hour)
        await store.ingest(unit(obs("1", CHARIZARD, f"{100 + hour}.00", ts=ts), ts=ts))
    await store.ingest(unit(obs("1", CHARIZARD, "99.00", ts=datetime(2026, 3, 11, tzinfo=timezone.utc)),
                            ts=datetime(2026, 3, 11, tzinfo=timezone.utc)))
    deleted = await rollup_intraday(engine, datetime(2026, 4, 1, tzinfo=timezone.utc))
    assert deleted == 2
    async with engine.connect() as conn:
        rows = (await conn.execute(select(price_history.c.ts, price_history.c.market_cents)
                                   .order_by(price_history.c.ts))).all()
    assert [r.market_cents for r in rows] == [11800, 9900]  # 18:00 kept, the daily point untouched


async def test_postgres_history_is_partitioned_by_month(engine):
    if engine.dialect.name != "postgresql":
        assert await ensure_partitions(engine) == 0
        return
    async with engine.connect() as conn:
        kind = (await conn.execute(text("SELECT relkind FROM pg_class WHERE relname = 'price_history' "
                                        "AND relnamespace = to_regnamespace(current_schema())"))).scalar()
    assert kind in ("p", b"p")  # asyncpg returns the "char" type as bytes
    ran = await ensure_partitions(engine, months_ahead=6)
    assert ran == 7
    async with engine.connect() as conn:
        parts = (await conn.execute(text(
            "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'price_history' "
            "AND p.relnamespace = to_regnamespace(current_schema())"))).scalar()
    assert parts >= 8  # default + months


def test_partition_statements_cover_the_coming_months():
    statements = create_month_partitions_sql(2, datetime(2026, 12, 15, tzinfo=timezone.utc), months_back=0)
    assert [s.split()[5] for s in statements] == ["price_history_y2026m12", "price_history_y2027m01",
                                                  "price_history_y2027m02"]
    assert f"FROM ({int(datetime(2027, 1, 1, tzinfo=timezone.utc).timestamp())})" in statements[1]


async def test_rows_land_in_their_month(store, engine):  # noqa: F811
    await store.ingest(unit(obs("1", CHARIZARD, "1.00")))
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(price_history))).scalar_one() == 1
