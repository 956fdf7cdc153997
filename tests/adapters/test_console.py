"""The shared command catalog through the console adapter, as a person types it."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.command_help import EXAMPLES
from adapters.commands import CATALOG, COMMANDS, Command
from adapters.console.chat import handle_line, split_command
from bot.app import build_app
from adapters.commands import Invocation, dispatch
from bot.cli import services_of
from bot.config import Settings
from core.alert_service import Caller
from tests.conftest import SAMPLE_DIR, sample_app

ME = Caller("console", "ash", "Ash")
GARY = Caller("console", "gary", "Gary")


@pytest.fixture
async def chat(tmp_path):
    async with sample_app(tmp_path / "chat.db") as app:
        services = services_of(app)

        async def say(line: str, who: Caller = ME) -> str:
            return await handle_line(services, who, line, tmp_path / "charts")

        yield say


def test_command_lines_split_into_name_and_text():
    assert split_command("/alert add sv3pt5 199 below 95") == ("alert add", "sv3pt5 199 below 95")
    assert split_command("/price charizard ex 151") == ("price", "charizard ex 151")
    assert split_command("price") is None and split_command("/") is None


def test_free_text_parsing_reads_trailing_options():
    assert COMMANDS["chart"].parse("charizard ex 199/165 1y") == {"card": "charizard ex 199/165", "period": "1y"}
    assert COMMANDS["alert add"].parse("sv3pt5 199 below 95.00") == {"card": "sv3pt5 199", "kind": "below", "value": "95.00"}
    assert COMMANDS["trending"].parse("onepiece 30d losers") == {"game": "onepiece", "period": "30d", "kind": "losers"}


def test_a_mistyped_option_is_read_as_that_option_not_as_part_of_the_card():
    """So the reply names the mistake ("5y" is no period) instead of "no card matches 'sv3pt5 199 5y'"."""
    assert COMMANDS["chart"].parse("sv3pt5 199 5y") == {"card": "sv3pt5 199", "period": "5y"}
    assert COMMANDS["trending"].parse("pokemon 2d") == {"game": "pokemon", "period": "2d"}
    assert COMMANDS["alert add"].parse("sv3pt5 199 below abc") == {"card": "sv3pt5 199", "kind": "below", "value": "abc"}
    assert COMMANDS["alert add"].parse("charizard ex below") == {"card": "charizard ex", "kind": "below"}
    assert COMMANDS["chart"].parse("pikachu 25") == {"card": "pikachu 25"}  # a bare number stays the card's


async def test_mistakes_in_options_are_named(chat):
    assert "Unknown period “5y”. Use one of: 7d, 30d, 3m, 1y, all." in await chat("/chart sv3pt5 199 5y")
    assert "Unknown period “2d”. Use one of: 24h, 7d, 30d." in await chat("/trending pokemon 2d")
    assert "“abc” is not a price" in await chat("/alert add sv3pt5 199 below abc")
    percent = await chat("/alert add sv3pt5 199 above 5%")
    assert "is a percent" in percent and "say “up 5%” or “down 5%”, with a window if you like: “down 5% in 7 days”" in percent
    assert "down 5% within 7 days" in await chat("/alert add sv3pt5 199 down 5% in 7 days")  # the advice works
    assert "Alert #1 removed" in await chat("/alert remove 1")
    assert "Unknown game “pokmon”. Use pokemon or onepiece." in await chat("/trending pokmon")
    assert "Unknown game “digimon”" in await chat("/sets digimon")
    assert "No alerts yet" in await chat("/alert list")  # none of it stored anything


async def test_price_of_a_resolved_card(chat):
    out = await chat("/price pikachu 238/191")
    assert "Pikachu ex · Surging Sparks · 238" in out and "289.99 USD" in out and "tcgcsv" in out


async def test_ambiguous_query_offers_choices(chat):
    out = await chat("/price charizard ex 151")
    assert "Several cards match" in out and "(sv3pt5-199)" in out and "(sv3pt5-6)" in out
    # the hint keeps what else was asked, so the re-typed command is the same one on the chosen card
    assert "Run /alert add ID below 80 EUR with one of these ids" in await chat("/alert add charizard ex 151 below 80 EUR")
    assert "Run /watch ID PSA 10 with one of these ids" in await chat("/watch charizard ex 151 psa 10")
    assert "Holofoil, at or below 80.00 EUR" in await chat("/alert add sv3pt5-199 below 80 EUR")


async def test_a_lone_guess_is_asked_about_not_called_several_matches(chat):
    reply = await chat("/price latias")  # only Latios is near: a guess to confirm, never priced silently
    assert reply.startswith("Did you mean this card for “latias”? Run /price ID with its id:")
    assert "Latios · sv8 · 203" in reply and "Several" not in reply


async def test_a_search_with_no_match_titles_its_suggestions_as_such(chat):
    out = await chat("/search gold star")  # the sample holds no gold star
    assert out.startswith("No card matches “gold star”; the closest:") and "Cards matching" not in out
    assert (await chat("/search luffy")).startswith("Cards matching “luffy”")


async def test_unknown_card_gets_a_message_not_a_traceback(chat):
    out = await chat("/price qqqqzzzz")
    assert out.startswith("⚠ No card matches") and "Traceback" not in out


async def test_a_chart_of_one_source_is_typed_after_the_period(chat):
    assert "chart written to" in await chat("/chart sv3pt5 199 30d tcgcsv light")
    assert "No ebay prices here yet. Sources with prices: tcgcsv." in await chat("/chart sv3pt5 199 1y ebay")


async def test_chart_writes_a_png(chat, tmp_path):
    out = await chat("/chart sv3pt5 199 1y")
    assert "chart written to" in out and (tmp_path / "charts" / "sv3pt5-199.png").read_bytes()[:4] == b"\x89PNG"
    assert "chart written to" in await chat("/chart sv3pt5 199 1y light")  # a theme typed last, not part of the card
    assert "Charmander · sv3pt5-4 · Reverse Holofoil · 30d: chart written to" in await chat(
        "/chart charmander 151 reverse holo")  # one finish, named in the caption


async def test_typed_options_are_validated_too(tmp_path):
    settings = Settings.model_validate({"database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'typed.db'}"}})
    async with build_app(settings) as app:
        await app.catalog.import_files(SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")
        services = services_of(app)
        reply = await dispatch(services, COMMANDS["chart"], Invocation(ME, {"card": "sv3pt5 199", "period": "fortnight"}))
        assert reply.message.startswith("Unknown period") and reply.ephemeral
        reply = await dispatch(services, COMMANDS["trending"], Invocation(ME, {"period": "1y"}))
        assert reply.message.startswith("Unknown period")


async def test_alerts_are_private_and_bad_input_is_explained(chat):
    made = await chat("/alert add sv3pt5 199 below 95")
    assert "Alert #1 set on Charizard ex (sv3pt5-199) Holofoil, at or below 95.00 USD." in made
    assert "already past" not in made  # the sample prices it at 112.35 USD: nothing yet
    over = await chat("/alert add sv3pt5 199 above 100")  # already over the line: the alert that follows is announced
    assert "It is 112.35 USD on tcgcsv now, already past your line: the first alert comes with" in over
    assert "#1 Charizard ex · sv3pt5-199 Holofoil · at or below 95.00 USD · armed" in await chat("/alert list")
    assert "No alert #1 of yours" in await chat("/alert remove 1", GARY)
    assert "No alert #1 of yours" in await chat("/alert history 1", GARY)
    assert "None of your alerts has fired yet." in await chat("/alert history")  # every alert of mine, none yet
    assert "It has not fired yet." in await chat("/alert history 1")
    assert "No alerts yet" in await chat("/alert list", GARY)
    assert "Give a price" in await chat("/alert add sv3pt5 199 below")
    assert "more than zero" in await chat("/alert add sv3pt5 199 below -5")
    assert "Which alert?" in await chat("/alert add sv3pt5 199")
    for bad in ("/alert remove 99999999999999999999", "/alert history 4294967296", "/unwatch 1e5"):
        assert "Give the" in await chat(bad)  # an id no row can have is explained, not a database error
    assert "Alert #1 removed" in await chat("/alert remove #1")


async def test_alerts_typed_in_words_read_back_as_they_were_meant(chat):
    """Our confirmation says "down 15% within 7 days": the same words, typed, must make that rule."""
    assert ("Pikachu ex (sv8-238) Holofoil, down 15% within 14 days."
            in await chat("/alert add sv8 238 down 15% in 14 days"))
    assert "Holofoil, up 20% within 7 days." in await chat("/alert add sv8 238 up 20%")
    assert "Holofoil, a new 30-day low." in await chat("/alert add sv8 238 new 30-day low")
    in_euro = await chat("/alert add sv8 238 under 80 EUR")
    assert "Holofoil, at or below 80.00 EUR." in in_euro
    assert "No EUR prices for it yet (it has USD prices): the alert waits until a source prices it so." in in_euro
    graded = await chat("/alert add sv8 238 psa 10 above 900")
    assert "No PSA 10 prices for it yet (it has raw prices): the alert waits" in graded
    both = await chat("/alert add sv8 238 psa 10 above 900 EUR")
    assert "No PSA 10 EUR prices for it yet (it has raw USD prices): the alert waits" in both
    assert "Holofoil · PSA 10, at or above 900.00 USD." in await chat("/alert add sv8 238 above 900 psa 10")
    assert "No USD prices" not in await chat("/alert add sv8 238 under 79")
    assert "Holofoil, down 10% within 3 days." in await chat("/alert add sv8 238 pct_move -10 3")
    listed = await chat("/alert list")
    assert "down 15% within 14 days" in listed and "a new 30-day low" in listed and "at or below 80.00 EUR" in listed
    assert "must be between 1 and 365" in await chat("/alert add sv8 238 down 15% in 999 days")  # out of range: named, nothing stored
    assert (await chat("/alert list")).count("\n  #") == 9
    assert "Run /alert add ID pct_move -15 14 with one of these ids" in await chat(
        "/alert add charizard ex 151 down 15% in 14 days")  # a choice keeps the rule, in words the parser reads


async def test_a_finish_typed_after_the_card_picks_that_printing(chat):
    """'reverse holo' is a printing, not part of a name: watch, alert and price it, never the plain card."""
    assert "Now watching Charmander (sv3pt5-4) Reverse Holofoil." in await chat("/watch charmander 151 reverse holo")
    assert "Now watching Charmander (sv3pt5-4) Normal." in await chat("/watch charmander 151")  # the default: another entry
    assert ("Charmander (sv3pt5-4) Reverse Holofoil, at or below 2.00 USD."
            in await chat("/alert add charmander 151 reverse holo below 2"))
    priced = await chat("/price charmander 151 reverse holo")
    assert "Reverse Holofoil · tcgcsv" in priced and "Normal · tcgcsv" not in priced
    refused = await chat("/watch sv8 238 reverse holo")
    assert "Pikachu ex (sv8-238) has no Reverse Holofoil prices; it is priced as Holofoil." in refused
    assert "has no Reverse Holofoil prices" in await chat("/alert add sv8 238 reverse holo below 100")
    watched = await chat("/watchlist")
    assert watched.count("Charmander") == 2 and "Pikachu" not in watched  # the refusals stored nothing
    assert (await chat("/alert list")).count("\n  #") == 1
    assert "Run /alert add ID reverse_holofoil below 80 with one of these ids" in await chat(
        "/alert add charizard ex 151 reverse holo below 80")  # a choice keeps the finish for the re-run


async def test_watchlist_flow(chat):
    assert "Now watching Pikachu ex" in await chat("/watch sv8 238")
    assert "Already watching" in await chat("/watch sv8 238")
    out = await chat("/watchlist")
    assert "sv8-238" in out and "289.99 USD" in out
    assert "No watchlist entry" in await chat("/unwatch 1", GARY)


async def test_unwatch_takes_the_card_as_people_type_it(chat):
    await chat("/watch sv8 238")
    await chat("/watch sv3pt5 199")
    assert "Pikachu ex (sv8-238) is not on your watchlist" in await chat("/unwatch pikachu 238/191", GARY)
    removed = await chat("/unwatch pikachu 238/191")
    assert removed.startswith("Removed #") and "Pikachu ex (sv8-238)" in removed
    # "charizard ex 151" names three cards; only one of them is watched, so that is the one
    assert "Charizard ex (sv3pt5-199) from your watchlist" in await chat("/unwatch charizard ex 151")
    assert "None of the cards matching “charizard ex 151” is on your watchlist" in await chat("/unwatch charizard ex 151")
    assert "Your watchlist is empty" in await chat("/watchlist")
    assert "No card matches “qqqzzz”" in await chat("/unwatch qqqzzz")


async def test_words_a_command_does_not_take_are_named_not_read_as_a_card(chat):
    """'/chart sv8 238 1y usd' used to answer "No card matches “sv8 238 1y usd”" with look-alike cards."""
    stray = await chat("/chart sv8 238 1y usd")
    assert "“sv8 238” is Pikachu ex (sv8-238), but /chart does not take “usd”." in stray
    assert "Type /chart card [period] [source] [theme], e.g. /chart sv3pt5 199 1y (/help chart)." in stray
    assert "/chart reads “tcgcsv” only in its place" in await chat("/chart sv8 238 tcgcsv 1y")  # the period comes first
    assert "but /card does not take “7d”" in await chat("/card sv8 238 7d")
    assert "No card matches “qqqzzz 238”" in await chat("/price qqqzzz 238")  # no card in it: the usual answer
    # Commands whose first option is no free text: the words no option takes are named with the usage.
    assert ("/trending does not understand “pokemon 7d sideways”. Type /trending [game] [period] [kind], "
            "e.g. /trending onepiece 30d losers") in await chat("/trending pokemon 7d sideways")
    assert "/alert remove does not understand “12 13”" in await chat("/alert remove 12 13")


async def test_trending_takes_the_words_people_use_for_its_kinds(chat):
    """'/trending onepiece 30d down' answered that /trending does not understand it; 'losers' was the only word."""
    for typed, title in (("down", "losers"), ("fallers", "losers"), ("up", "gainers"), ("rising", "gainers"),
                         ("popular", "most watched")):
        assert f"One Piece {title} · 30d" in await chat(f"/trending onepiece 30d {typed}")
    assert "Pokémon losers · 7d" in await chat("/trending DOWN")


async def test_unknown_commands_and_floods(chat):
    assert "Unknown command /teleport. /help lists them." in await chat("/teleport")
    # Habits from other bots and typos get the command that does it here.
    assert "Unknown command /history. Did you mean /card?" in await chat("/history sv8 238")
    assert "Did you mean /watchlist?" in await chat("/watchlsit")
    assert "Did you mean /alert list?" in await chat("/alerts")
    assert "too long" in await chat("/price " + "x" * 5000)
    assert "start with a slash" in await chat("hello")


async def test_link_gives_a_code(chat):
    out = await chat("/link")
    assert "Your link code:" in out
    code = out.split("code: ")[1].split()[0]
    assert "other platform" in await chat(f"/link {code}")  # same platform: refused


async def test_help_lists_every_command(chat):
    out = await chat("/help")
    assert all(f"/{c.name} —" in out for c in CATALOG) and "/help COMMAND shows what to type" in out


async def test_help_on_a_command_says_what_to_type_with_examples(chat):
    out = await chat("/help alert")
    assert "/alert add card kind [value] [currency] [window] — alert me when a price crosses a line" in out
    assert "e.g. /alert add pikachu 238 down 15% in 7 days" in out and "/alert history [id]" in out
    assert "/price" not in out  # only the commands asked about
    assert "No command /teleport. /help lists them." in await chat("/help teleport")


async def test_every_help_example_works_as_typed(chat):
    """An example that fails when copied is worse than none: each runs against the sample catalog."""
    admin = Caller("console", "ash", "Ash", channel_id="c-1", guild_id="g-1", is_channel_admin=True)
    misread = ("No card matches", "Several cards match", "Did you mean", "is not a price", "Unknown period",
               "Unknown game", "Which card?", "Which alert?", "Unknown command")
    for name, examples in EXAMPLES.items():
        for example in examples:
            line = example.split(" (")[0]  # '/link (then /link CODE ...)': the command itself
            out = await chat(line, admin if name.startswith("feed") else ME)
            assert not any(m in out for m in misread), (example, out)


def test_every_catalog_command_is_bound_on_the_console():
    assert all(isinstance(c, Command) and COMMANDS[c.name] is c for c in CATALOG)


async def test_a_failing_command_does_not_end_the_session(tmp_path, caplog):
    """An unexpected error (here: the database is gone) is one friendly line; the next command still runs."""
    from adapters.console.chat import run_console

    class Broken:
        def __getattr__(self, name):
            raise RuntimeError("database is gone")

    lines, out = iter(["/price pikachu 238/191", "/help"]), []

    async def read():
        return next(lines, None)

    await run_console(Broken(), ME, read, out.append, tmp_path)
    assert out[1].startswith("⚠ Something went wrong") and "Traceback" not in out[1]
    assert out[2].startswith("Commands") and "/price" in out[2]
    assert "database is gone" in caplog.text


async def test_trending_names_which_printing_and_grade_moved(tmp_path):
    """A card's plain, jumbo and graded prices move apart: each line of the list says which one it is."""
    from datetime import timedelta
    from decimal import Decimal

    from core.ingest import IngestUnit, Observation
    from core.mapping import Match, PrintingKey
    from core.models import Finish, utcnow
    from core.prices import Quote, condition_code

    plain, jumbo = PrintingKey("sv3pt5-199", Finish.HOLOFOIL), PrintingKey("sv3pt5-199", Finish.HOLOFOIL, "jumbo")
    psa10 = condition_code(grader="PSA", grade=10)
    async with sample_app(tmp_path / "moves.db") as app:
        now = utcnow()
        for day, ts, factor in (("a", now - timedelta(days=7, hours=1), 1), ("b", now - timedelta(hours=1), 2)):
            observations = [
                Observation(pid, "Holofoil", "Charizard ex", "g", Match(key, 1, "t"),
                            Quote("tcgcsv", ts, "USD", condition=cond, market=Decimal(base) * factor))
                for pid, key, cond, base in (("1", plain, 0, "100"), ("2", jumbo, 0, "10"), ("3", plain, psa10, "400"))]
            await app.store.ingest(IngestUnit("tcgcsv", f"moves-{day}", ts, observations))
        out = await handle_line(services_of(app), ME, "/trending pokemon 7d", tmp_path)
    lines = [line for line in out.splitlines() if "sv3pt5-199" in line]
    assert "Charizard ex · sv3pt5-199 · Holofoil (tcgcsv): 100.00 USD → 200.00 USD (+100.00%)" in out
    assert "Charizard ex · sv3pt5-199 · Holofoil (jumbo) (tcgcsv): 10.00 USD → 20.00 USD (+100.00%)" in out
    assert "Charizard ex · sv3pt5-199 · Holofoil · PSA 10 (tcgcsv): 400.00 USD → 800.00 USD (+100.00%)" in out
    assert len(lines) == 3


