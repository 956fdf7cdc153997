"""People, linking, watchlists, rule ownership and feeds (SQLite and PostgreSQL)."""
from __future__ import annotations

import json

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.alert_service import Caller, PermissionDenied
from core.alerts import AlertMessage, RuleError
from core.ingest import IngestUnit, Observation
from core.mapping import Match, PrintingKey
from core.models import Finish
from core.prices import Quote
from storage.accounts_repo import LinkError, NotYours
from core.alert_service import FeedSpec
from storage.rules_repo import LimitReached, SqlRules
from storage.tables import outbox
from tests.conftest import alert_world

ALICE = Caller("discord", "111", "alice")
BOB = Caller("discord", "222", "bob")
ALICE_TG = Caller("telegram", "9001", "alice")
ADMIN = Caller("discord", "111", "alice", channel_id="c-1", guild_id="g-1", is_channel_admin=True)
MEMBER = Caller("discord", "222", "bob", channel_id="c-1", guild_id="g-1", is_channel_admin=False)


@pytest.fixture
async def env(engine):
    return await alert_world(engine)


def price_unit(card_id, cents, day, finish=Finish.HOLOFOIL):
    ts = datetime(2026, 11, day, tzinfo=timezone.utc)
    quote = Quote("tcgcsv", ts, "USD", market=Decimal(cents) / 100)
    obs = Observation(card_id, finish.label, card_id, "g", Match(PrintingKey(card_id, finish), 1, "t"), quote)
    return IngestUnit("tcgcsv", f"u:{card_id}:{finish.value}", ts, [obs])


def drops_unit(cents_by_card, day):
    """Several cards in one snapshot unit (one group of a collection)."""
    ts = datetime(2026, 11, day, tzinfo=timezone.utc)
    observations = [Observation(card, "Holofoil", card, "g", Match(PrintingKey(card, Finish.HOLOFOIL), 1, "t"),
                                Quote("tcgcsv", ts, "USD", market=Decimal(cents) / 100))
                    for card, cents in cents_by_card.items()]
    return IngestUnit("tcgcsv", "group", ts, observations)


async def test_rules_are_private(env):
    service, card = env["service"], env["index"].get("sv3pt5-199")
    rule = await service.add_rule(ALICE, card, "below", threshold="90")
    assert [r.id for r in await service.rules(ALICE)] == [rule]
    assert await service.rules(BOB) == []
    for action in (service.remove_rule(BOB, rule), service.pause_rule(BOB, rule), service.rule_history(BOB, rule)):
        with pytest.raises(NotYours, match=f"No alert #{rule} of yours"):
            await action
    assert [r.active for r in await service.rules(ALICE)] == [True]  # nothing changed
    await service.pause_rule(ALICE, rule)
    assert (await service.rules(ALICE))[0].paused_reason == "paused by you"
    await service.remove_rule(ALICE, rule)
    assert await service.rules(ALICE) == []


async def test_bad_rule_input_changes_nothing(env):
    service, card = env["service"], env["index"].get("sv3pt5-199")
    for bad in ({"threshold": "-5"}, {"threshold": "free"}, {"threshold": "1e9"}):
        with pytest.raises(RuleError):
            await service.add_rule(ALICE, card, "below", **bad)
    assert await service.rules(ALICE) == []


async def test_per_user_limit(env):
    service, card = env["service"], env["index"].get("sv3pt5-199")
    service.settings = type(service.settings)(max_rules_per_user=2)
    await service.add_rule(ALICE, card, "below", threshold="90")
    await service.add_rule(ALICE, card, "above", threshold="150")
    with pytest.raises(LimitReached, match="limit is 2"):
        await service.add_rule(ALICE, card, "below", threshold="80")


async def test_a_rule_on_a_misspelt_source_is_refused_not_silent_forever(env):
    service, card = env["service"], env["index"].get("sv3pt5-199")
    with pytest.raises(LookupError, match="Unknown source “tcgcvs”. Known sources: cardmarket, ebay"):
        await service.add_rule(ALICE, card, "below", threshold="90", source="tcgcvs")
    assert await service.rules(ALICE) == []
    rule = await service.add_rule(ALICE, card, "below", threshold="90", source="ebay")  # known, not collected yet
    assert [(r.id, r.source) for r in await service.rules(ALICE)] == [(rule, "ebay")]


