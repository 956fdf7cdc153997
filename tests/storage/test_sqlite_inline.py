"""History reads on the loop's thread (SQLite): same answers as the pooled path, fresh, read-only, and
never in the way: other tasks run between pages, and a busy or broken reader hands over to the pool."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from core.services import CatalogService
from storage import sqlite_inline
from storage.catalog_repo import SqlCatalogRepository
from storage.db import create_engine
from storage.history_repo import SqlHistoryQueries
from storage.price_repo import SqlPriceStore
from storage.sqlite_inline import InlineReader
from storage.tables import price_history
from tests.conftest import SAMPLE_DIR
from tests.storage.test_ingest import CHARIZARD, DAY1, DAY2, obs, unit

DAYS = 40


@pytest.fixture
async def history(sqlite_engine):
    """Charizard ex 151 SIR with a day-one price from ingest and DAYS more days written behind it."""
    await CatalogService(SqlCatalogRepository(sqlite_engine)).import_files(SAMPLE_DIR / "pokemon")
    store = SqlPriceStore(sqlite_engine)
    await store.ingest(unit(obs("1", CHARIZARD, "112.35")))
    async with sqlite_engine.begin() as conn:
        first = (await conn.execute(select(price_history))).mappings().one()
        days = [dict(first, ts=first["ts"] - 86_400 * (n + 1), market_cents=10_000 + n) for n in range(DAYS)]
        await conn.execute(insert(price_history), days)
    queries = SqlHistoryQueries(sqlite_engine)
    yield queries, store, first
    queries.close()


def series_of(points):
    return [(p.ts, p.market, p.low, p.high, p.sample_size) for p in points]


async def test_inline_and_pooled_reads_give_the_same_history(history, sqlite_engine):
    inline, _, first = history
    pooled = SqlHistoryQueries(sqlite_engine, inline_reads=False)
    assert pooled._inline is None
    since = DAY1 - timedelta(days=10)
    for since_ in (None, since):
        assert await inline.series("sv3pt5-199", since_) == await pooled.series("sv3pt5-199", since_)
        assert await inline.series("sv3pt5-199", since_, "tcgcsv", 0) == await pooled.series("sv3pt5-199", since_, "tcgcsv", 0)
    args = (first["printing_id"], first["source_id"], first["condition"], first["currency"])
    one = await inline.printing_series(*args)
    assert series_of(one) == series_of(await pooled.printing_series(*args))
    assert len(one) == DAYS + 1 and one[-1].ts == DAY1 and str(one[-1].market) == "112.35"
    assert inline._inline._conn is not None  # the inline connection answered: the pool was not asked


async def test_a_new_price_is_read_at_once(history):
    """Autocommit reads hold no snapshot: the price stored a moment ago is in the next read."""
    queries, store, _ = history
    [before] = (await queries.series("sv3pt5-199")).values()
    await store.ingest(unit(obs("1", CHARIZARD, "99.99", ts=DAY2), ts=DAY2))
    [after] = (await queries.series("sv3pt5-199")).values()
    assert len(after) == len(before) + 1 and after[-1].ts == DAY2 and str(after[-1].market) == "99.99"


async def test_other_tasks_run_between_pages_of_a_long_history(history, monkeypatch):
    queries, _, _ = history
    monkeypatch.setattr(sqlite_inline, "PAGE_ROWS", 5)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    start = ticks
    [points] = (await queries.series("sv3pt5-199")).values()
    task.cancel()
    assert len(points) == DAYS + 1  # every page arrived, in order
    assert [p.ts for p in points] == sorted(p.ts for p in points)
    assert ticks - start >= DAYS // 5 - 1  # the ticker ran between the pages


async def test_a_busy_reader_hands_the_read_to_the_pool(history):
    queries, _, _ = history
    reader = queries._inline
    expected = await queries.series("sv3pt5-199")
    reader._lock.acquire()  # another task (or thread) is mid-read
    try:
        assert await reader.fetch("SELECT 1", ()) is None
        assert await queries.series("sv3pt5-199") == expected
    finally:
        reader._lock.release()


async def test_a_cancelled_read_releases_the_reader(history, monkeypatch):
    queries, _, _ = history
    monkeypatch.setattr(sqlite_inline, "PAGE_ROWS", 2)
    read = asyncio.create_task(queries.series("sv3pt5-199"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    read.cancel()
    with pytest.raises(asyncio.CancelledError):
        await read
    assert not queries._inline._lock.locked()
    assert await queries._inline.fetch("SELECT count(*) FROM price_history", ()) == [(DAYS + 1,)]


async def test_the_inline_connection_cannot_write(history, sqlite_engine):
    queries, _, _ = history
    assert await queries._inline.fetch("DELETE FROM price_history", ()) is None
    async with sqlite_engine.connect() as conn:
        assert len((await conn.execute(select(price_history))).all()) == DAYS + 1
    assert await queries._inline.fetch("SELECT count(*) FROM price_history", ()) == [(DAYS + 1,)]  # reopened


async def test_only_sqlite_files_read_inline(tmp_path):
    memory = create_engine("sqlite+aiosqlite://")
    postgres = create_engine("postgresql+asyncpg://u@127.0.0.1:1/none")
    missing = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'not-yet.db'}")
    try:
        assert InlineReader.for_engine(memory) is None and InlineReader.for_engine(postgres) is None
        reader = InlineReader.for_engine(missing)
        assert await reader.fetch("SELECT 1", ()) is None  # nothing there yet: the engine's path decides
        assert not (tmp_path / "not-yet.db").exists()  # and the reader did not create the file
    finally:
        for engine in (memory, postgres, missing):
            await engine.dispose()


@pytest.mark.parametrize("inline", [True, False])
async def test_the_setting_turns_inline_reads_on_and_off_with_the_same_answers(tmp_path, inline):
    from bot.app import build_app
    from bot.config import Settings

    settings = Settings.model_validate({"database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
                                                     "inline_history_reads": inline}})
    async with build_app(settings) as app:
        await app.catalog.import_files(SAMPLE_DIR / "pokemon")
        await app.store.ingest(unit(obs("1", CHARIZARD, "112.35")))
        card = (await app.catalog.index()).get("sv3pt5-199")
        [history] = await app.history.history(card, "all", now=DAY2)
        assert [str(p.market) for p in history.points] == ["112.35"]
        reader = app.history._queries._inline
        assert (reader is not None and reader._conn is not None) if inline else reader is None
