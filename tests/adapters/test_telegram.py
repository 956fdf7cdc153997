"""Telegram through python-telegram-bot's real Application, offline: updates in via getUpdates (and one
via the webhook), Bot API calls out to a fake, asserted as what the user sees."""
from __future__ import annotations

import socket
from datetime import datetime, timezone
from decimal import Decimal

import httpx
import pytest

from adapters.commands import COMMANDS
from adapters.telegram.bot import bound_names, build_application, start_telegram, stop_telegram
from adapters.telegram.render import button_label
from adapters.telegram.notify import TelegramNotifier
from bot.cli import services_of
from core.ingest import IngestUnit, Observation
from core.mapping import Match, PrintingKey
from core.models import Card, Finish, Game
from core.prices import Quote
from tests.adapters.telegram_fake import TOKEN, BotAPI, FakeRequest, HttpBotAPI, callback, command, inline
from tests.conftest import sample_app, write_namesakes


@pytest.fixture
async def core_app(tmp_path):
    async with sample_app(tmp_path / "tg.db") as app:
        yield app


@pytest.fixture
async def tg(core_app):
    api = BotAPI()
    application = build_application(services_of(core_app), TOKEN, request=FakeRequest(api))
    await start_telegram(application)
    try:
        yield {"api": api, "application": application, "app": core_app}
    finally:
        await stop_telegram(application)


async def say(tg, update: dict, method: str = "sendMessage") -> str:
    before = len(tg["api"].sent(method))
    tg["api"].push(update)
    calls = await tg["api"].wait_for(method, before + 1)
    return calls[-1]


async def test_menu_is_set_and_every_catalog_command_is_bound(tg):
    [menu] = tg["api"].sent("setMyCommands")
    names = {c["command"] for c in menu.params["commands"]}
    assert {"start", "price", "card", "chart", "alert", "feed", "watchlist", "link", "help"} <= names
    assert bound_names(tg["application"]) == set(COMMANDS)


async def test_price_replies_in_html_with_currency_and_age(tg):
    call = await say(tg, command("/price sv8 238"))
    text = call.params["text"]
    assert call.params["parse_mode"] == "HTML"
    assert "<b>Pikachu ex</b> · Surging Sparks · 238" in text and "<b>289.99 USD</b>" in text
    assert "2026-11-20" in text and "<code>sv8-238</code>" in text


async def test_missing_argument_is_asked_for_then_answered(tg):
    question = await say(tg, command("/price"))
    assert "Which card?" in question.params["text"] and question.params["reply_markup"]["force_reply"]
    answer = await say(tg, command("pikachu 238/191", reply_to={"message_id": 5, "date": 1, "chat": {"id": 42, "type": "private"}}))
    assert "Pikachu ex" in answer.params["text"]


async def test_ambiguous_card_gets_a_signed_keyboard_only_the_asker_can_use(tg):
    call = await say(tg, command("/price charizard ex 151"))
    assert call.params["text"] == "Several cards match “charizard ex 151”. Which one?"
    guess = await say(tg, command("/price latias"))
    assert guess.params["text"] == "Did you mean this card for “latias”?"  # one weak match: a question
    assert len(guess.params["reply_markup"]["inline_keyboard"]) == 1
    buttons = [row[0] for row in call.params["reply_markup"]["inline_keyboard"]]
    assert [b["callback_data"].split("|")[3] for b in buttons] == ["sv3pt5-6", "sv3pt5-183", "sv3pt5-199"]
    chosen = buttons[2]["callback_data"]
    refused = await say(tg, callback(chosen, uid=99), "answerCallbackQuery")
    assert "Only the person" in refused.params["text"]
    forged = chosen.replace("sv3pt5-199", "sv3pt5-6")
    rejected = await say(tg, callback(forged), "answerCallbackQuery")
    assert "not valid" in rejected.params["text"]
    edited = await say(tg, callback(chosen), "editMessageText")
    assert "<b>Charizard ex</b> · 151 · 199" in edited.params["text"]