async def test_rows_made_in_a_rolled_back_transaction_leave_no_stale_ids(env):
    """A refused request rolls back the printing and source rows it made; the next one must not trip over them."""
    service, store, engine, card = env["service"], env["store"], env["engine"], env["index"].get("sv8-238")
    key = PrintingKey(card.canonical_id, Finish.REVERSE_HOLOFOIL)
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            await store.ensure_printings(conn, [key])
            await store.source_id("ebay", conn)
            raise RuntimeError("refused after the rows were made")
    rule = await service.add_rule(ALICE, card, "below", threshold="90", finish=Finish.REVERSE_HOLOFOIL, source="ebay")
    assert [(r.id, r.finish, r.source) for r in await service.rules(ALICE)] == [(rule, Finish.REVERSE_HOLOFOIL, "ebay")]


async def test_linking_merges_watchlists_once(env):
    service, index = env["service"], env["index"]
    await service.watch(ALICE, index.get("sv3pt5-199"), Finish.HOLOFOIL)
    await service.watch(ALICE_TG, index.get("sv8-238"), Finish.HOLOFOIL)
    await service.watch(ALICE_TG, index.get("sv3pt5-199"), Finish.HOLOFOIL)  # on both: kept once
    code = await service.start_link(ALICE)
    assert len(code) == 8
    with pytest.raises(LinkError, match="other platform"):
        await service.finish_link(ALICE, code)
    user = await service.finish_link(ALICE_TG, code)
    assert await service.user(ALICE) == await service.user(ALICE_TG) == user
    assert sorted(w.card_id for w in await service.watchlist(ALICE)) == ["sv3pt5-199", "sv8-238"]
    with pytest.raises(LinkError, match="unknown, used or expired"):
        await service.finish_link(Caller("telegram", "777"), code)


