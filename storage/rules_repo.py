"""Alert rules and channel feeds: create, list, pause, remove; only ever the caller's own."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core.alert_service import FeedSpec
from core.alerts import LimitReached, RuleSpec
from core.mapping import PrintingKey
from core.models import Finish, utcnow
from storage.accounts_repo import NotYours
from storage.price_repo import SqlPriceStore
from storage.tables import alert_rules, cards, channel_subscriptions, data_sources, notification_log, printings


@dataclass(frozen=True)
class RuleRow:
    id: int
    card_id: str
    finish: Finish
    variant: str
    condition: int
    source: str | None
    currency: str
    kind: str
    threshold_cents: int | None
    percent_bp: int | None
    window_days: int | None
    state: str
    active: bool
    paused_reason: str | None
    last_triggered_at: datetime | None
    target_platform: str | None
    target_id: str | None


@dataclass(frozen=True)
class HistoryRow:
    rule_id: int | None
    status: str
    detail: str | None
    created_at: datetime


__all__ = ["FeedSpec", "SqlRules", "LimitReached", "RuleRow", "HistoryRow"]


class SqlRules:
    def __init__(self, engine: AsyncEngine, store: SqlPriceStore) -> None:
        self._engine = engine
        self._store = store

    async def create(self, user_id: int, key: PrintingKey, condition: int, source: str | None, spec: RuleSpec,
                     target: tuple[str, str], limit: int, guessed: bool = False) -> int:
        """`guessed`: see core.alert_service.ChosenPrinting."""
        from core.prices import CURRENCIES

        async with self._engine.begin() as conn:
            count = (await conn.execute(select(func.count()).select_from(alert_rules).where(
                alert_rules.c.user_id == user_id, alert_rules.c.active.is_(True)))).scalar_one()
            if count >= limit:
                raise LimitReached(f"You already have {count} active alerts (the limit is {limit}). Remove one first.")
            source_id = await self._known_source(conn, source) if source else None
            printing_id = (await self._store.ensure_printings(conn, [key])).get(key)
            if printing_id is None:
                raise NotYours(f"No card {key.card_id} in the catalog.")
            return (await conn.execute(alert_rules.insert().values(
                user_id=user_id, printing_id=printing_id, condition=condition, source_id=source_id,
                currency=CURRENCIES[spec.currency], kind=spec.kind.value, threshold_cents=spec.threshold_cents,
                percent_bp=spec.percent_bp, window_days=spec.window_days, rearm_margin_bp=spec.rearm_margin_bp,
                cooldown_s=spec.cooldown_s, confirm_snapshots=spec.confirm_snapshots, state="armed",
                target_platform=target[0], target_id=target[1], created_at=utcnow(), printing_guessed=guessed,
            ).returning(alert_rules.c.id))).scalar_one()

    async def _known_source(self, conn, name: str) -> int:  # noqa: ANN001
        """A rule on a source that never prices anything would never fire: refuse a typo instead."""
        from core.prices import PRICE_SOURCES

        ds = data_sources.c
        rows = (await conn.execute(select(ds.id, ds.name).order_by(ds.name))).all()
        found = [row.id for row in rows if row.name == name]
        if found:
            return found[0]
        if name not in PRICE_SOURCES:
            known = sorted({*PRICE_SOURCES, *(row.name for row in rows)})
            raise NotYours(f"Unknown source “{name}”. Known sources: {', '.join(known)}.")
        return await self._store.source_id(name, conn)

    async def list(self, user_id: int, rule_id: int | None = None) -> list[RuleRow]:
        from core.prices import CURRENCY_BY_CODE

        r, p, c, ds = alert_rules.c, printings.c, cards.c, data_sources.c
        query = (
            select(r.id, c.canonical_id, p.finish, p.variant, r.condition, ds.name, r.currency, r.kind,
                   r.threshold_cents, r.percent_bp, r.window_days, r.state, r.active, r.paused_reason,
                   r.last_triggered_at, r.target_platform, r.target_id)
            .select_from(alert_rules.join(printings, p.id == r.printing_id).join(cards, c.id == p.card_id)
                         .outerjoin(data_sources, ds.id == r.source_id))
            .where(r.user_id == user_id).order_by(r.id)
        )
        if rule_id is not None:
            query = query.where(r.id == rule_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [RuleRow(x[0], x[1], Finish(x[2]), x[3], x[4], x[5], CURRENCY_BY_CODE.get(x[6], "?"), *x[7:])
                for x in rows]

    async def _owned(self, conn, user_id: int, rule_id: int) -> None:  # noqa: ANN001
        owner = (await conn.execute(select(alert_rules.c.user_id).where(alert_rules.c.id == rule_id))).scalar_one_or_none()
        if owner != user_id:
            raise NotYours(f"No alert #{rule_id} of yours.")

    async def remove(self, user_id: int, rule_id: int) -> None:
        async with self._engine.begin() as conn:
            await self._owned(conn, user_id, rule_id)
            await conn.execute(alert_rules.delete().where(alert_rules.c.id == rule_id))

    async def set_paused(self, user_id: int, rule_id: int, paused: bool) -> None:
        async with self._engine.begin() as conn:
            await self._owned(conn, user_id, rule_id)
            values = {"active": not paused, "paused_reason": "paused by you" if paused else None}
            if not paused:
                values.update(state="armed", pending_count=0)
            await conn.execute(update(alert_rules).where(alert_rules.c.id == rule_id).values(**values))

    async def history(self, user_id: int, rule_id: int | None, limit: int = 50) -> list[HistoryRow]:
        """What one alert of the user's did, newest first; with no rule id, all of the user's alerts."""
        n, r = notification_log.c, alert_rules.c
        query = select(n.rule_id, n.status, n.detail, n.created_at)
        async with self._engine.connect() as conn:
            if rule_id is None:
                query = query.join_from(notification_log, alert_rules, r.id == n.rule_id).where(r.user_id == user_id)
            else:
                await self._owned(conn, user_id, rule_id)
                query = query.where(n.rule_id == rule_id)
            rows = await conn.execute(query.order_by(n.created_at.desc(), n.id.desc()).limit(limit))
            return [HistoryRow(*row) for row in rows]

    async def pause_for_delivery(self, rule_id: int | None, feed_id: int | None, reason: str) -> None:
        """A permanent refusal (blocked bot, closed DMs, channel gone) pauses what sent the message."""
        async with self._engine.begin() as conn:
            if rule_id is not None:
                await conn.execute(update(alert_rules).where(alert_rules.c.id == rule_id)
                                   .values(active=False, paused_reason=reason[:500]))
            if feed_id is not None:
                await conn.execute(update(channel_subscriptions).where(channel_subscriptions.c.id == feed_id)
                                   .values(active=False, paused_reason=reason[:500]))

    # ------------------------------------------------------------ feeds

    async def create_feed(self, spec: FeedSpec, created_by: int | None) -> int:
        async with self._engine.begin() as conn:
            return (await conn.execute(channel_subscriptions.insert().values(
                platform=spec.platform, guild_id=spec.guild_id, channel_id=spec.channel_id, game=spec.game,
                set_code=spec.set_code, rarity=spec.rarity, min_price_cents=spec.min_price_cents,
                min_move_bp=spec.min_move_bp, direction=spec.direction, hourly_cap=spec.hourly_cap,
                digest=spec.digest, created_by=created_by, created_at=utcnow(),
            ).returning(channel_subscriptions.c.id))).scalar_one()

    async def feeds(self, platform: str, channel_ids: list[str]) -> list:
        f = channel_subscriptions.c
        async with self._engine.connect() as conn:
            return (await conn.execute(select(channel_subscriptions).where(
                f.platform == platform, f.channel_id.in_(channel_ids)).order_by(f.id))).all()

    async def remove_feed(self, platform: str, channel_ids: list[str], feed_id: int) -> None:
        f = channel_subscriptions.c
        async with self._engine.begin() as conn:
            result = await conn.execute(channel_subscriptions.delete().where(
                f.id == feed_id, f.platform == platform, f.channel_id.in_(channel_ids)))
            if result.rowcount == 0:
                raise NotYours(f"No feed #{feed_id} in this server or chat.")
