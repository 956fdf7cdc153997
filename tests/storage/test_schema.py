"""Migrations build the schema the code expects, on SQLite and PostgreSQL; SQLite runs with safe pragmas."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage import migrate
from storage.maintenance import is_partition_table
from storage.tables import metadata


def include_object(obj, name, type_, reflected, compare_to):
    return not (type_ == "table" and is_partition_table(name))


async def test_migrations_reach_head_and_match_the_table_definitions(engine):
    assert await migrate.current_revision(engine) == migrate.head_revision()

    def diff(sync_conn):
        opts = {"compare_type": True, "include_object": include_object}
        return compare_metadata(MigrationContext.configure(sync_conn, opts=opts), metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_upgrading_twice_is_a_no_op(engine):
    before = await migrate.current_revision(engine)
    assert await migrate.upgrade(engine) == before


async def test_sqlite_runs_with_wal_foreign_keys_busy_timeout_and_checkpoint_interval(sqlite_engine):
    async with sqlite_engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() >= 5000
        assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == 1  # NORMAL: no fsync per commit in WAL
        assert (await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar() == 10_000  # ~40 MB between checkpoints


async def test_price_history_is_clustered_by_printing_and_time_on_sqlite(sqlite_engine):
    async with sqlite_engine.connect() as conn:
        sql = (await conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name='price_history'")).scalar()
    assert "WITHOUT ROWID" in sql.upper()
