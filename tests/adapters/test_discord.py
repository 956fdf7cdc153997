"""Discord through discord.py's real command tree, offline: real INTERACTION_CREATE payloads in, the
HTTP requests discord.py makes out (to a loopback fake API), asserted as what a user would see."""
from __future__ import annotations

import re

from datetime import datetime, timezone
from decimal import Decimal

import discord
import pytest

from adapters.commands import COMMANDS
from adapters.discord.client import DiscordNotifier, make_client
from adapters.discord.commands import bound_names
from adapters.discord.render import card_embed
from adapters.replies import CardReply, PriceLine
from bot.cli import services_of
from core.ingest import IngestUnit, Observation
from core.mapping import Match, PrintingKey
from core.models import Card, Finish, Game
from core.prices import Quote
from tests.adapters.discord_fake import APP_ID, FakeDiscord, component, interaction
from tests.conftest import sample_app, write_namesakes

EPHEMERAL = 64


@pytest.fixture
async def bot(tmp_path, monkeypatch):
    fake = FakeDiscord()
    monkeypatch.setattr(discord.http.Route, "BASE", await fake.start())
    async with sample_app(tmp_path / "discord.db") as app:
        client = make_client(services_of(app), application_id=APP_ID)
        await client.login("test-token")  # real login: GET /users/@me, application info, command sync

        async def send(payload: dict) -> list:
            client._connection.parse_interaction_create(payload)
            prefix = f"/interactions/{payload['id']}/"
            return await fake.wait_for(lambda c: c.path.startswith(prefix))

        try:
            yield {"client": client, "fake": fake, "send": send, "app": app}
        finally:
            await client.close()
            await fake.stop()


def card_option(value: str) -> list[dict]:
    return [{"name": "card", "type": 3, "value": value}]


async def test_commands_are_synced_with_manage_server_on_feeds(bot):
    [sync] = [c for c in bot["fake"].calls if c.method == "PUT" and c.path.endswith("/commands")]
    by_name = {c["name"]: c for c in sync.json}
    assert {"price", "chart", "alert", "feed", "trending", "link", "help"} <= set(by_name)
    assert int(by_name["feed"]["default_member_permissions"]) == 32  # Manage Server: hidden from others by default
    assert by_name["feed"].get("contexts") == [0] or by_name["feed"].get("dm_permission") is False  # servers only


def test_every_catalog_command_is_bound(bot):
    assert bound_names(bot["client"].tree) == set(COMMANDS)


async def test_price_answers_with_an_embed_of_prices(bot):
    [call] = await bot["send"](interaction("price", card_option("sv8 238")))
    data = call.data
    assert call.json["type"] == 4 and not (data.get("flags") or 0) & EPHEMERAL
    [embed] = data["embeds"]
    assert embed["title"] == "Pikachu ex · Surging Sparks · 238"
    field = next(f for f in embed["fields"] if f["name"] == "Holofoil · tcgcsv · raw (market)")
    assert "**289.99 USD**" in field["value"] and "low 246.49 USD" in field["value"]
    assert "sv8-238" in embed["footer"]["text"] and "as of 2026-11-20" in embed["footer"]["text"]
    assert embed["thumbnail"]["url"].endswith("/sv8/238_hires.png")


async def test_ambiguous_card_offers_a_menu_only_the_asker_can_use(bot):
    payload = interaction("price", card_option("charizard ex 151"))
    [call] = await bot["send"](payload)
    assert call.data["flags"] & EPHEMERAL
    [row] = call.data["components"]
    options = row["components"][0]["options"]
    assert [o["value"] for o in options] == ["sv3pt5-6", "sv3pt5-183", "sv3pt5-199"]
    message_id = bot["fake"].response_ids[payload["id"]]
    other = component("tcg:choose", user_id=222, values=["sv3pt5-199"], component_type=3, message_id=message_id)
    [refusal] = await bot["send"](other)
    assert refusal.data["flags"] & EPHEMERAL and "Only the person" in refusal.data["content"]
    mine = component("tcg:choose", user_id=111, values=["sv3pt5-199"], component_type=3, message_id=message_id)
    [chosen] = await bot["send"](mine)
    assert chosen.json["type"] == 7  # the menu message becomes the price card
    assert chosen.data["embeds"][0]["title"] == "Charizard ex · 151 · 199"


async def test_a_card_picked_from_the_menu_keeps_the_other_options_of_the_command(bot):
    options = card_option("charizard ex 151") + [{"name": "kind", "type": 3, "value": "below"},
                                                  {"name": "value", "type": 3, "value": "80"},
                                                  {"name": "currency", "type": 3, "value": "EUR"}]
    payload = interaction("alert", options, sub="add")
    await bot["send"](payload)
    message_id = bot["fake"].response_ids[payload["id"]]
    pick = component("tcg:choose", user_id=111, values=["sv3pt5-199"], component_type=3, message_id=message_id)
    [chosen] = await bot["send"](pick)
    assert "Alert #1 set on Charizard ex (sv3pt5-199) Holofoil, at or below 80.00 EUR." in chosen.data["content"]