async def test_link_codes_expire(env):
    service = env["service"]
    code = await service.start_link(BOB)
    from sqlalchemy import update

    from storage.tables import link_codes
    async with env["engine"].begin() as conn:  # age the code past its lifetime
        await conn.execute(update(link_codes).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    with pytest.raises(LinkError, match="expired"):
        await service.finish_link(Caller("telegram", "5"), code)


async def test_watchlist_shows_current_price(env):
    service, store = env["service"], env["store"]
    await store.ingest(price_unit("sv8-238", 28999, 26))
    await service.watch(ALICE, env["index"].get("sv8-238"))  # default finish: the priced plain printing
    [line] = await service.watchlist(ALICE)
    assert (line.card_id, line.finish, [p.market_cents for p in line.prices]) == ("sv8-238", Finish.HOLOFOIL, [28999])
    with pytest.raises(NotYours):
        await service.unwatch(BOB, line.item_id)
    await service.unwatch(ALICE, line.item_id)
    assert await service.watchlist(ALICE) == []


async def test_watches_and_rules_made_before_any_price_take_the_finish_the_card_is_printed_in(env):
    """A new set: people watch and set alerts before the first prices arrive. On "Normal" (the old default)
    a rule on a holo card waited for prices that never came; it now fires with the first Holofoil price."""
    service, store, index = env["service"], env["store"], env["index"]
    for card_id in ("sv8-238", "sv3pt5-4", "OP05-119_p1", "ST05-002"):
        await service.watch(ALICE, index.get(card_id))
    finishes = {line.card_id: line.finish for line in await service.watchlist(ALICE)}
    assert finishes == {"sv8-238": Finish.HOLOFOIL, "sv3pt5-4": Finish.NORMAL,  # an SIR; a Common
                        "OP05-119_p1": Finish.FOIL, "ST05-002": Finish.NORMAL}  # a parallel; a One Piece C
    rule = await service.add_rule(ALICE, index.get("sv8-238"), "below", threshold="300")
    assert (await service.rules(ALICE))[0].finish is Finish.HOLOFOIL
    await store.ingest(price_unit("sv8-238", 28999, 27))  # tcgcsv's first price: Holofoil
    async with env["engine"].connect() as conn:
        fired = (await conn.execute(select(outbox.c.rule_id))).scalars().all()
    assert fired == [rule]


async def test_a_guessed_printing_follows_the_first_prices_when_they_come_in_another_finish(env):
    """The rarity's guess is wrong for a few percent of cards (a Common sold only as a holofoil promo): the
    watch and the alert made before any price move to the printing the first prices come in, and the alert
    fires on them. A finish the person chose is never moved, and a right guess stays put for good."""
    service, store, index, engine = env["service"], env["store"], env["index"], env["engine"]
    common, sir = index.get("sv3pt5-4"), index.get("sv8-238")
    await service.watch(ALICE, common)  # guessed: Normal
    await service.watch(ALICE, common, Finish.HOLOFOIL)  # chosen, beside the guess: one watch must remain
    await service.watch(BOB, common, Finish.NORMAL)  # chosen: stays Normal
    await service.watch(BOB, common)  # guessed: Normal, which Bob also watches by choice: stays one watch
    await service.watch(BOB, sir)  # guessed: Holofoil, right
    carol = Caller("telegram", "333", "carol")
    await service.watch(carol, common)  # guessed: Normal ...
    assert not await service.watch(carol, common, Finish.NORMAL)  # ... then chosen: already there, no longer a guess
    moved = await service.add_rule(ALICE, common, "below", threshold="300")
    kept = await service.add_rule(BOB, common, "below", finish=Finish.NORMAL, threshold="300")

    await store.ingest(price_unit("sv3pt5-4", 250, 26))  # the first price: Holofoil
    assert sorted((l.card_id, l.finish) for l in await service.watchlist(ALICE)) == [("sv3pt5-4", Finish.HOLOFOIL)]
    assert sorted((r.id, r.finish) for r in await service.rules(ALICE)) == [(moved, Finish.HOLOFOIL)]
    assert sorted((r.id, r.finish) for r in await service.rules(BOB)) == [(kept, Finish.NORMAL)]
    assert [l.finish for l in await service.watchlist(carol)] == [Finish.NORMAL]
    async with engine.connect() as conn:
        assert (await conn.execute(select(outbox.c.rule_id))).scalars().all() == [moved]  # on the first price

    await store.ingest(price_unit("sv8-238", 28999, 26))
    await store.ingest(price_unit("sv8-238", 100, 27, Finish.NORMAL))  # later, a newer Normal price: the right guess stays
    assert sorted((l.card_id, l.finish) for l in await service.watchlist(BOB)) == [
        ("sv3pt5-4", Finish.NORMAL), ("sv8-238", Finish.HOLOFOIL)]


async def test_a_guessed_printing_waits_while_only_a_variant_is_priced(env):
    """A jumbo or a staff stamp priced first says nothing about the plain card's finish: the guess stays a
    guess until a plain printing has a price."""
    service, store, index = env["service"], env["store"], env["index"]
    await service.watch(ALICE, index.get("sv3pt5-4"))  # guessed: Normal
    ts = datetime(2026, 11, 26, tzinfo=timezone.utc)
    jumbo = Observation("j", "Holofoil", "Charmander (Jumbo)", "g",
                        Match(PrintingKey("sv3pt5-4", Finish.HOLOFOIL, "jumbo"), 1, "t"),
                        Quote("tcgcsv", ts, "USD", market=Decimal(5)))
    await store.ingest(IngestUnit("tcgcsv", "jumbo", ts, [jumbo]))
    assert [l.finish for l in await service.watchlist(ALICE)] == [Finish.NORMAL]
    await store.ingest(price_unit("sv3pt5-4", 250, 27))  # then the plain card, in Holofoil
    assert [l.finish for l in await service.watchlist(ALICE)] == [Finish.HOLOFOIL]


async def test_a_backfill_settles_a_guess_without_alerting_anyone(env):
    """Old dumps (import-prices) fire no alerts, but their TCGplayer sub-types still say which finish a card
    sells in: the guess moves, and the moved alert waits for a live price."""
    service, store, index = env["service"], env["store"], env["index"]
    rule = await service.add_rule(ALICE, index.get("sv3pt5-4"), "below", threshold="300")  # guessed: Normal
    counts = await store.ingest(price_unit("sv3pt5-4", 250, 2))  # 25 days before the clock: a backfill
    assert counts.alerts_fired == 0
    assert [(r.id, r.finish) for r in await service.rules(ALICE)] == [(rule, Finish.HOLOFOIL)]
    async with env["engine"].connect() as conn:
        assert (await conn.execute(select(outbox.c.id))).all() == []


async def test_a_cardmarket_price_does_not_settle_a_guess_tcgplayer_s_finish_does(env):
    """Cardmarket has one figure per card, filed under the finish we infer: a common's first Cardmarket price
    lands on Normal, our own guess, which would then look confirmed. Only a TCGplayer-family price settles it."""
    service, store, index = env["service"], env["store"], env["index"]
    common = index.get("sv3pt5-4")
    await service.watch(ALICE, common)  # guessed: Normal
    ts = datetime(2026, 11, 26, tzinfo=timezone.utc)
    cardmarket = Observation("sv3pt5-4", "main", "Charmander", "sv3pt5",
                             Match(PrintingKey("sv3pt5-4", Finish.NORMAL), 1, "pokemontcg-id"),
                             Quote("cardmarket", ts, "EUR", market=Decimal("0.20")))
    await store.ingest(IngestUnit("cardmarket", "set:sv3pt5", ts, [cardmarket]))
    assert (await service.choose_printing(common, None)).guessed  # still a guess for a new watch, too
    await store.ingest(price_unit("sv3pt5-4", 250, 27))  # TCGplayer's first price: Holofoil
    assert [l.finish for l in await service.watchlist(ALICE)] == [Finish.HOLOFOIL]
    assert not (await service.choose_printing(common, None)).guessed


async def test_only_channel_admins_configure_feeds(env):
    service = env["service"]
    spec = FeedSpec("discord", "c-1", "g-1", game="pokemon", min_move_bp=1000)
    with pytest.raises(PermissionDenied, match="Manage Server"):
        await service.add_feed(MEMBER, spec)
    with pytest.raises(PermissionDenied, match="server channel"):
        await service.add_feed(ALICE, spec)
    feed = await service.add_feed(ADMIN, spec)
    assert [f.id for f in await service.feeds(MEMBER)] == [feed]  # members may look
    with pytest.raises(PermissionDenied):
        await service.remove_feed(MEMBER, feed)
    await service.remove_feed(ADMIN, feed)
    assert await service.feeds(ADMIN) == []


async def test_feed_posts_drops_within_its_hourly_cap(env):
    service, store = env["service"], env["store"]
    await service.add_feed(ADMIN, FeedSpec("discord", "c-1", "g-1", game="pokemon", min_move_bp=1000, hourly_cap=1))
    cards = {"sv3pt5-199": 10000, "sv8-238": 10000, "sv8-247": 10000}
    await store.ingest(drops_unit(cards, 25))
    env["clock"].now = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)
    # sv3pt5-199 -5% (below the feed's 10%), sv8-238 -30%, sv8-247 -20%: the cap lets the biggest through
    counts = await store.ingest(drops_unit({"sv3pt5-199": 9500, "sv8-238": 7000, "sv8-247": 8000}, 26))
    assert counts.feed_events == 1
    async with env["engine"].connect() as conn:
        rows = (await conn.execute(select(outbox.c.target_id, outbox.c.payload))).all()
    payload = rows[0].payload if isinstance(rows[0].payload, dict) else json.loads(rows[0].payload)
    assert [r.target_id for r in rows] == ["c-1"]
    assert (payload["card_id"], payload["old_price"], payload["new_price"], payload["percent"]) == (
        "sv8-238", "100.00 USD", "70.00 USD", "-30.00%")


