"""Engine and session factory; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from storage.sqlite_driver import one_hop_dbapi

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Checkpoint when the WAL reaches ~40 MB instead of SQLite's 4 MB: a daily snapshot into a year of history
# writes ~250 MB of scattered pages, and every checkpoint costs two fsyncs. Measured on the 60k-point
# ingest benchmark: 2.57 s against 2.83 s (medians of three); readers and crash recovery do not notice.
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000


def create_engine(
    url: str, *, echo: bool = False, pool_size: int = 5, connect_args: dict | None = None
) -> AsyncEngine:
    """Build the async engine for sqlite+aiosqlite or postgresql+asyncpg URLs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args=connect_args or {}, module=one_hop_dbapi())
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, pool_pre_ping=True, connect_args=connect_args or {}
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI types vary
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"