async def test_one_piece_parallels_are_told_apart_in_the_menu_and_the_card(bot):
    payload = interaction("price", card_option("OP05-119"))
    [call] = await bot["send"](payload)
    options = call.data["components"][0]["components"][0]["options"]
    assert [(o["label"], o["value"]) for o in options] == [
        ("Monkey.D.Luffy · AWAKENING OF THE NEW ERA · OP05-119", "OP05-119"),
        ("Monkey.D.Luffy · AWAKENING OF THE NEW ERA · OP05-119 (parallel 1)", "OP05-119_p1"),
        ("Monkey.D.Luffy · AWAKENING OF THE NEW ERA · OP05-119 (parallel 2)", "OP05-119_p2"),
    ]
    message_id = bot["fake"].response_ids[payload["id"]]
    pick = component("tcg:choose", user_id=111, values=["OP05-119_p1"], component_type=3, message_id=message_id)
    [chosen] = await bot["send"](pick)
    assert chosen.data["embeds"][0]["title"] == "Monkey.D.Luffy · AWAKENING OF THE NEW ERA · OP05-119 (parallel 1)"


async def test_chart_defers_then_attaches_the_png_inside_the_embed(bot):
    payload = interaction("chart", card_option("sv3pt5-199") + [{"name": "period", "type": 3, "value": "1y"}])
    [deferred] = await bot["send"](payload)
    assert deferred.json["type"] == 5
    [followup] = await bot["fake"].wait_for(lambda c: c.path == f"/webhooks/{APP_ID}/{payload['token']}")
    png = followup.files["chart.png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 200_000
    assert followup.json["embeds"][0]["image"]["url"] == "attachment://chart.png"


async def test_autocomplete_names_exact_cards_and_values_canonical_ids(bot):
    payload = interaction("price", [{"name": "card", "type": 3, "value": "charizard ex 1", "focused": True}], kind=4)
    [call] = await bot["send"](payload)
    assert call.json["type"] == 8
    choices = call.json["data"]["choices"]
    assert 0 < len(choices) <= 25
    assert {"name": "Charizard ex · 151 · 199 · Special Illustration Rare", "value": "sv3pt5-199"} in choices


async def test_long_lists_paginate_for_the_asker_only(bot):
    payload = interaction("help")
    [call] = await bot["send"](payload)
    assert call.data["embeds"][0]["footer"]["text"] == "page 1/3"
    message_id = bot["fake"].response_ids[payload["id"]]
    [refused] = await bot["send"](component("tcg:page:next", user_id=999, message_id=message_id))
    assert refused.data["flags"] & EPHEMERAL
    [turned] = await bot["send"](component("tcg:page:next", user_id=111, message_id=message_id))
    assert turned.json["type"] == 7 and turned.data["embeds"][0]["footer"]["text"] == "page 2/3"


async def test_an_api_key_is_shown_only_to_the_asker_even_in_a_server(bot):
    [call] = await bot["send"](interaction("apikey", [{"name": "name", "type": 3, "value": "sheet"}], sub="create",
                                           user_id=321))
    assert call.data["flags"] & EPHEMERAL
    key = re.search(r"tk_[A-Za-z0-9_-]{43}", str(call.data)).group()
    owner = await services_of(bot["app"]).keys.authenticate(key)
    assert owner is not None and (owner[1].platform, owner[1].user_id) == ("discord", "321")


async def test_feeds_need_manage_server(bot):
    [refused] = await bot["send"](interaction("feed", [], sub="add", manage_guild=False))
    assert refused.data["flags"] & EPHEMERAL and "Manage Server" in refused.data["content"]
    [made] = await bot["send"](interaction("feed", [{"name": "min_move", "type": 10, "value": 15}], sub="add",
                                           manage_guild=True))
    assert "Feed #1 posts here" in made.data["content"]


@pytest.mark.parametrize(("name", "sub", "options", "expected"), [
    ("price", None, card_option("qqqzzzxxx"), "No card matches"),
    ("alert", "add", card_option("sv8-238") + [{"name": "kind", "type": 3, "value": "below"},
                                                 {"name": "value", "type": 3, "value": "-5"}], "more than zero"),
    ("alert", "add", card_option("sv8-238") + [{"name": "kind", "type": 3, "value": "above"},
                                                 {"name": "value", "type": 3, "value": "999999999"}], "beyond any card price"),
    ("alert", "remove", [{"name": "id", "type": 4, "value": 999}], "No alert #999 of yours"),
    ("chart", None, card_option("sv8-238") + [{"name": "period", "type": 3, "value": "fortnight"}], "Unknown period"),
])
async def test_bad_input_gets_a_private_explanation(bot, name, sub, options, expected):
    [call] = await bot["send"](interaction(name, options, sub=sub))
    assert call.data["flags"] & EPHEMERAL and expected in call.data["content"]


async def test_alert_add_offers_currencies_and_confirms_the_rule_in_words(bot):
    [sync] = [c for c in bot["fake"].calls if c.method == "PUT" and c.path.endswith("/commands")]
    [add] = [o for o in next(c for c in sync.json if c["name"] == "alert")["options"] if o["name"] == "add"]
    currency = next(o for o in add["options"] if o["name"] == "currency")
    assert not currency.get("required") and {"USD", "EUR"} <= {c["value"] for c in currency["choices"]}
    [call] = await bot["send"](interaction("alert", card_option("sv8-238") + [
        {"name": "kind", "type": 3, "value": "below"}, {"name": "value", "type": 3, "value": "250"},
        {"name": "currency", "type": 3, "value": "EUR"}], sub="add"))
    assert "Pikachu ex (sv8-238) Holofoil, at or below 250.00 EUR." in call.data["content"]
    days = next(o for o in add["options"] if o["name"] == "days")
    assert (days["type"], days.get("min_value"), days.get("max_value")) == (4, 1, 365) and not days.get("required")
    [call] = await bot["send"](interaction("alert", card_option("sv8-238") + [
        {"name": "kind", "type": 3, "value": "pct_move"}, {"name": "value", "type": 3, "value": "-15"},
        {"name": "days", "type": 4, "value": 14}], sub="add"))
    assert "Pikachu ex (sv8-238) Holofoil, down 15% within 14 days." in call.data["content"]
    [call] = await bot["send"](interaction("alert", card_option("sv3pt5-4") + [
        {"name": "kind", "type": 3, "value": "below"}, {"name": "value", "type": 3, "value": "2"},
        {"name": "finish", "type": 3, "value": "reverse_holofoil"}], sub="add"))
    assert "Charmander (sv3pt5-4) Reverse Holofoil, at or below 2.00 USD." in call.data["content"]


async def _alert_and_drop(bot, user_id: int) -> None:
    await bot["send"](interaction("alert", card_option("sv8-238") + [
        {"name": "kind", "type": 3, "value": "below"}, {"name": "value", "type": 3, "value": "250"}],
        sub="add", user_id=user_id, guild=False))
    ts = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    key = PrintingKey("sv8-238", Finish.HOLOFOIL)
    quote = Quote("tcgcsv", ts, "USD", market=Decimal("240.00"))
    await bot["app"].store.ingest(IngestUnit("tcgcsv", "drop", ts, [Observation("591238", "Holofoil", "Pikachu ex", "g",
                                                                                 Match(key, 1, "t"), quote)]))


async def test_alert_set_with_a_slash_command_arrives_as_a_dm_once(bot):
    await _alert_and_drop(bot, 555)
    deliverer = bot["app"].deliverer
    deliverer.notifiers["discord"] = DiscordNotifier(bot["client"])
    bot["fake"].rate_limit_next = 1  # a 429 on the way: discord.py waits it out, nothing is lost
    assert (await deliverer.drain()).sent == 1
    dm = bot["fake"].dm_channels["555"]
    sent = [c for c in bot["fake"].messages_to(dm)]
    assert len(sent) == 2 and sent[-1].json["embeds"][0]["title"] == "Pikachu ex is at or below 250.00 USD"
    assert "289.99 USD → **240.00 USD**" in sent[-1].json["embeds"][0]["description"]
    # a re-send of the same event carries the same nonce, which Discord enforces (drops the duplicate)
    assert {c.json["nonce"] for c in sent} == {sent[0].json["nonce"]} and sent[-1].json["enforce_nonce"] is True
    assert (await deliverer.drain()).sent == 0  # once


async def test_dms_closed_pause_the_rule(bot):
    bot["fake"].blocked_dm_users.add("556")
    await _alert_and_drop(bot, 556)
    deliverer = bot["app"].deliverer
    deliverer.notifiers["discord"] = DiscordNotifier(bot["client"])
    report = await deliverer.drain()
    assert report.failed == 1 and "50007" in report.paused[0]


async def test_price_options_narrow_to_a_finish_or_condition(bot):
    options = card_option("sv3pt5-199") + [{"name": "finish", "type": 3, "value": "holofoil"}]
    [call] = await bot["send"](interaction("price", options))
    names = [f["name"] for f in call.data["embeds"][0]["fields"]]
    assert names == ["Holofoil · tcgcsv · raw (market)", "Holofoil (jumbo) · tcgcsv · raw (market)"]
    graded = card_option("sv3pt5-199") + [{"name": "condition", "type": 3, "value": "PSA 10"}]
    [call] = await bot["send"](interaction("price", graded))
    assert "No PSA 10 prices yet; these are the prices we have." in call.data["embeds"][0]["footer"]["text"]
    assert [f["name"] for f in call.data["embeds"][0]["fields"]][:1] == ["Holofoil · tcgcsv · raw (market)"]


def test_prices_beyond_what_an_embed_holds_are_counted_not_dropped_silently():
    card = Card(Game.POKEMON, "sv3pt5-199", "sv3pt5", "199", "Charizard ex")
    grades = [f"PSA {g}" for g in range(1, 11)] + [f"BGS {g}" for g in range(1, 11)] + [f"CGC {g}" for g in range(1, 11)]
    lines = tuple(PriceLine("Holofoil", "ebay", grade, "10.00 USD", None, None, "2026-11-27T00:00:00+00:00", "1 d")
                  for grade in grades)
    embed = card_embed(CardReply(card=card, lines=lines)).to_dict()
    assert len(embed["fields"]) == 24 and embed["fields"][0]["name"] == "Holofoil · ebay · PSA 1"
    assert "6 more prices: narrow with the finish or condition option" in embed["footer"]["text"]


async def test_alert_history_takes_an_alert_number_or_none_for_all_of_yours(bot):
    [sync] = [c for c in bot["fake"].calls if c.method == "PUT" and c.path.endswith("/commands")]
    [history] = [o for o in next(c for c in sync.json if c["name"] == "alert")["options"] if o["name"] == "history"]
    assert [(o["name"], o["type"], bool(o.get("required"))) for o in history["options"]] == [("id", 4, False)]
    [everything] = await bot["send"](interaction("alert", [], sub="history"))
    [embed] = everything.data["embeds"]
    assert everything.data["flags"] & EPHEMERAL and embed["title"] == "Your alert history"
    assert "None of your alerts has fired yet." in embed["description"]
    [other] = await bot["send"](interaction("alert", [{"name": "id", "type": 4, "value": 999}], sub="history"))
    assert "No alert #999 of yours" in other.data["content"]


async def test_help_explains_one_command_when_asked(bot):
    [call] = await bot["send"](interaction("help", [{"name": "command", "type": 3, "value": "alert"}]))
    [embed] = call.data["embeds"]
    assert embed["title"] == "/alert" and "/alert add card kind" in embed["description"]


async def test_more_namesakes_than_a_menu_holds_are_counted_and_the_way_to_the_others_is_named(bot, tmp_path):
    await bot["app"].catalog.import_files(write_namesakes(tmp_path / "namesakes", "Eevee", 27), None)
    [call] = await bot["send"](interaction("price", card_option("eevee")))
    assert call.data["content"] == ("27 cards match “eevee”, here are 25. For another, add its set or number,"
                                    " e.g. “eevee ns1”. Pick one:")
    options = call.data["components"][0]["components"][0]["options"]
    assert [o["value"] for o in options] == [f"ns{i}-1" for i in range(27, 2, -1)]
    [oldest] = await bot["send"](interaction("price", card_option("eevee ns1")))
    assert oldest.data["embeds"][0]["title"] == "Eevee · Namesakes 1 · 1"
    [listing] = await bot["send"](interaction("search", [{"name": "query", "type": 3, "value": "eevee"}]))
    page = listing.data["embeds"][0]
    assert page["title"] == "27 cards match “eevee”; the first 25 (add a set or number for the others)"
    assert page["footer"]["text"] == "page 1/3"


async def test_what_people_type_is_echoed_but_never_pings_anyone(bot):
    [call] = await bot["send"](interaction("price", card_option("@everyone")))
    assert "“@everyone”" in call.data["content"]
    assert call.data["allowed_mentions"]["parse"] == []  # no @everyone/@here, role or user pings


async def test_a_price_report_through_the_command_tree_reaches_the_operators_privately(bot):
    """/report card:sv3pt5-199 note:...: a private thanks, and the report listed with the card's products."""
    [call] = await bot["send"](interaction("report", card_option("sv3pt5-199") + [
        {"name": "note", "type": 3, "value": "the price is the jumbo's"}], user_id=77))
    assert call.data["flags"] & EPHEMERAL
    assert "Thanks: report #1 on Charizard ex (sv3pt5-199) is with the operators" in call.data["content"]
    [again] = await bot["send"](interaction("report", card_option("sv3pt5-199"), user_id=77))
    assert "You reported Charizard ex (sv3pt5-199) already (report #1, still open)." in again.data["content"]
    [found] = await services_of(bot["app"]).reports.reports()
    assert (found.platform, found.note) == ("discord", "the price is the jumbo's")
    assert "Charizard ex - 199/165 (Jumbo Card)" in {m.product_name for m in found.mapped}