async def test_alerts_on_a_one_piece_parallel_say_which_print_moved(env):
    """A collector holding the parallel must not read an alert as being about the base print, or vice versa."""
    service, store = env["service"], env["store"]
    await service.add_feed(ADMIN, FeedSpec("discord", "c-1", "g-1", game="onepiece", min_move_bp=1000, hourly_cap=5))
    rule = await service.add_rule(ALICE, env["index"].get("OP05-119_p1"), "below", finish=Finish.HOLOFOIL,
                                  threshold="90")
    await store.ingest(drops_unit({"OP05-119": 2000, "OP05-119_p1": 10000}, 25))
    env["clock"].now = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)
    await store.ingest(drops_unit({"OP05-119": 2000, "OP05-119_p1": 8000}, 26))
    async with env["engine"].connect() as conn:
        rows = (await conn.execute(select(outbox.c.rule_id, outbox.c.payload).order_by(outbox.c.id))).all()
    payloads = [(r.rule_id, r.payload if isinstance(r.payload, dict) else json.loads(r.payload)) for r in rows]
    # the rule's message and the feed's post, both about the parallel; the flat base print is in neither
    assert sorted((rule_id or 0, p["kind"], p["card_id"], p["number"]) for rule_id, p in payloads) == [
        (0, "feed", "OP05-119_p1", "OP05-119 (parallel 1)"), (rule, "rule", "OP05-119_p1", "OP05-119 (parallel 1)")]
    message = next(AlertMessage.from_json(p) for rule_id, p in payloads if rule_id == rule)
    assert "Monkey.D.Luffy · AWAKENING OF THE NEW ERA · OP05-119 (parallel 1) [Holofoil" in message.plain_text()


