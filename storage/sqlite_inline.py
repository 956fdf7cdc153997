"""Range reads on an SQLite file run on the event loop's own thread, a page of rows at a time.

Why: a history read is a range of price_history's clustered primary key. One printing's year (~365 rows)
takes ~0.2 ms in sqlite3, while the hop to aiosqlite's worker thread and back costs 0.3-0.6 ms on its
own here; through the thread, the read took 6-7x the raw query. Run inline, it costs what the query costs.

What keeps the loop responsive: rows come in pages (PAGE_ROWS, under ~10 ms even from a cold disk)
with a yield to the loop between pages, so a long history reads like any other awaited call; the
connection never waits for a lock (busy timeout 0, and WAL readers do not wait for writers anyway); and
whenever the inline connection cannot answer at once (in use by another task or thread, locked, the
file gone) the caller falls back to the engine's thread path, which waits as usual. Read-only by
construction (`query_only`), in autocommit, so every read sees the latest commit and holds no snapshot.
PostgreSQL never comes here: asyncpg is async end to end."""
from __future__ import annotations

import asyncio
import sqlite3
import threading
import weakref
from pathlib import Path
from typing import Any, Sequence

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

# The longest the loop waits is one page. Reading 300 cards' whole history from a cold page cache, the
# worst stall was 22-27 ms with pages of 2,000 rows, 7.5-8.8 ms with 250 (through the thread: ~3 ms);
# warm, a page of 250 takes ~0.15 ms and the extra yields cost microseconds.
PAGE_ROWS = 250


class InlineReader:
    """One read-only sqlite3 connection to the engine's file, used by one caller at a time."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> InlineReader | None:
        """A reader for an SQLite file database; None for PostgreSQL and in-memory SQLite."""
        url = make_url(str(engine.url))
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        if url.query.get("mode") == "memory" or str(url.database).startswith("file:"):
            return None  # URI forms: leave them to the engine rather than guess their meaning
        return cls(Path(url.database))

    async def fetch(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[tuple] | None:
        """All rows of `sql`, or None when this connection cannot answer without waiting."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            cursor = self._connection().execute(sql, params)
        except sqlite3.Error:  # locked, file gone, schema not there yet: this read goes the thread path
            self._drop()
            self._lock.release()
            return None
        try:
            return await self._pages(cursor)
        except sqlite3.Error:
            return None
        finally:
            cursor.close()  # also on cancellation: an open statement would pin its read snapshot
            self._lock.release()

    @staticmethod
    async def _pages(cursor: sqlite3.Cursor) -> list[tuple]:
        rows: list[tuple] = []
        while True:
            page = cursor.fetchmany(PAGE_ROWS)
            rows += page
            # Yield after every page, the last one too: an awaited read must be a point where other tasks
            # run, or a caller reading many cards in a row would hold the loop for all of them.
            await asyncio.sleep(0)
            if len(page) < PAGE_ROWS:
                return rows

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            if not self._path.is_file():  # never create the file: that is the engine's and the migrations' job
                raise sqlite3.OperationalError(f"no database at {self._path}")
            conn = sqlite3.connect(f"{self._path.resolve().as_uri()}?mode=rw", uri=True, timeout=0,
                                   isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")
            self._conn = conn
            weakref.finalize(self, conn.close)
        return self._conn

    def _drop(self) -> None:
        """Close the connection (the caller holds the lock); the next read opens a fresh one."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self._drop()
