"""The one-hop SQLite adapter keeps the DBAPI contract the repositories rely on: errors, rowcounts,
generated ids, transactions that commit or roll back."""
from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.exc import IntegrityError

from storage.db import create_engine
from storage.sqlite_driver import OneHopConnection

metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True), Column("name", String, unique=True))


@pytest.fixture
async def engine(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def count(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(items))).scalar_one()


async def test_engine_uses_the_one_hop_adapter(engine):
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection, OneHopConnection)


async def test_generated_ids_and_rowcounts_come_back(engine):
    async with engine.begin() as conn:
        first = await conn.execute(insert(items).values(name="pikachu"))
        assert first.inserted_primary_key == (1,)
        many = await conn.exec_driver_sql("INSERT INTO items (name) VALUES (?)", [("eevee",), ("mew",)])
        assert many.rowcount == 2
        rows = (await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all()
    assert rows == ["pikachu", "eevee", "mew"]


async def test_a_constraint_error_is_sqlalchemy_integrity_error_and_rolls_back(engine):
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(items).values(name="charizard"))
            await conn.execute(insert(items).values(name="charizard"))
    assert await count(engine) == 0
    async with engine.begin() as conn:  # the pooled connection is still good
        await conn.execute(insert(items).values(name="charizard"))
    assert await count(engine) == 1


async def test_uncommitted_writes_are_discarded_when_the_connection_returns(engine):
    async with engine.connect() as conn:
        await conn.execute(insert(items).values(name="lugia"))
        assert (await conn.execute(select(func.count()).select_from(items))).scalar_one() == 1
    assert await count(engine) == 0


async def test_reads_between_writes_see_the_transaction(engine):
    async with engine.begin() as conn:
        await conn.execute(insert(items).values(name="snorlax"))
        seen = (await conn.execute(select(items.c.name))).scalars().all()
        await conn.execute(insert(items).values(name="ditto"))
    assert seen == ["snorlax"]
    assert await count(engine) == 2


async def test_a_closed_connection_reports_a_database_error_not_a_bare_valueerror(engine):
    from sqlalchemy.exc import DBAPIError

    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        await raw.dbapi_connection._connection.close()  # the driver connection died underneath
        with pytest.raises(DBAPIError):
            await conn.execute(select(items.c.id))
        await conn.invalidate()
    assert await count(engine) == 0  # the pool replaced it