async def test_daily_digest_goes_to_digest_feeds_once_a_day(env):
    from bot.scheduler import digest_job
    from core.history_service import HistoryService
    from storage.history_repo import SqlHistoryQueries

    service, store = env["service"], env["store"]
    await service.add_feed(ADMIN, FeedSpec("discord", "c-1", "g-1", game="pokemon", digest=True))
    await service.add_feed(ADMIN, FeedSpec("discord", "c-2", "g-1", game="pokemon", digest=False))
    now = datetime.now(timezone.utc)
    for hours, cents in ((30, 10000), (1, 13000)):  # +30 % within the last day
        ts = (now - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
        quote = Quote("tcgcsv", ts, "USD", market=Decimal(cents) / 100)
        obs = Observation("x", "Holofoil", "x", "g", Match(PrintingKey("sv8-238", Finish.HOLOFOIL), 1, "t"), quote)
        env["clock"].now = ts
        await store.ingest(IngestUnit("tcgcsv", "u", ts, [obs]))
    history = HistoryService(SqlHistoryQueries(env["engine"]))
    assert await digest_job(env["engine"], history) == 1
    assert await digest_job(env["engine"], history) == 1  # queued again: the day's dedup key keeps one row
    async with env["engine"].connect() as conn:
        rows = (await conn.execute(select(outbox.c.target_id, outbox.c.payload).where(
            outbox.c.dedup_key.like("digest:%")))).all()
    assert [r.target_id for r in rows] == ["c-1"]
    payload = rows[0].payload if isinstance(rows[0].payload, dict) else json.loads(rows[0].payload)
    assert payload["extra"]["lines"] == ["▲ Pikachu ex · 238 (sv8-238) · Holofoil: 100.00 USD → 130.00 USD (+30.00%)"]


async def test_watchlist_lines_carry_change_and_age(env):
    service, store = env["service"], env["store"]
    await store.ingest(price_unit("sv8-238", 20000, 25))
    await store.ingest(price_unit("sv8-238", 25000, 26))
    await service.watch(ALICE, env["index"].get("sv8-238"), Finish.HOLOFOIL)
    [line] = await service.watchlist(ALICE)
    [quote] = line.prices
    assert quote.market_cents == 25000 and quote.prev_cents == 20000 and round(quote.change_percent, 2) == 25.0


async def test_alert_history_without_an_id_lists_every_alert_of_the_caller_and_nobody_else_s(env):
    from core.delivery import Deliverer, DeliveryPolicy
    from storage.outbox_repo import SqlOutbox
    from tests.fakes import FakeNotifier

    service, store, index = env["service"], env["store"], env["index"]
    await store.ingest(drops_unit({"sv3pt5-199": 10000, "sv8-238": 10000}, 25))
    charizard = await service.add_rule(ALICE, index.get("sv3pt5-199"), "below", threshold="90")
    pikachu = await service.add_rule(ALICE, index.get("sv8-238"), "below", threshold="90")
    bobs = await service.add_rule(BOB, index.get("sv8-238"), "below", threshold="95")
    env["clock"].now = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)
    await store.ingest(drops_unit({"sv3pt5-199": 8500, "sv8-238": 8000}, 26))  # all three fire
    policy = DeliveryPolicy(batch=50, lease=timedelta(minutes=2), max_attempts=3, backoff_base=timedelta(seconds=30))
    rules = SqlRules(env["engine"], store)
    sent = await Deliverer(SqlOutbox(env["engine"]), rules, {"discord": FakeNotifier()}, policy, env["clock"]).drain()
    assert sent.sent == 3
    mine = await service.rule_history(ALICE, None)
    assert sorted(h.rule_id for h in mine) == sorted([charizard, pikachu]) and {h.status for h in mine} == {"sent"}
    assert [h.rule_id for h in await service.rule_history(BOB, None)] == [bobs]
    assert [h.rule_id for h in await service.rule_history(ALICE, pikachu)] == [pikachu]
