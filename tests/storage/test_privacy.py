"""Export and forget (SQLite and PostgreSQL): after /forget no row references the person."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from core.alert_service import Caller, FeedSpec
from core.models import Finish
from storage.accounts_repo import SqlPrivacy
from storage.tables import (
    alert_rules,
    channel_subscriptions,
    link_codes,
    notification_log,
    outbox,
    user_identities,
    users,
    watchlist_items,
)
from tests.storage.test_alert_service import ALICE, ALICE_TG, BOB, env, price_unit  # noqa: F401 - fixture

ADMIN_ALICE = Caller("discord", "111", "alice", channel_id="c-9", guild_id="g", is_channel_admin=True)


async def _count(engine, table, column, value) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table).where(column == value))).scalar_one()


async def test_export_then_forget_leaves_nothing_behind(env):  # noqa: F811
    service, index, store, engine = env["service"], env["index"], env["store"], env["engine"]
    service._privacy = SqlPrivacy(engine)
    await service.watch(ALICE, index.get("sv8-238"), Finish.HOLOFOIL)
    rule = await service.add_rule(ALICE, index.get("sv8-238"), "below", finish=Finish.HOLOFOIL, threshold="300")
    code = await service.start_link(ALICE)
    await service.finish_link(ALICE_TG, code)
    await service.start_link(ALICE)  # an unused code too
    feed = await service.add_feed(ADMIN_ALICE, FeedSpec("discord", "c-9", "g"))
    await service.watch(BOB, index.get("sv8-238"), Finish.HOLOFOIL)
    await store.ingest(price_unit("sv8-238", 28999, 26))  # the rule fires: outbox row for it
    user_id = await service.user(ALICE)
    assert await _count(engine, outbox, outbox.c.rule_id, rule) == 1

    exported = json.loads(await service.export(ALICE))
    assert {i["platform"] for i in exported["identities"]} == {"discord", "telegram"}
    assert [w["card_id"] for w in exported["watchlist"]] == ["sv8-238"]
    assert [r["id"] for r in exported["alert_rules"]] == [rule]
    assert [f["id"] for f in exported["feeds_created"]] == [feed]

    await service.forget(ALICE)
    references = {
        "users": await _count(engine, users, users.c.id, user_id),
        "user_identities": await _count(engine, user_identities, user_identities.c.user_id, user_id),
        "link_codes": await _count(engine, link_codes, link_codes.c.user_id, user_id),
        "watchlist_items": await _count(engine, watchlist_items, watchlist_items.c.user_id, user_id),
        "alert_rules": await _count(engine, alert_rules, alert_rules.c.user_id, user_id),
        "channel_subscriptions.created_by": await _count(engine, channel_subscriptions,
                                                         channel_subscriptions.c.created_by, user_id),
        "outbox (their rule)": await _count(engine, outbox, outbox.c.rule_id, rule),
        "notification_log (their rule)": await _count(engine, notification_log, notification_log.c.rule_id, rule),
    }
    assert references == dict.fromkeys(references, 0)
    assert await _count(engine, channel_subscriptions, channel_subscriptions.c.id, feed) == 1  # the channel keeps it
    assert len(await service.watchlist(BOB)) == 1  # nobody else is touched
    assert await service.rules(ALICE) == []  # coming back later starts from scratch
