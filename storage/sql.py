"""Small dialect helpers shared by the repositories."""
from __future__ import annotations

import json
from typing import Iterable, Iterator, Sequence, TypeVar

from sqlalchemy import ARRAY, Integer, String, Table, any_, bindparam, func, literal, literal_column, select
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
    return insert_ignore_for(conn.dialect.name, table)


def insert_ignore_for(dialect: str, table: Table):  # noqa: ANN201 - dialect Insert
    """`insert_ignore` by dialect name: for statements built once and executed many times."""
    if dialect == "postgresql":
        statement, clause = _PgInsertIgnore(table), _PgDoNothing()
    else:
        statement, clause = _SqliteInsertIgnore(table), _SqliteDoNothing()
    statement._post_values_clause = clause  # what on_conflict_do_nothing() sets, with a cacheable clause
    return statement


def in_ids(conn: AsyncConnection, column, ids: list[int]):  # noqa: ANN001, ANN201 - SQL expressions
    """`column IN ids` as a single bound parameter however many ids there are: one statement instead of a
    chunk loop (SQLite: json_each over a JSON array; PostgreSQL: = ANY(array))."""
    dialect = conn.dialect.name
    return in_ids_param(dialect, column, literal(ids_value(dialect, ids), type_=_ids_type(dialect)))


def in_ids_param(dialect: str, column, ids):  # noqa: ANN001, ANN201 - SQL expressions
    """`column IN <ids>` where <ids> is a bound parameter holding `ids_value(...)`: for statements built
    once and executed many times."""
    if dialect == "postgresql":
        return column == any_(ids)
    return column.in_(select(literal_column("value")).select_from(func.json_each(ids)))


def ids_value(dialect: str, ids: list[int]):  # noqa: ANN201 - a list or a JSON string
    return [int(i) for i in ids] if dialect == "postgresql" else json.dumps([int(i) for i in ids])


def ids_param(dialect: str, name: str):  # noqa: ANN201 - a BindParameter
    """The bound parameter `in_ids_param` takes; execute with {name: ids_value(dialect, ids)}."""
    return bindparam(name, type_=_ids_type(dialect))


def _ids_type(dialect: str):  # noqa: ANN202 - a SQLAlchemy type
    return ARRAY(Integer) if dialect == "postgresql" else String
