"""Watches and alerts made before any source priced their card follow the card's first prices.

Such an item took the finish the card's rarity is printed in (core.models.likely_finish), a guess that is
wrong for a few percent of cards (commons sold only as holofoil promos, say); left there, it would wait
forever for prices that never come. After an ingest unit, inside its transaction and before its alerts
are evaluated, each guessed item on the cards the unit priced is settled by core.models.settled_finish:
kept, with the guess mark cleared, when its printing got prices; moved to the plain printing that got
them otherwise. A moved alert is then evaluated against those prices with the rest. A backfill's units,
whose alerts are not evaluated, settle guesses too. Only sources whose products say their finish count
(core.prices.FINISH_EVIDENCE_SOURCES)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Table, bindparam, delete, func, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.models import Finish, settled_finish
from core.prices import FINISH_EVIDENCE_SOURCES
from storage.sql import ids_param, ids_value, in_ids_param
from storage.tables import alert_rules, data_sources, latest_prices, printings, watchlist_items

_TABLES = {"rule": alert_rules, "watch": watchlist_items}


@dataclass(frozen=True, slots=True)
class _Guessed:
    table: str  # rule | watch
    id: int
    printing_id: int
    card_id: int
    finish: Finish
    user_id: int
    condition: int


def any_guessed():  # noqa: ANN201 - a SQL expression
    """Whether any watch or alert holds a guessed printing: two probes of the partial indexes."""
    return select(alert_rules.c.id).where(alert_rules.c.printing_guessed).exists() | \
        select(watchlist_items.c.id).where(watchlist_items.c.printing_guessed).exists()


async def follow_first_prices_if_any(conn: AsyncConnection, printing_ids: list[int]) -> None:
    """`follow_first_prices` for a unit whose alerts are not evaluated (a backfill), after the same probe."""
    if (await conn.execute(select(any_guessed()))).scalar():
        await follow_first_prices(conn, printing_ids)


async def follow_first_prices(conn: AsyncConnection, printing_ids: list[int]) -> set[int]:
    """Settle the guessed items on the cards of `printing_ids`; the printings alerts moved to."""
    dialect = conn.dialect.name
    rows = await conn.execute(_guessed_statement(dialect), {"printing_ids": ids_value(dialect, printing_ids)})
    items = [_Guessed(r[0], r[1], r[2], r[3], Finish(r[4]), r[5], r[6]) for r in rows]
    if not items:
        return set()
    priced = await _priced_plain_printings(conn, sorted({i.card_id for i in items}))
    settled, moves = [], []
    for item in items:
        by_finish = priced.get(item.card_id, {})
        target = settled_finish(item.finish, {finish: ts for finish, (_, ts) in by_finish.items()})
        if target is None:
            continue  # the unit priced only a variant (a staff stamp, say): keep waiting for a plain price
        if target == item.finish:
            settled.append(item)
        else:
            moves.append((item, by_finish[target][0]))
    await _clear_marks(conn, settled)
    await _move(conn, moves)
    return {printing_id for item, printing_id in moves if item.table == "rule"}


@lru_cache(maxsize=2)
def _guessed_statement(dialect: str):  # noqa: ANN202 - a CompoundSelect
    p = printings.c
    touched_cards = select(p.card_id).where(in_ids_param(dialect, p.id, ids_param(dialect, "printing_ids")))
    parts = []
    for name, table in _TABLES.items():
        t = table.c
        parts.append(
            select(literal(name), t.id, t.printing_id, p.card_id, p.finish, t.user_id, t.condition)
            .select_from(table.join(printings, p.id == t.printing_id))
            .where(t.printing_guessed, p.card_id.in_(touched_cards))
        )
    return union_all(*parts)


async def _priced_plain_printings(conn: AsyncConnection, card_ids: list[int]) -> dict[int, dict[Finish, tuple[int, int]]]:
    """card -> finish -> (printing id, epoch of its newest price), plain printings priced by a source whose
    products say their finish (a Cardmarket price of a card TCGplayer has not priced is our own guess again)."""
    p, lp, ds = printings.c, latest_prices.c, data_sources.c
    rows = await conn.execute(
        select(p.card_id, p.id, p.finish, func.max(lp.ts))
        .select_from(printings.join(latest_prices, lp.printing_id == p.id).join(data_sources, ds.id == lp.source_id))
        .where(p.card_id.in_(card_ids), p.variant == "", ds.name.in_(FINISH_EVIDENCE_SOURCES))
        .group_by(p.card_id, p.id, p.finish)
    )
    found: dict[int, dict[Finish, tuple[int, int]]] = defaultdict(dict)
    for card_id, printing_id, finish, ts in rows:
        found[card_id][Finish(finish)] = (printing_id, ts)
    return found


async def _clear_marks(conn: AsyncConnection, items: list[_Guessed]) -> None:
    for name, table in _TABLES.items():
        ids = [i.id for i in items if i.table == name]
        if ids:
            await conn.execute(update(table).where(table.c.id.in_(ids)).values(printing_guessed=False))


async def _move(conn: AsyncConnection, moves: list[tuple[_Guessed, int]]) -> None:
    """Point each item at its new printing. A watch whose owner already watches that printing in that
    condition is the same watch twice: the guessed one goes."""
    if not moves:
        return
    w = watchlist_items.c
    targets = sorted({printing_id for item, printing_id in moves if item.table == "watch"})
    watched = set()
    if targets:
        rows = await conn.execute(select(w.user_id, w.printing_id, w.condition).where(w.printing_id.in_(targets)))
        watched = {tuple(r) for r in rows}
    duplicates = {item.id for item, to in moves if item.table == "watch" and (item.user_id, to, item.condition) in watched}
    if duplicates:
        await conn.execute(delete(watchlist_items).where(w.id.in_(duplicates)))
    for name, table in _TABLES.items():
        rows = [{"b_id": item.id, "b_printing": to} for item, to in moves
                if item.table == name and not (name == "watch" and item.id in duplicates)]
        if rows:
            await conn.execute(_move_statement(table), rows)


def _move_statement(table: Table):  # noqa: ANN202 - an Update
    return (update(table).where(table.c.id == bindparam("b_id"))
            .values(printing_id=bindparam("b_printing"), printing_guessed=False))