async def test_an_alert_confirms_what_it_waits_for_in_words_and_takes_a_currency(chat):
    assert "Holofoil, at or below 1,000.50 EUR." in await chat("/alert add sv3pt5 199 below 1,000.50 EUR")
    assert "Holofoil, down 15% within 7 days." in await chat("/alert add sv3pt5 199 pct_move -15")
    assert "Holofoil, a new 30-day low." in await chat("/alert add sv3pt5 199 n_day_low 30")
    assert "OP05-119_p1) Foil, at or above 300.00 USD." in await chat("/alert add luffy 119 p1 above 300")
    assert "Unknown currency “XYZ”" in await chat("/alert add sv3pt5 199 below 80 xyz")
    listed = await chat("/alert list")
    for line in ("sv3pt5-199 Holofoil · at or below 1,000.50 EUR · armed", "sv3pt5-199 Holofoil · down 15% within 7 days",
                 "sv3pt5-199 Holofoil · a new 30-day low", "OP05-119_p1 Foil · at or above 300.00 USD"):
        assert line in listed


async def test_a_grade_typed_with_the_card_applies_to_price_watch_and_alerts(chat):
    graded = await chat("/price sv3pt5 199 psa 10")  # not "no card matches"
    assert "No PSA 10 prices yet; these are the prices we have." in graded and "Holofoil · tcgcsv · raw (market)" in graded
    # a finish the card is not priced in is most likely not printed: no "yet"
    other = await chat("/price sv3pt5 199 reverse holo")
    assert "No Reverse Holofoil prices for it; it is priced as Holofoil, Holofoil (jumbo)." in other
    watched = await chat("/watch sv3pt5 199 psa 10")
    assert "Now watching Charizard ex (sv3pt5-199) Holofoil · PSA 10." in watched
    assert "No PSA 10 prices for it yet (it has raw prices): the watchlist shows one as soon as a source" in watched
    raw = await chat("/watch sv3pt5 199")  # the raw one is another entry, priced: no note
    assert "Now watching Charizard ex (sv3pt5-199) Holofoil." in raw and "prices for it yet" not in raw
    listed = await chat("/watchlist")
    assert "sv3pt5-199 · Holofoil · PSA 10: no price yet" in listed and "sv3pt5-199 · Holofoil: " in listed
    assert "Holofoil · PSA 10, at or above 900.00 USD." in await chat("/alert add charizard ex 151 sir psa 10 above 900")
    assert "Holofoil · PSA 10 · at or above 900.00 USD · armed" in await chat("/alert list")
    assert "Charizard ex · sv3pt5-199 · PSA 10 · 1y: chart written to" in await chat("/chart sv3pt5 199 psa 10 1y")
    assert "No PSA 10 prices yet" in await chat("/card sv3pt5 199 psa 10")


