"""Read side of prices: latest per printing/source/condition, unmatched products, overrides, health."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core.mapping import PrintingKey
from core.models import Finish, utcnow
from core.prices import CURRENCY_BY_CODE, from_epoch
from core.services_types import LatestPrice, SourceHealth, UnmatchedProduct
from storage.price_repo import SqlPriceStore
from storage.sql import chunks
from storage.tables import (
    alert_rules,
    cards,
    data_sources,
    latest_prices,
    printings,
    source_products,
    watchlist_items,
)


def _latest_of_cards():  # noqa: ANN202 - a Select
    lp, p, c, ds = latest_prices.c, printings.c, cards.c, data_sources.c
    return (
        select(c.canonical_id, p.finish, p.variant, ds.name, lp.condition, lp.currency, lp.ts, lp.market_cents,
               lp.low_cents, lp.mid_cents, lp.high_cents, lp.sample_size, lp.prev_market_cents, lp.prev_ts)
        .select_from(latest_prices.join(printings, p.id == lp.printing_id).join(cards, c.id == p.card_id)
                     .join(data_sources, ds.id == lp.source_id))
        .where(c.canonical_id.in_(bindparam("cards", expanding=True)))
    )


# The /price lookup: built once, not per request (building a Select costs ~0.1 ms; the query itself ~0.01 ms).
_LATEST_OF_CARDS = _latest_of_cards()


class SqlPriceQueries:
    def __init__(self, engine: AsyncEngine, store: SqlPriceStore | None = None) -> None:
        self._engine = engine
        self._store = store or SqlPriceStore(engine)

    async def latest_prices(self, canonical_ids: list[str]) -> list[LatestPrice]:
        """Newest point per (printing, source, condition, currency) of the given cards (latest_prices)."""
        out: list[LatestPrice] = []
        async with self._engine.connect() as conn:
            for chunk in chunks(canonical_ids):
                rows = (await conn.execute(_LATEST_OF_CARDS, {"cards": chunk})).all()
                out.extend(_latest(r) for r in rows)
        return out

    async def watched_printings(self) -> list[PrintingKey]:
        """Printings someone watches or has an alert on: what the per-printing sources (eBay) look up."""
        p, c = printings.c, cards.c
        watched = select(watchlist_items.c.printing_id).union(
            select(alert_rules.c.printing_id).where(alert_rules.c.active.is_(True))
        ).subquery()
        query = (select(c.canonical_id, p.finish, p.variant)
                 .select_from(printings.join(cards, c.id == p.card_id))
                 .where(p.id.in_(select(watched.c.printing_id))).order_by(c.canonical_id))
        async with self._engine.connect() as conn:
            return [PrintingKey(r.canonical_id, Finish(r.finish), r.variant) for r in await conn.execute(query)]

    async def unmatched(self, source: str | None = None, limit: int = 100) -> list[UnmatchedProduct]:
        sp, ds = source_products.c, data_sources.c
        query = (
            select(ds.name, sp.external_id, sp.sub_type, sp.product_name, sp.group_ref, sp.unmatched_reason)
            .select_from(source_products.join(data_sources, ds.id == sp.source_id))
            .where(sp.printing_id.is_(None))
            .order_by(ds.name, sp.group_ref, sp.product_name)
            .limit(limit)
        )
        if source:
            query = query.where(ds.name == source)
        async with self._engine.connect() as conn:
            return [UnmatchedProduct(*r) for r in await conn.execute(query)]

    async def set_override(self, source: str, external_id: str, key: PrintingKey, sub_type: str | None) -> int:
        """Pin a source product to a printing; later collections never change it. Returns rows pinned."""
        async with self._engine.begin() as conn:
            source_id = await self._store.source_id(source, conn)
            printing_id = (await self._store.ensure_printings(conn, [key])).get(key)
            if printing_id is None:
                raise LookupError(f"no card {key.card_id} in the catalog")
            sp = source_products.c
            where = and_(sp.source_id == source_id, sp.external_id == external_id)
            if sub_type is not None:
                where = and_(where, sp.sub_type == sub_type)
            # No fingerprint: the row no longer says what the mapper said, so were the pin ever lifted (by hand
            # in SQL; there is no command for it) the next collection would map the product afresh.
            values = dict(printing_id=printing_id, is_override=True, method="manual", confidence=1.0,
                          unmatched_reason=None, fingerprint=None, updated_at=utcnow())
            result = await conn.execute(update(source_products).where(where).values(**values))
            self._store.forget_mappings()
            if result.rowcount:
                return result.rowcount
            await conn.execute(source_products.insert().values(
                source_id=source_id, external_id=external_id, sub_type=sub_type or "", **values))
        self._store.forget_mappings()
        return 1

    async def source_health(self) -> list[SourceHealth]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(data_sources).order_by(data_sources.c.name))
            return [SourceHealth(r.name, r.enabled, r.last_success_at, r.last_error_at, r.last_error,
                                 r.consecutive_failures, r.circuit_state, r.last_snapshot_at) for r in rows]

    async def record_run(self, source: str, ok: bool, error: str | None, circuit_state: str,
                         snapshot: datetime | None = None) -> None:
        async with self._engine.begin() as conn:
            source_id = await self._store.source_id(source, conn)
            ds = data_sources.c
            values: dict[str, Any] = {"circuit_state": circuit_state}
            if ok:
                values.update(last_success_at=utcnow(), consecutive_failures=0)
                if snapshot is not None:
                    values["last_snapshot_at"] = _advanced_snapshot(snapshot)
            else:
                values.update(last_error_at=utcnow(), last_error=(error or "")[:2000],
                              consecutive_failures=ds.consecutive_failures + 1)
            await conn.execute(update(data_sources).where(ds.id == source_id).values(**values))

    async def record_import(self, source: str, snapshot: datetime) -> None:
        """A backfill stored `snapshot`. Fetch health (last success, failures, circuit) is left alone:
        an import fetched nothing."""
        async with self._engine.begin() as conn:
            source_id = await self._store.source_id(source, conn)
            await conn.execute(update(data_sources).where(data_sources.c.id == source_id)
                               .values(last_snapshot_at=_advanced_snapshot(snapshot)))


def _advanced_snapshot(snapshot: datetime) -> Any:
    """The source's last snapshot, moved to `snapshot` unless a newer one is known (a backfill of an older
    day, or a run that stored nothing, must not move it back or blank it)."""
    last = data_sources.c.last_snapshot_at
    return case((or_(last.is_(None), last < snapshot), literal(snapshot, last.type)), else_=last)


def _latest(row: Any) -> LatestPrice:
    return LatestPrice(
        card_id=row.canonical_id, finish=Finish(row.finish), variant=row.variant, source=row.name,
        condition=row.condition, currency=CURRENCY_BY_CODE.get(row.currency, "?"), as_of=from_epoch(row.ts),
        market_cents=row.market_cents, low_cents=row.low_cents, mid_cents=row.mid_cents,
        high_cents=row.high_cents, sample_size=row.sample_size, prev_cents=row.prev_market_cents,
        prev_as_of=from_epoch(row.prev_ts) if row.prev_ts else None,
    )
