"""The command catalog: every command's name, help, parameters and handler, defined once, and `dispatch`.

The handlers live by subject in card_commands, watch_commands and account_commands; what they share is in
command_base. Platforms import what they need from here."""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable

from rapidfuzz import fuzz, process

from adapters import account_commands as account
from adapters import card_commands as cards
from adapters import watch_commands as watch
from adapters.alert_words import read_alert_words
from adapters.command_base import COMMANDS, Command, Invocation, Param, Services, how_to
from adapters.command_help import command_help
from adapters.replies import ChoiceReply, ErrorReply, Reply
from core.alert_service import Caller, PermissionDenied, take_condition
from core.alerts import RuleError
from core.history_service import TRENDING_KINDS, HistoryError
from core.models import Finish, take_finish
from core.prices import CURRENCIES, PRICE_SOURCES

__all__ = ["CATALOG", "COMMANDS", "COMMAND_OBSERVERS", "Command", "Invocation", "Services", "choice_invocation",
           "dispatch", "unknown_command"]  # what the platforms use; Command, Invocation and Services from command_base

# The words people use for /trending's kinds ("/trending onepiece 30d down").
_TRENDING_WORDS = (*((w, "gainers") for w in ("up", "gainer", "rising", "risers", "winners", "climbers")),
                   *((w, "losers") for w in ("down", "loser", "falling", "fallers", "drops", "droppers", "dropping")),
                   *((w, "most_watched") for w in ("watched", "popular", "most-watched")))


async def _help(services: Services, call: Invocation) -> Reply:
    return command_help(CATALOG, call.args.get("command", ""))


CARD = Param("card", "a card name, set + number (sv3pt5 199) or id (OP05-119)", "card")
CATALOG: tuple[Command, ...] = (
    Command("price", "latest prices of a card per finish, source and condition", (
        CARD, Param("finish", "only this finish (holofoil, reverse_holofoil ...)", "choice", False,
                    tuple(f.value for f in Finish)),
        Param("condition", "only this condition or grade (NM, PSA 10 ...)", "text", False)), cards.run_price),
    Command("card", "card details: prices, changes, all-time high and low", (CARD,), cards.run_card),
    Command("chart", "price-history chart", (CARD, Param("period", "7d, 30d, 3m, 1y or all", "period", False),
                                             Param("source", f"only this source ({', '.join(PRICE_SOURCES)})", "choice",
                                                   False, PRICE_SOURCES),
                                             Param("theme", "dark or light", "choice", False, ("dark", "light"))), cards.run_chart),
    Command("search", "find cards", (Param("query", "what to look for"), Param("game", "pokemon or onepiece", "game", False)), cards.run_search),
    Command("watch", "add a card to your watchlist", (CARD,), watch.run_watch),
    Command("unwatch", "remove a watchlist entry", (Param("id", "the number from /watchlist (or the card, on text platforms)"),),
            watch.run_unwatch),
    Command("watchlist", "your watched cards with prices", (), watch.run_watchlist),
    Command("alert add", "alert me when a price crosses a line", (
        CARD, Param("kind", "below, above, pct_move, n_day_low, availability", "choice", True,
                    ("below", "above", "pct_move", "n_day_low", "availability")),
        Param("value", "price (below/above), percent (pct_move) or days (n_day_low)", "price", False, after="kind"),
        Param("currency", f"{', '.join(CURRENCIES)} (USD unless you say; Cardmarket prices are EUR)", "currency", False,
              after="value"),
        Param("window", "days a percent move may take (default 7)", "int", False, after="value")),
        watch.run_alert_add, read_words=read_alert_words),
    Command("alert list", "your alerts", (), watch.run_alert_list),
    Command("alert remove", "remove one of your alerts", (Param("id", "the alert number", "int"),), watch.run_alert_remove),
    Command("alert history", "when your alerts fired", (Param("id", "the alert number (all of yours without one)", "int",
                                                             required=False),), watch.run_alert_history),
    Command("trending", "biggest movers", (Param("game", "pokemon or onepiece", "game", False),
                                           Param("period", "24h, 7d or 30d", "period", False),
                                           Param("kind", "gainers, losers, most_watched", "choice", False, TRENDING_KINDS,
                                                 aliases=_TRENDING_WORDS)), cards.run_trending),
    Command("sets", "list sets", (Param("game", "pokemon or onepiece", "game", False),), cards.run_sets),
    Command("link", "link your Discord and Telegram accounts", (Param("code", "the code from the other platform", "text", False),), account.run_link),
    Command("feed add", "post price moves in this channel (admins)", (
        Param("game", "pokemon or onepiece", "game", False), Param("min_move", "smallest move in %", "price", False),
        Param("min_price", "ignore cards below this price", "price", False, after="min_move"),
        Param("digest", "add a daily gainers/losers digest", "choice", False, ("digest",))), account.run_feed_add, admin_only=True),
    Command("feed list", "the price feeds of this channel", (), account.run_feed_list),
    Command("feed remove", "stop a price feed (admins)", (Param("id", "the feed number", "int"),), account.run_feed_remove,
            admin_only=True),
    Command("apikey create", "a key for the HTTP API, shown once (acts as you)",
            (Param("name", "what it is for, e.g. spreadsheet", "text", False),), account.run_apikey_create, private_only=True),
    Command("apikey list", "your HTTP API keys", (), account.run_apikey_list),
    Command("apikey revoke", "stop an HTTP API key now", (Param("id", "the key number", "int"),), account.run_apikey_revoke),
    Command("report", "tell us a card's price looks wrong (the wrong printing priced)",
            (CARD, Param("note", "what looks wrong, after a dash: /report sv3pt5 199 — the price is the jumbo's",
                         required=False)), account.run_report, read_words=account.read_report_words),
    Command("export", "download everything we keep about you (JSON)", (), account.run_export),
    Command("forget", "delete everything we keep about you", (Param("confirm", "type confirm", "choice", False,
                                                                     ("confirm",)),), account.run_forget),
    Command("help", "what I can do", (Param("command", "a command to explain, e.g. alert", "text", False),), _help),
)
COMMANDS.update({c.name: c for c in CATALOG})
# What people type out of habit from other bots, and the command that does it here.
_MEANT = {"history": "card", "stats": "card", "info": "card", "prices": "price", "p": "price", "graph": "chart",
          "find": "search", "lookup": "search", "alerts": "alert list", "watching": "watchlist",
          "movers": "trending", "top": "trending", "set": "sets"}


