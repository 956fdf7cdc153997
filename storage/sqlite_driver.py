"""SQLAlchemy's aiosqlite adapter with one thread hop per statement instead of three or four.

The stock adapter awaits aiosqlite's worker thread for cursor(), execute(), fetchall() and close()
separately; each hop costs ~100 µs here, which made a trivial statement ~440 µs and dominated small
reads and per-unit ingest. This adapter runs that same sequence as one function on aiosqlite's
worker thread. It uses aiosqlite's `_execute` and `_conn`, as SQLAlchemy's own adapter does for
isolation levels; both libraries are pinned, and tests/storage exercise every query through it."""
from __future__ import annotations

import sqlite3
from collections import deque
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> tuple:
    """Executed on aiosqlite's thread: the whole cursor life in one go."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._one_hop(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._one_hop(operation, seq_of_parameters, many=True)

    def _one_hop(self, operation: Any, parameters: Any, many: bool) -> None:
        driver = self._connection
        try:
            description, rows, lastrowid, rowcount = self.await_(
                driver._execute(_run, driver._conn, operation, parameters, many)
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        if description:
            self.description = description
            self.lastrowid = self.rowcount = -1
            self._rows = deque(rows)
        else:
            self.description = None
            self.lastrowid = lastrowid
            self.rowcount = rowcount


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    # A read leaves no transaction open (pysqlite begins one before DML only), and sqlite3's own commit
    # and rollback are no-ops then: skip the thread hop the pool's reset-on-return would cost every read.
    def commit(self) -> None:
        if self._in_transaction():
            super().commit()

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()

    def _in_transaction(self) -> bool:
        try:
            return self._connection._conn.in_transaction
        except ValueError:  # closed: let the stock call raise SQLAlchemy's own error
            return True

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        return super().cursor(server_side) if server_side else OneHopCursor(self)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        if type(adapted) is AsyncAdapt_aiosqlite_connection:  # not the deprecated async_fallback mode
            return OneHopConnection(self, adapted._connection)
        return adapted


def one_hop_dbapi() -> OneHopDBAPI:
    """Pass as `module=` to create_async_engine for sqlite+aiosqlite URLs."""
    return OneHopDBAPI(aiosqlite, sqlite3)
