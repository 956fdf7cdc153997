"""Small dialect helpers shared by the repositories."""
from __future__ import annotations

from typing import Iterable, Iterator, Sequence, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import dml as pg_dml
from sqlalchemy.dialects.sqlite import dml as sqlite_dml
from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")
CHUNK = 500


def chunks(items: Sequence[T] | Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# SQLAlchemy 2.0's dialect Insert and its ON CONFLICT clauses have no cache key (`inherit_cache = False`),
# so every `insert(...).on_conflict_do_nothing()` is compiled afresh: ~0.5 ms per statement, once per
# ingested unit, outbox batch and watchlist add. A DO NOTHING without a conflict target holds nothing
# but its class, and the Insert already keys on its `_post_values_clause`: these two subclasses say so.
class _SqliteDoNothing(sqlite_dml.OnConflictDoNothing):
    _traverse_internals = ()


class _SqliteInsertIgnore(sqlite_dml.Insert):
    inherit_cache = True


class _PgDoNothing(pg_dml.OnConflictDoNothing):
    _traverse_internals = ()


class _PgInsertIgnore(pg_dml.Insert):
    inherit_cache = True


def insert_ignore(conn: AsyncConnection, table: Table):  # noqa: ANN201 - dialect Insert
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL, cached like any other statement."""
    if conn.dialect.name == "postgresql":
        statement, clause = _PgInsertIgnore(table), _PgDoNothing()
    else:
        statement, clause = _SqliteInsertIgnore(table), _SqliteDoNothing()
    statement._post_values_clause = clause  # what on_conflict_do_nothing() sets, with a cacheable clause
    return statement


def in_ids(conn: AsyncConnection, column, ids: list[int]):  # noqa: ANN001, ANN201 - SQL expressions
    """`column IN ids` as a single bound parameter however many ids there are: one statement instead of a
    chunk loop (SQLite: json_each over a JSON array; PostgreSQL: = ANY(array))."""
    import json

    from sqlalchemy import ARRAY, Integer, any_, func, literal, literal_column, select

    if conn.dialect.name == "postgresql":
        return column == any_(literal([int(i) for i in ids], type_=ARRAY(Integer)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(json.dumps([int(i) for i in ids]))))
