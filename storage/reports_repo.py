"""Price reports: stored per person and card, listed for operators with the products mapped to each card."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core.alerts import LimitReached
from core.reports import MappedProduct, PriceReport
from storage.tables import cards, data_sources, price_reports, printings, source_products, users


class SqlReports:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, user_id: int, card_id: str, note: str, platform: str, limit: int,
                  when: datetime) -> tuple[int, bool]:
        r = price_reports.c
        async with self._engine.begin() as conn:
            card_row = (await conn.execute(select(cards.c.id).where(cards.c.canonical_id == card_id))).scalar_one()
            open_ids = (await conn.execute(select(r.id, r.card_id).where(
                r.user_id == user_id, r.resolved_at.is_(None)))).all()
            same = [row.id for row in open_ids if row.card_id == card_row]
            if same:  # still open: the newest words replace the old ones, when there are any
                if note:
                    await conn.execute(update(price_reports).where(r.id == same[0]).values(note=note))
                return same[0], False
            if len(open_ids) >= limit:
                raise LimitReached(f"You have {len(open_ids)} open reports (the limit is {limit}); "
                                   "they are looked at as they come.")
            new_id = (await conn.execute(price_reports.insert().values(
                user_id=user_id, card_id=card_row, note=note, platform=platform, created_at=when
            ).returning(r.id))).scalar_one()
            return new_id, True

    async def reports(self, include_resolved: bool, limit: int) -> list[PriceReport]:
        r, c = price_reports.c, cards.c
        query = (select(r.id, c.canonical_id, c.name, r.note, r.platform, users.c.display_name, r.created_at,
                        r.resolved_at, r.resolution, r.card_id)
                 .select_from(price_reports.join(cards, c.id == r.card_id).join(users, users.c.id == r.user_id))
                 .order_by(r.id).limit(limit))
        if not include_resolved:
            query = query.where(r.resolved_at.is_(None))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            mapped = await self._mapped(conn, sorted({row.card_id for row in rows}))
        return [PriceReport(*row[:9], mapped=tuple(mapped.get(row.card_id, ()))) for row in rows]

    @staticmethod
    async def _mapped(conn, card_ids: list[int]) -> dict[int, list[MappedProduct]]:  # noqa: ANN001
        """Every source product whose prices are shown for these cards: what a wrong-printing report is about."""
        if not card_ids:
            return {}
        sp, p = source_products.c, printings.c
        rows = await conn.execute(
            select(p.card_id, data_sources.c.name, sp.external_id, sp.sub_type, sp.product_name, p.finish, p.variant,
                   sp.method, sp.is_override)
            .select_from(source_products.join(printings, p.id == sp.printing_id)
                         .join(data_sources, data_sources.c.id == sp.source_id))
            .where(p.card_id.in_(card_ids))
            .order_by(p.card_id, data_sources.c.name, p.finish, p.variant, sp.external_id))
        found: dict[int, list[MappedProduct]] = {}
        for row in rows:
            printing = f"{row.finish}:{row.variant}" if row.variant else row.finish
            found.setdefault(row.card_id, []).append(MappedProduct(
                row.name, row.external_id, row.sub_type, row.product_name, printing, row.method, bool(row.is_override)))
        return found

    async def resolve(self, report_id: int, resolution: str, when: datetime) -> bool:
        r = price_reports.c
        async with self._engine.begin() as conn:
            result = await conn.execute(update(price_reports).where(r.id == report_id, r.resolved_at.is_(None))
                                        .values(resolved_at=when, resolution=resolution or None))
            return result.rowcount == 1

    async def open_count(self) -> int:
        async with self._engine.connect() as conn:
            return (await conn.execute(select(func.count()).select_from(price_reports)
                                       .where(price_reports.c.resolved_at.is_(None)))).scalar_one()