_WORDS = ("sv8", "238", "sv3pt5", "199", "charizard", "ex", "151", "pikachu", "OP05-119", "p1", "luffy", "below",
          "above", "under", "down", "up", "15%", "-5", "0", "95.5", "1,000", "$3", "1e9", "99999999999999999999",
          "in", "7", "days", "new", "30-day", "low", "psa", "10", "cgc", "9.5", "nm", "reverse", "holo", "1st",
          "edition", "eur", "usd", "xyz", "1y", "7d", "5y", "all", "24h", "tcgcsv", "ebay", "dark", "light",
          "pokemon", "onepiece", "gainers", "most_watched", "digest", "confirm", "#3", "@everyone", "<b>", "“q”",
          "ピカチュウ", "é", "%", "/", "", "\t")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(COMMANDS)), words=st.lists(st.sampled_from(_WORDS), max_size=8))
async def test_any_words_to_any_command_get_a_reply_never_an_exception(chat, name, words):
    """Whatever is typed after whichever command: a reply in words (an error names the problem), no traceback."""
    if name == "forget":
        words = [w for w in words if w != "confirm"]  # keep the fixture's data for the next example
    reply = await chat(f"/{name} {' '.join(words)}")
    assert isinstance(reply, str) and reply.strip()
    assert "Traceback" not in reply and "Error(" not in reply and "object at 0x" not in reply


