"""Small dialect helpers shared by the repositories."""
from __future__ import annotations

from typing import Iterable, Iterator, Sequence, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
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


def insert_ignore(conn: AsyncConnection, table: Table):  # noqa: ANN201 - dialect Insert
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def in_ids(conn: AsyncConnection, column, ids: list[int]):  # noqa: ANN001, ANN201 - SQL expressions
    """`column IN ids` as a single bound parameter however many ids there are: one statement instead of a
    chunk loop (SQLite: json_each over a JSON array; PostgreSQL: = ANY(array))."""
    import json

    from sqlalchemy import ARRAY, Integer, any_, func, literal, literal_column, select

    if conn.dialect.name == "postgresql":
        return column == any_(literal([int(i) for i in ids], type_=ARRAY(Integer)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(json.dumps([int(i) for i in ids]))))
