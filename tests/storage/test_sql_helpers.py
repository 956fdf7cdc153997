"""insert_ignore: ON CONFLICT DO NOTHING that skips duplicates and is compiled once, not on every call."""
from __future__ import annotations

from sqlalchemy import func, select

from storage.sql import insert_ignore
from storage.tables import data_sources


async def test_duplicates_are_skipped_and_the_statement_is_compiled_once(engine):
    hits = []
    async with engine.begin() as conn:
        for name in ("tcgcsv", "ebay", "tcgcsv"):
            result = await conn.execute(insert_ignore(conn, data_sources).values(name=name))
            hits.append(result.context.cache_hit)
            result.close()
        count = (await conn.execute(select(func.count()).select_from(data_sources)
                                    .where(data_sources.c.name.in_(["tcgcsv", "ebay"])))).scalar_one()
    assert count == 2
    # the first call compiles (or finds a compilation from an earlier test); every later one is a cache hit
    assert hits[1:] == [engine.dialect.CACHE_HIT] * 2


async def test_a_plain_insert_never_reuses_the_on_conflict_compilation(engine):
    async with engine.begin() as conn:
        await conn.execute(insert_ignore(conn, data_sources).values(name="pricecharting"))
        await conn.execute(insert_ignore(conn, data_sources).values(name="pricecharting"))  # ignored
        try:
            async with conn.begin_nested():
                await conn.execute(data_sources.insert().values(name="pricecharting"))
            raised = False
        except Exception:  # noqa: BLE001 - the unique violation, whichever driver error class carries it
            raised = True
    assert raised