async def test_watching_a_card_no_source_has_priced_yet_says_which_printing_it_took(tmp_path):
    """A new set before its first prices: the printing comes from the rarity, and the reply says so."""
    from bot.app import build_app
    from bot.config import Settings

    settings = Settings.model_validate({"database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"}})
    async with build_app(settings) as app:
        await app.catalog.import_files(SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")
        services = services_of(app)
        watched = await handle_line(services, ME, "/watch sv8 238", tmp_path)
        assert "Now watching Pikachu ex (sv8-238) Holofoil." in watched
        assert "No prices for it yet; this is its Holofoil printing, the finish its rarity is printed in" in watched
        assert "If the first prices come in another finish, it moves there" in watched
        rule = await handle_line(services, ME, "/alert add sv3pt5 4 below 1", tmp_path)  # a Common: Normal
        assert "Charmander (sv3pt5-4) Normal, at or below 1.00 USD." in rule and "the finish its rarity" in rule
        chosen = await handle_line(services, ME, "/watch sv3pt5 4 reverse holo", tmp_path)
        assert "Reverse Holofoil." in chosen and "No prices for it yet: they show once a source prices it." in chosen


@pytest.mark.parametrize(("text", "args"), [
    ("sv3pt5 199 — the price is the jumbo's", {"card": "sv3pt5 199", "note": "the price is the jumbo's"}),
    ("sv3pt5 199 - jumbo", {"card": "sv3pt5 199", "note": "jumbo"}),
    ("type: null - wrong art", {"card": "type: null", "note": "wrong art"}),  # a colon belongs to the name
    ("OP05-119 p1 priced as the base print", {"card": "OP05-119 p1", "note": "priced as the base print"}),
    ("charizard ex 151 looks wrong", {"card": "charizard ex 151", "note": "looks wrong"}),
    ("sv3pt5 199", {"card": "sv3pt5 199"}),  # no note
])
def test_a_report_line_splits_into_the_card_and_what_looks_wrong(text, args):
    assert COMMANDS["report"].parse(text) == args


async def test_a_report_on_an_ambiguous_card_keeps_the_note_for_the_choice(chat):
    choice = await chat("/report charizard ex 151 priced as the jumbo")
    assert "Run /report ID priced as the jumbo with one of these ids" in choice
    assert "Thanks: report #1 on Charizard ex (sv3pt5-199)" in await chat("/report sv3pt5-199 priced as the jumbo")


@pytest.mark.shared_data
def test_no_real_card_name_is_cut_in_two_by_the_report_note_split(real_index):
    """The words that start a note must never occur in a card's name (24k Pokémon and One Piece cards)."""
    assert [c.name for c in real_index.cards if "note" in COMMANDS["report"].parse(f"{c.name} - x")
            and COMMANDS["report"].parse(f"{c.name} - x")["card"] != c.name] == []