async def test_a_card_button_keeps_the_other_options_and_a_typed_grade(tg):
    alert = await say(tg, command("/alert add charizard ex 151 below 80 EUR"))
    watch = await say(tg, command("/watch charizard ex 151 psa 10"))
    for call, expected in ((watch, "Now watching Charizard ex (sv3pt5-199) Holofoil · PSA 10."),  # the older message too
                           (alert, "Alert #1 set on Charizard ex (sv3pt5-199) Holofoil, at or below 80.00 EUR.")):
        buttons = [row[0] for row in call.params["reply_markup"]["inline_keyboard"]]
        edited = await say(tg, callback(buttons[2]["callback_data"], message_id=call.message_id), "editMessageText")
        assert expected in edited.params["text"]


async def test_one_piece_parallels_get_buttons_a_collector_can_tell_apart(tg):
    call = await say(tg, command("/price OP05-119"))
    buttons = [row[0] for row in call.params["reply_markup"]["inline_keyboard"]]
    assert [b["text"] for b in buttons] == ["Monkey.D.Luffy · OP05 · OP05-119", "Monkey.D.Luffy · OP05 · OP05-119 (parallel 1)",
                                            "Monkey.D.Luffy · OP05 · OP05-119 (parallel 2)"]
    edited = await say(tg, callback(buttons[2]["callback_data"]), "editMessageText")
    assert "<b>Monkey.D.Luffy</b> · AWAKENING OF THE NEW ERA · OP05-119 (parallel 2)" in edited.params["text"]


async def test_unwatch_by_card_offers_only_watched_cards_and_a_button_removes_one(tg):
    for card in ("sv3pt5 199", "sv3pt5 183", "sv8 238"):
        await say(tg, command(f"/watch {card}"))
    call = await say(tg, command("/unwatch charizard ex 151"))  # three Charizard ex match; two are watched
    buttons = [row[0] for row in call.params["reply_markup"]["inline_keyboard"]]
    assert [b["callback_data"].split("|")[3] for b in buttons] == ["sv3pt5-183", "sv3pt5-199"]
    edited = await say(tg, callback(buttons[1]["callback_data"]), "editMessageText")
    assert "Charizard ex (sv3pt5-199) from your watchlist" in edited.params["text"]
    listed = (await say(tg, command("/watchlist"))).params["text"]
    assert "sv3pt5-183" in listed and "sv8-238" in listed and "sv3pt5-199" not in listed


def test_a_long_name_gives_way_on_a_button_so_the_parallel_still_shows():
    card = Card(Game.ONE_PIECE, "OP09-118_p2", "OP09", "OP09-118", "Gol.D.Roger and the Roger Pirates at Laugh Tale", variant="p2")
    label = button_label(card)
    assert len(label) <= 60 and label.endswith(" · OP09 · OP09-118 (parallel 2)") and label.startswith("Gol.D.Roger")


async def test_chart_is_sent_as_a_photo_with_the_png(tg):
    call = await say(tg, command("/chart sv3pt5 199 1y"), "sendPhoto")
    png = next(iter(call.files.values()))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 200_000
    assert "sv3pt5-199" in call.params["caption"]


async def test_inline_mode_lists_cards_with_thumbnails_and_prices(tg):
    call = await say(tg, inline("pikachu ex surging"), "answerInlineQuery")
    results = call.params["results"]
    assert results and results[0]["thumbnail_url"].startswith("https://images.pokemontcg.io/sv8/")
    assert any("289.99 USD" in r["input_message_content"]["message_text"] for r in results)


async def test_an_alert_typed_in_words(tg):
    reply = await say(tg, command("/alert add sv8 238 drops 20% in 3 days"))
    assert "Pikachu ex (sv8-238) Holofoil, down 20% within 3 days." in reply.params["text"]


async def test_alert_list_buttons_pause_only_your_own(tg):
    await say(tg, command("/alert add sv8 238 below 250"))
    listing = await say(tg, command("/alert list"))
    [pause, remove] = listing.params["reply_markup"]["inline_keyboard"][0]
    assert pause["text"] == "Pause #1"
    stranger = await say(tg, callback(pause["callback_data"], uid=7), "answerCallbackQuery")
    assert "Only the person" in stranger.params["text"]
    done = await say(tg, callback(pause["callback_data"]), "answerCallbackQuery")
    assert done.params["text"] == "Alert #1 paused."


