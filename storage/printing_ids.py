"""Printing ids for (card, finish, variant) keys: held in memory, looked up or created in the caller's transaction.

Ids are remembered only once the caller's transaction has committed (`remember`): a cached id of a row
that rolled back (a refused rule, a failed unit) would break every later insert that refers to it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.mapping import PrintingKey
from core.models import Finish
from storage.gc_pause import gc_paused
from storage.sql import chunks, insert_ignore
from storage.tables import cards, printings

# Resolving more printing keys than this loads every printing id at once (a first collection, a new source);
# fewer (a normal day's new products, a watchlist entry) are looked up by card.
WARM_PRINTINGS_ABOVE = 2_000


class PrintingIds:
    def __init__(self) -> None:
        self._ids: dict[PrintingKey, int] = {}
        self._warm = False

    def remember(self, ids: dict[PrintingKey, int]) -> None:
        """Ids `ensure` found or created, after the transaction that saw them committed."""
        self._ids.update(ids)

    async def ensure(self, conn: AsyncConnection, keys: list[PrintingKey],
                     seen: dict[PrintingKey, int] | None = None) -> dict[PrintingKey, int]:
        """Ids of `keys` whose card is in the catalog, creating missing printings; those not cached yet are
        also added to `seen`, for the caller to `remember` after commit."""
        if not self._warm and len(keys) > WARM_PRINTINGS_ABOVE:
            await self._warm_up(conn)
        cached = self._ids
        found = {k: i for k in keys if (i := cached.get(k)) is not None}
        missing = {k for k in keys if k not in found}
        if not missing:
            return found
        card_ids: dict[str, int] = {}
        for chunk in chunks(sorted({k.card_id for k in missing})):
            rows = await conn.execute(select(cards.c.id, cards.c.canonical_id).where(cards.c.canonical_id.in_(chunk)))
            card_ids.update({r.canonical_id: r.id for r in rows})
        known = {k for k in missing if k.card_id in card_ids}
        loaded = await self._load(conn, card_ids, known)
        absent = [k for k in known if k not in loaded]
        if absent:
            await conn.execute(
                insert_ignore(conn, printings),
                [{"card_id": card_ids[k.card_id], "finish": k.finish.value, "variant": k.variant} for k in absent],
            )
            loaded = await self._load(conn, card_ids, known)
        if seen is not None:
            seen.update(loaded)
        found.update(loaded)
        return found

    async def _warm_up(self, conn: AsyncConnection) -> None:
        """Every printing id in one query (~70k rows for a full catalog): per-unit lookups become dict hits."""
        with gc_paused():
            rows = await conn.execute(
                select(cards.c.canonical_id, printings.c.finish, printings.c.variant, printings.c.id)
                .select_from(printings.join(cards, cards.c.id == printings.c.card_id))
            )
            self._ids.update({(r[0], r[1], r[2]): r[3] for r in rows.all()})  # == PrintingKey
        self._warm = True

    @staticmethod
    async def _load(conn: AsyncConnection, card_ids: dict[str, int], keys: set[PrintingKey]) -> dict[PrintingKey, int]:
        by_card = {v: k for k, v in card_ids.items()}
        found: dict[PrintingKey, int] = {}
        for chunk in chunks(sorted({card_ids[k.card_id] for k in keys})):
            rows = await conn.execute(
                select(printings.c.id, printings.c.card_id, printings.c.finish, printings.c.variant)
                .where(printings.c.card_id.in_(chunk))
            )
            for r in rows:
                key = PrintingKey(by_card[r.card_id], Finish(r.finish), r.variant)
                if key in keys:
                    found[key] = r.id
        return found
