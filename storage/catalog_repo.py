"""Catalog persistence: idempotent bulk upsert of sets and cards, and loading them back."""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.catalog import CatalogBatch
from core.models import Card, CardSet, Game, utcnow
from core.ports import ImportReport, UpsertCounts
from storage.tables import cards, tcg_sets

_SET_FIELDS = ("name", "series", "release_date", "printed_total", "total", "ptcgo_code")
_CARD_FIELDS = ("set_id", "number", "name", "rarity", "supertype", "image_url", "variant", "packs")


class SqlCatalogRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def upsert_catalog(self, batch: CatalogBatch) -> ImportReport:
        """One transaction per batch: a failed import leaves the previous catalog as it was."""
        report = ImportReport(batch.game.value, skipped=batch.skipped, notes=list(batch.notes))
        async with self._engine.begin() as conn:
            report.sets = await self._upsert_sets(conn, batch.game, batch.sets.values())
            set_ids = await self._set_ids(conn, batch.game)
            report.cards = await self._upsert_cards(conn, batch.game, batch.cards.values(), set_ids)
        return report

    async def _upsert_sets(self, conn: AsyncConnection, game: Game, sets: Iterable[CardSet]) -> UpsertCounts:
        rows = await conn.execute(
            select(tcg_sets.c.id, tcg_sets.c.code, tcg_sets.c.language, *(tcg_sets.c[f] for f in _SET_FIELDS)).where(
                tcg_sets.c.game == game.value
            )
        )
        existing = {(r.code, r.language): r for r in rows}
        wanted = [_set_row(s) for s in sets]
        return await _apply(conn, tcg_sets, existing, wanted, ("code", "language"), _SET_FIELDS, game)

    async def _set_ids(self, conn: AsyncConnection, game: Game) -> dict[tuple[str, str], int]:
        rows = await conn.execute(
            select(tcg_sets.c.id, tcg_sets.c.code, tcg_sets.c.language).where(tcg_sets.c.game == game.value)
        )
        return {(r.code, r.language): r.id for r in rows}

    async def _upsert_cards(
        self, conn: AsyncConnection, game: Game, batch_cards: Iterable[Card], set_ids: dict[tuple[str, str], int]
    ) -> UpsertCounts:
        rows = await conn.execute(
            select(cards.c.id, cards.c.canonical_id, cards.c.language, *(cards.c[f] for f in _CARD_FIELDS)).where(
                cards.c.game == game.value
            )
        )
        existing = {(r.canonical_id, r.language): r for r in rows}
        wanted = [_card_row(c, set_ids[(c.set_code, c.language)]) for c in batch_cards]
        return await _apply(conn, cards, existing, wanted, ("canonical_id", "language"), _CARD_FIELDS, game)

    async def load_catalog(self) -> tuple[list[CardSet], list[Card]]:
        async with self._engine.connect() as conn:
            set_rows = (await conn.execute(select(tcg_sets))).all()
            card_rows = (await conn.execute(select(cards))).all()
        by_id = {r.id: r for r in set_rows}
        loaded_sets = [_set_from_row(r) for r in set_rows]
        loaded_cards = [_card_from_row(r, by_id[r.set_id].code) for r in card_rows]
        return loaded_sets, loaded_cards

    async def catalog_version(self) -> tuple:
        """Changes whenever an import, from any process, adds or changes a set or a card (an import stamps
        `updated_at` on changed rows only): two small aggregate scans, ~10 ms on the full catalog."""
        async with self._engine.connect() as conn:
            versions = [(await conn.execute(select(func.count(), func.max(t.c.updated_at)).select_from(t))).one()
                        for t in (tcg_sets, cards)]
        return tuple(value for row in versions for value in row)

    async def card_count(self) -> int:
        async with self._engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(cards))).scalar_one())


async def _apply(
    conn: AsyncConnection,
    table,  # noqa: ANN001
    existing: dict[tuple, Any],
    wanted: list[dict[str, Any]],
    key_fields: tuple[str, str],
    fields: tuple[str, ...],
    game: Game,
) -> UpsertCounts:
    """Insert new rows, update changed ones, leave equal ones untouched (so re-imports change nothing)."""
    now = utcnow()
    to_insert, to_update = [], []
    counts = UpsertCounts()
    for row in wanted:
        old = existing.get(tuple(row[k] for k in key_fields))
        if old is None:
            to_insert.append({**row, "game": game.value, "updated_at": now})
        elif any(getattr(old, f) != row[f] for f in fields):
            to_update.append({**{f: row[f] for f in fields}, "b_id": old.id, "updated_at": now})
        else:
            counts.unchanged += 1
    if to_insert:
        await conn.execute(insert(table), to_insert)
    if to_update:
        values = {f: bindparam(f) for f in (*fields, "updated_at")}
        await conn.execute(update(table).where(table.c.id == bindparam("b_id")).values(values), to_update)
    counts.inserted, counts.updated = len(to_insert), len(to_update)
    return counts


def _set_row(card_set: CardSet) -> dict[str, Any]:
    return {
        "code": card_set.code,
        "language": card_set.language,
        "name": card_set.name[:200],
        "series": card_set.series[:100],
        "release_date": card_set.release_date,
        "printed_total": card_set.printed_total,
        "total": card_set.total,
        "ptcgo_code": card_set.ptcgo_code,
    }


def _card_row(card: Card, set_id: int) -> dict[str, Any]:
    return {
        "canonical_id": card.canonical_id,
        "language": card.language,
        "set_id": set_id,
        "number": card.number,
        "name": card.name[:200],
        "rarity": card.rarity,
        "supertype": card.supertype,
        "image_url": card.image_url,
        "variant": card.variant,
        "packs": ",".join(card.packs),
    }


def _set_from_row(row: Any) -> CardSet:
    return CardSet(
        game=Game(row.game),
        code=row.code,
        name=row.name,
        series=row.series,
        release_date=row.release_date,
        printed_total=row.printed_total,
        total=row.total,
        ptcgo_code=row.ptcgo_code,
        language=row.language,
    )


def _card_from_row(row: Any, set_code: str) -> Card:
    return Card(
        game=Game(row.game),
        canonical_id=row.canonical_id,
        set_code=set_code,
        number=row.number,
        name=row.name,
        rarity=row.rarity,
        supertype=row.supertype,
        image_url=row.image_url,
        language=row.language,
        variant=row.variant,
        packs=tuple(s for s in row.packs.split(",") if s),
    )