async def test_feeds_need_chat_admins(tg):
    tg["api"].admins.add(1)
    refused = await say(tg, command("/feed add pokemon 15", uid=2, group=True))
    assert "Only chat administrators" in refused.params["text"]
    zero = await say(tg, command("/feed add pokemon 0", uid=1, group=True))
    assert "The move is a percent above 0 and at most 100, e.g. 10 (not “0”)." in zero.params["text"]
    made = await say(tg, command("/feed add pokemon 15", uid=1, group=True))
    assert "Feed #1 posts here" in made.params["text"]  # the refused one made nothing: this is #1
    assert [c.params["user_id"] for c in tg["api"].sent("getChatMember")] == [2, 1, 1]
    listed = await say(tg, command("/feed list", uid=2, group=True))  # anyone may read the list
    assert "#1 Pokémon · moves of 15% or more down · at most 10 posts an hour" in listed.params["text"]


async def test_api_keys_are_only_handed_out_in_a_private_chat(tg):
    refused = await say(tg, command("/apikey create sheet", uid=5, group=True))
    assert "private chat" in refused.params["text"] and "tk_" not in refused.params["text"]
    made = await say(tg, command("/apikey create sheet", uid=5))
    key = made.params["text"].split(": ", 1)[1].split()[0]
    assert key.startswith("tk_") and "only this once" in made.params["text"]
    listed = await say(tg, command("/apikey", uid=5))  # the bare group command lists
    assert "sheet" in listed.params["text"] and key not in listed.params["text"]
    services = services_of(tg["app"])
    _, caller = await services.keys.authenticate(key)
    assert (caller.platform, caller.user_id) == ("telegram", "5")  # the key acts as this Telegram user


@pytest.mark.parametrize(("text", "expected"), [
    ("/price <b>x</b><script>", "⚠️ No card matches “&lt;b&gt;x&lt;/b&gt;&lt;script&gt;”"),
    ("/alert add sv8 238 below -5", "more than zero"),
    ("/alert remove 999", "No alert #999 of yours"),
    ("/teleport now", "Unknown command"),
    ("/prices sv8 238", "Unknown command /prices. Did you mean /price?"),
    ("/alert mute 3", "Unknown command /alert mute. /alert takes add, history, list or remove."),
    ("/chart sv8 238 1y <b>", "but /chart does not take “&lt;b&gt;”. Type /chart card [period]"),
    ("/report sv8 238 — priced as <b>the jumbo</b>", "Thanks: report #1 on Pikachu ex (sv8-238) is with the operators"),
    ("/price " + "x" * 5000, "too long"),
])
async def test_hostile_or_bad_input_is_answered_safely(tg, text, expected):
    call = await say(tg, command(text))
    assert expected in call.params["text"] and len(call.params["text"]) <= 4096


async def test_unknown_commands_meant_for_another_bot_are_left_alone(tg):
    """Groups hold several bots: "/stats@other_bot" is not ours to call unknown, while ours is answered."""
    before = len(tg["api"].sent("sendMessage"))
    tg["api"].push(command("/stats@other_bot", group=True))
    await say(tg, command("/stats@tcgtracker_bot", group=True))
    await say(tg, command("/sets", group=True))
    texts = [c.params["text"] for c in tg["api"].sent("sendMessage")[before:]]
    assert len(texts) == 2 and "Unknown command /stats. Did you mean /card?" in texts[0] and "Sets" in texts[1]


async def _rule_and_drop(tg, uid: int) -> None:
    await say(tg, command("/alert add sv8 238 below 250", uid=uid))
    ts = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    quote = Quote("tcgcsv", ts, "USD", market=Decimal("240.00"))
    key = PrintingKey("sv8-238", Finish.HOLOFOIL)
    await tg["app"].store.ingest(IngestUnit("tcgcsv", "drop", ts, [Observation("591238", "Holofoil", "Pikachu ex", "g",
                                                                               Match(key, 1, "t"), quote)]))