def unknown_command(name: str) -> str:
    """The reply to /NAME we do not have, naming the command that was probably meant."""
    words = name.split()
    group = sorted(c.split()[1] for c in COMMANDS if c.startswith(f"{words[0]} ")) if words else []
    if group:  # '/alert foo': the group exists, the subcommand does not
        return f"Unknown command /{name}. /{words[0]} takes {', '.join(group[:-1])} or {group[-1]}."
    meant = _MEANT.get(name)
    if meant is None:
        found = process.extractOne(name, [c for c in COMMANDS if " " not in c], scorer=fuzz.ratio, score_cutoff=80)
        meant = found[0] if found else None
    return f"Unknown command /{name}." + (f" Did you mean /{meant}?" if meant else "") + " /help lists them."


COMMAND_OBSERVERS: list[Callable[[str, float, bool], None]] = []  # (command, seconds, ok): metrics


GRADE_IN_CARD_TEXT = ("price", "card", "chart", "watch", "alert add")  # the commands that read a grade or finish typed with the card


def choice_keeps(command: str, args: dict[str, str]) -> dict[str, str]:
    """What re-running a command on the chosen card must keep: every other option, and a grade or finish typed
    inside the card text ('charizard ex 151 psa 10', 'charmander reverse holo'), which the chosen card id no
    longer carries."""
    keep = {k: v for k, v in args.items() if k != "card"}
    if command in GRADE_IN_CARD_TEXT and args.get("card"):
        rest, said = take_condition(args["card"])
        if said and "condition" not in keep:
            keep["condition"] = said
        finish = take_finish(rest)[1]
        if finish and "finish" not in keep:
            keep["finish"] = finish.value
    return keep


def choice_invocation(caller: Caller, card_id: str, keep: dict[str, str]) -> Invocation:
    """The command again, on the card picked from a ChoiceReply."""
    return Invocation(caller, {**keep, "card": card_id})


def _not_understood(command: Command, call: Invocation) -> ErrorReply | None:
    """'/trending pokemon 7d sideways': words no option takes end up in the first one, which is no free text."""
    first = command.params[0] if command.params else None
    value = call.args.get(first.name, "") if first else ""
    if first is None or first.kind in ("text", "card") or len(value.split()) < 2:
        return None
    return ErrorReply(message=f"/{command.name} does not understand “{value}”. {how_to(command.name)}")


async def dispatch(services: Services, command: Command, call: Invocation) -> Reply:
    """Run a command; any refusal becomes a friendly ErrorReply, never a traceback."""
    started = time.perf_counter()
    try:
        reply = _not_understood(command, call) or await command.run(services, call)
    except (RuleError, HistoryError, PermissionDenied, LookupError, ValueError) as err:
        reply = ErrorReply(message=str(err).strip("'\""))
    if isinstance(reply, ChoiceReply):
        reply = replace(reply, keep=choice_keeps(command.name, call.args))
    for observe in COMMAND_OBSERVERS:
        observe(command.name, time.perf_counter() - started, not isinstance(reply, ErrorReply))
    return reply
