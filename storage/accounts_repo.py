"""People, their chat identities, one-time link codes and watchlists."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core.mapping import PrintingKey
from core.models import Finish, utcnow
from storage.price_repo import SqlPriceStore
from storage.sql import insert_ignore
from storage.tables import (
    alert_rules,
    api_keys,
    cards,
    channel_subscriptions,
    link_codes,
    printings,
    user_identities,
    users,
    watchlist_items,
)


class NotYours(LookupError):
    """The id does not exist or belongs to someone else (the two are not told apart, on purpose)."""


class LinkError(ValueError):
    """A link code that cannot be used; the message says why."""


@dataclass(frozen=True)
class WatchItem:
    id: int
    card_id: str
    finish: Finish
    variant: str
    condition: int
    created_at: datetime


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


class SqlAccounts:
    def __init__(self, engine: AsyncEngine, store: SqlPriceStore) -> None:
        self._engine = engine
        self._store = store

    async def user_for(self, platform: str, platform_user_id: str, display_name: str = "") -> int:
        """The person behind a chat identity, created on first contact."""
        ident = user_identities.c
        async with self._engine.begin() as conn:
            found = (await conn.execute(select(ident.user_id).where(
                ident.platform == platform, ident.platform_user_id == platform_user_id))).scalar_one_or_none()
            if found is not None:
                return found
            user_id = (await conn.execute(users.insert().values(display_name=display_name[:100], created_at=utcnow())
                                          .returning(users.c.id))).scalar_one()
            await conn.execute(insert_ignore(conn, user_identities).values(
                user_id=user_id, platform=platform, platform_user_id=platform_user_id,
                username=display_name[:100], created_at=utcnow()))
            winner = (await conn.execute(select(ident.user_id).where(
                ident.platform == platform, ident.platform_user_id == platform_user_id))).scalar_one()
            if winner != user_id:  # a concurrent first contact won; drop ours
                await conn.execute(delete(users).where(users.c.id == user_id))
            return winner

    async def identities(self, user_id: int) -> list[tuple[str, str]]:
        ident = user_identities.c
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(ident.platform, ident.platform_user_id).where(ident.user_id == user_id)
                                      .order_by(ident.platform))
            return [(r[0], r[1]) for r in rows]

    async def save_link_code(self, user_id: int, platform: str, code: str, lifetime: timedelta) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(link_codes.insert().values(code_hash=hash_code(code), user_id=user_id,
                                                          platform=platform, expires_at=utcnow() + lifetime))

    async def redeem_link_code(self, code: str, platform: str, platform_user_id: str) -> int:
        """Merge the redeeming identity's person into the code's person; single use, short-lived."""
        lc, ident = link_codes.c, user_identities.c
        now = utcnow()
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(lc.user_id, lc.platform, lc.expires_at, lc.used_at)
                                      .where(lc.code_hash == hash_code(code)))).one_or_none()
            if row is None or row.used_at is not None or row.expires_at < now:
                raise LinkError("That code is unknown, used or expired. Ask for a new one with /link.")
            if row.platform == platform:
                raise LinkError(f"Enter the code on the other platform, not on {platform}.")
            target = row.user_id
            source = (await conn.execute(select(ident.user_id).where(
                ident.platform == platform, ident.platform_user_id == platform_user_id))).scalar_one_or_none()
            if source == target:
                raise LinkError("These accounts are already linked.")
            taken = (await conn.execute(select(func.count()).select_from(user_identities).where(
                ident.user_id == target, ident.platform == platform))).scalar_one()
            if taken:
                raise LinkError(f"That account is already linked to another {platform} identity.")
            await conn.execute(update(link_codes).where(lc.code_hash == hash_code(code)).values(used_at=now))
            if source is None:
                await conn.execute(user_identities.insert().values(user_id=target, platform=platform,
                                                                   platform_user_id=platform_user_id, created_at=now))
            else:
                await self._merge(conn, source, target)
            return target

    async def _merge(self, conn, source: int, target: int) -> None:  # noqa: ANN001
        w, t = watchlist_items.c, watchlist_items.alias("t").c
        await conn.execute(update(user_identities).where(user_identities.c.user_id == source).values(user_id=target))
        duplicate = select(t.id).where(t.user_id == target, t.printing_id == w.printing_id,
                                       t.condition == w.condition).exists()
        await conn.execute(delete(watchlist_items).where(w.user_id == source, duplicate))
        await conn.execute(update(watchlist_items).where(w.user_id == source).values(user_id=target))
        await conn.execute(update(alert_rules).where(alert_rules.c.user_id == source).values(user_id=target))
        await conn.execute(update(api_keys).where(api_keys.c.user_id == source).values(user_id=target))
        await conn.execute(update(channel_subscriptions).where(channel_subscriptions.c.created_by == source)
                           .values(created_by=target))
        await conn.execute(delete(users).where(users.c.id == source))

    # ------------------------------------------------------------ watchlists

    async def watch(self, user_id: int, key: PrintingKey, condition: int, guessed: bool = False) -> bool:
        """True when added, False when it was already there. `guessed`: see core.alert_service.ChosenPrinting."""
        async with self._engine.begin() as conn:
            printing_id = (await self._store.ensure_printings(conn, [key])).get(key)
            if printing_id is None:
                raise NotYours(f"No card {key.card_id} in the catalog.")
            result = await conn.execute(insert_ignore(conn, watchlist_items).values(
                user_id=user_id, printing_id=printing_id, condition=condition, created_at=utcnow(),
                printing_guessed=guessed))
            if result.rowcount == 0 and not guessed:  # the same printing, now chosen: it no longer follows prices
                w = watchlist_items.c
                await conn.execute(update(watchlist_items).where(
                    w.user_id == user_id, w.printing_id == printing_id, w.condition == condition, w.printing_guessed)
                    .values(printing_guessed=False))
            return result.rowcount == 1

    async def unwatch(self, user_id: int, item_id: int) -> None:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(watchlist_items).where(
                watchlist_items.c.id == item_id, watchlist_items.c.user_id == user_id))
            if result.rowcount == 0:
                raise NotYours(f"No watchlist entry #{item_id} of yours.")

    async def watchlist(self, user_id: int) -> list[WatchItem]:
        w, p, c = watchlist_items.c, printings.c, cards.c
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(w.id, c.canonical_id, p.finish, p.variant, w.condition, w.created_at)
                .select_from(watchlist_items.join(printings, p.id == w.printing_id).join(cards, c.id == p.card_id))
                .where(w.user_id == user_id).order_by(w.created_at, w.id))
            return [WatchItem(r[0], r[1], Finish(r[2]), r[3], r[4], r[5]) for r in rows]


async def _rows(conn, query) -> list[dict]:  # noqa: ANN001
    return [dict(r._mapping) for r in await conn.execute(query)]


class SqlPrivacy:
    """A person's data out (export) and gone (forget)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def export(self, user_id: int) -> dict:
        from storage.tables import alert_rules, notification_log, price_reports

        r, n = alert_rules.c, notification_log.c
        async with self._engine.connect() as conn:
            person = (await _rows(conn, select(users).where(users.c.id == user_id)))
            identities = await _rows(conn, select(user_identities.c.platform, user_identities.c.platform_user_id,
                                                  user_identities.c.username, user_identities.c.created_at)
                                     .where(user_identities.c.user_id == user_id))
            watchlist = [vars(w) | {"finish": w.finish.value} for w in await self.watch_items(conn, user_id)]
            rules = await _rows(conn, select(alert_rules).where(r.user_id == user_id))
            rule_ids = [x["id"] for x in rules]
            history = await _rows(conn, select(n.rule_id, n.status, n.detail, n.platform, n.created_at)
                                  .where(n.rule_id.in_(rule_ids))) if rule_ids else []
            feeds = await _rows(conn, select(channel_subscriptions).where(channel_subscriptions.c.created_by == user_id))
            k = api_keys.c
            keys = await _rows(conn, select(k.id, k.name, k.hint, k.platform, k.created_at, k.last_used_at,
                                            k.revoked_at).where(k.user_id == user_id))
            pr = price_reports.c
            reports = await _rows(conn, select(pr.id, cards.c.canonical_id.label("card_id"), pr.note, pr.platform,
                                               pr.created_at, pr.resolved_at, pr.resolution)
                                  .join_from(price_reports, cards, cards.c.id == pr.card_id).where(pr.user_id == user_id))
        return {"person": person[0] if person else None, "identities": identities, "watchlist": watchlist,
                "alert_rules": rules, "alert_history": history, "feeds_created": feeds,
                "api_keys": keys, "price_reports": reports}

    async def watch_items(self, conn, user_id: int) -> list[WatchItem]:  # noqa: ANN001
        w, p, c = watchlist_items.c, printings.c, cards.c
        rows = await conn.execute(
            select(w.id, c.canonical_id, p.finish, p.variant, w.condition, w.created_at)
            .select_from(watchlist_items.join(printings, p.id == w.printing_id).join(cards, c.id == p.card_id))
            .where(w.user_id == user_id))
        return [WatchItem(r[0], r[1], Finish(r[2]), r[3], r[4], r[5]) for r in rows]

    async def forget(self, user_id: int) -> None:
        """Deleting the person cascades to identities, link codes, watchlist, rules, their outbox rows and
        history, and price reports; feeds they created stay with the channel (its admins own them) but lose the name."""
        async with self._engine.begin() as conn:
            await conn.execute(update(channel_subscriptions).where(channel_subscriptions.c.created_by == user_id)
                               .values(created_by=None))
            await conn.execute(delete(users).where(users.c.id == user_id))