async def test_alert_arrives_once_in_the_private_chat(tg):
    await _rule_and_drop(tg, 42)
    deliverer = tg["app"].deliverer
    deliverer.notifiers["telegram"] = TelegramNotifier(tg["application"].bot)
    assert (await deliverer.drain()).sent == 1
    alert = tg["api"].sent("sendMessage")[-1]
    assert alert.params["chat_id"] == 42 and "🔔 <b>Pikachu ex</b> is at or below 250.00 USD" in alert.params["text"]
    assert "289.99 USD → <b>240.00 USD</b>" in alert.params["text"]
    assert (await deliverer.drain()).sent == 0


async def test_a_user_who_blocked_the_bot_gets_the_rule_paused(tg):
    await _rule_and_drop(tg, 43)
    tg["api"].blocked.add(43)
    deliverer = tg["app"].deliverer
    deliverer.notifiers["telegram"] = TelegramNotifier(tg["application"].bot)
    report = await deliverer.drain()
    assert report.failed == 1 and "blocked" in report.paused[0]


async def test_through_a_loopback_bot_api_server_with_real_http(core_app):
    api = BotAPI()
    server = HttpBotAPI(api)
    base_url = await server.start()
    application = build_application(services_of(core_app), TOKEN, base_url=base_url)  # PTB's own HTTPXRequest
    await start_telegram(application)
    try:
        api.push(command("/chart pikachu 238/191 3m"))
        [photo] = await api.wait_for("sendPhoto")
        assert photo.files["photo"][:8] == b"\x89PNG\r\n\x1a\n"  # multipart upload, decoded by the server
        assert "sv8-238" in photo.params["caption"]
    finally:
        await stop_telegram(application)
        await server.stop()


async def test_webhook_mode_checks_the_secret_token(core_app):
    api = BotAPI()
    application = build_application(services_of(core_app), TOKEN, request=FakeRequest(api))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    await start_telegram(application, webhook={"listen": "127.0.0.1", "port": port, "url_path": "tg",
                                               "secret_token": "s3cret", "webhook_url": "https://bot.example.test/tg"})
    try:
        update = command("/price sv8 238") | {"update_id": 500}
        async with httpx.AsyncClient() as client:
            forged = await client.post(f"http://127.0.0.1:{port}/tg", json=update,
                                       headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
            assert forged.status_code == 403
            ok = await client.post(f"http://127.0.0.1:{port}/tg", json=update,
                                   headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"})
            assert ok.status_code == 200
        [reply] = await api.wait_for("sendMessage")
        assert "Pikachu ex" in reply.params["text"]
        assert api.sent("setWebhook")[0].params["secret_token"] == "s3cret"
    finally:
        await stop_telegram(application)


async def test_a_channel_admin_posts_feed_add_in_the_channel(tg):
    post = {"channel_post": {"message_id": 9, "date": 1_790_000_000, "text": "/feed add onepiece 20",
                             "chat": {"id": -100777, "type": "channel", "title": "OP deals"},
                             "sender_chat": {"id": -100777, "type": "channel", "title": "OP deals"},
                             "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
    call = await say(tg, post)
    assert call.params["chat_id"] == -100777
    assert "Feed #1 posts here: One Piece, moves of 20% or more down, at most 10 posts an hour." in call.params["text"]


async def test_more_namesakes_than_buttons_are_counted_and_the_way_to_the_others_is_named(tg, tmp_path):
    await tg["app"].catalog.import_files(write_namesakes(tmp_path / "namesakes", "Eevee", 12), None)
    call = await say(tg, command("/price eevee"))
    assert call.params["text"] == ("12 cards match “eevee”, here are 10. For another, add its set or number,"
                                   " e.g. “eevee ns1”. Which one?")
    buttons = [row[0]["callback_data"].split("|")[3] for row in call.params["reply_markup"]["inline_keyboard"]]
    assert buttons == [f"ns{i}-1" for i in range(12, 2, -1)]  # the newest ten
    oldest = await say(tg, command("/price eevee ns1"))
    assert "<code>ns1-1</code>" in oldest.params["text"]
