"""What every command is made of (services, parameters, invocations) and what their handlers share: free text
read into options, the card a query names, and the usage shown when it goes wrong.

Each platform binds the commands (Discord slash commands, Telegram commands, the console) and renders the
structured replies; none of them re-implements behaviour. Free-text platforms (console, Telegram)
hand the whole argument string to `Command.parse`, typed platforms (Discord) pass options by name."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from adapters.command_help import EXAMPLES, usage
from adapters.replies import CardReply, ChoiceReply, ErrorReply, PriceLine, Reply
from core.alert_service import AlertService, Caller
from core.alerts import RuleError
from core.api_keys import ApiKeyService
from core.history_service import TRENDING_WINDOWS, HistoryService
from core.models import Card, Finish, Game, format_cents, parse_finish, printing_label
from core.price_service import PriceService, format_age
from core.prices import condition_label
from core.pricing import PERIODS
from core.reports import ReportService
from core.search import Ambiguous, NotFound, Resolved
from core.services import CatalogService


@dataclass(frozen=True)
class Services:
    """What commands may use: core services only (the dependency rule keeps adapters off storage)."""

    catalog: CatalogService
    prices: PriceService
    history: HistoryService
    alerts: AlertService
    keys: ApiKeyService | None = None  # None where no API is offered
    reports: ReportService | None = None  # None where no one reviews reports


@dataclass(frozen=True)
class Param:
    name: str
    help: str
    kind: str = "text"  # text | card | period | game | choice | price | int | currency
    required: bool = True
    choices: tuple[str, ...] = ()
    after: str | None = None  # free text: only read when the word before it is this param's value
    aliases: tuple[tuple[str, str], ...] = ()  # words people type for a choice: ("down", "losers")

    def value_of(self, word: str) -> str:
        """A typed word as the value the command takes: an alias becomes its choice."""
        return dict(self.aliases).get(word.lower(), word)


@dataclass
class Invocation:
    caller: Caller
    args: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Services, Invocation], Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    name: str  # "price", "alert add"
    help: str
    params: tuple[Param, ...]
    run: Handler
    admin_only: bool = False  # Discord: hidden behind Manage Server by default; the core checks anyway
    private_only: bool = False  # the reply is a secret: platforms without private replies in groups refuse there
    # Text platforms: a reader of natural phrasing ("down 15% in 7 days") tried before the params are
    read_words: Callable[[str], tuple[str, dict[str, str]] | None] | None = None

    def parse(self, text: str) -> dict[str, str]:
        """Free text -> args: trailing simple params are read from the end, the rest is the card/query."""
        if self.read_words is not None and (found := self.read_words(text)) is not None:
            return {self.params[0].name: found[0], **found[1]}
        words = text.split()
        args: dict[str, str] = {}
        by_name = {p.name: p for p in self.params}
        for param in reversed(self.params[1:]):
            if not words:
                break
            after = by_name.get(param.after or "")
            follows = after is not None and _chain_fits(after, words[:-1], by_name)
            if after is not None and not follows:
                continue  # "sv3pt5 199": 199 is the card number, not an alert value
            # "below abc": the word after a kind is its value even when it is no number, so the user hears
            # that "abc" is not a price rather than that no card is called "… below abc"
            if fits(param, words[-1]) or (follows and after.kind == "choice"):
                args[param.name] = param.value_of(words.pop())
        if self.params:
            rest = " ".join(words).strip()
            if rest:
                args[self.params[0].name] = rest
        return args


# Every command by name, filled by adapters.commands (the catalog) when it is imported; helpers here look
# commands up by name without importing the catalog, which imports them.
COMMANDS: dict[str, Command] = {}

# Anything shaped like a period ("5y", "2d") is read as one, so a period we do not offer is answered with
# the ones we do, instead of becoming part of the card name and "no card matches".
_PERIOD_LIKE = re.compile(r"\d+(h|d|w|m|mo|y)|all|max|week|month|year")


def _chain_fits(param: Param, words: list[str], by_name: dict[str, Param]) -> bool:
    """Whether the last words are `param`'s value and, back along its `after` chain, the values it needs
    before it ('below 80 eur': the currency needs a price, which needs a kind)."""
    if not words or not fits(param, words[-1]):
        return False
    before = by_name.get(param.after or "")
    return before is None or _chain_fits(before, words[:-1], by_name)


def fits(param: Param, word: str) -> bool:
    low = word.lower()
    if param.kind == "period":
        return low in PERIODS or low in TRENDING_WINDOWS or bool(_PERIOD_LIKE.fullmatch(low))
    if param.kind == "game":
        return low in ("pokemon", "onepiece")
    if param.kind == "choice":
        return low in param.choices or param.value_of(low) != low
    if param.kind == "currency":  # any code, so "GBP" is answered with the ones we have, not "no card matches"
        return bool(re.fullmatch(r"[a-z]{3}", low))
    if param.kind == "price":
        return bool(re.fullmatch(r"[$€£]?-?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?%?", low))
    if param.kind == "int":
        return low.lstrip("#").isdigit()
    return False


# ---------------------------------------------------------------- helpers


async def resolve(services: Services, query: str | None, command: str) -> Card | Reply:
    if not query:
        return ErrorReply(message="Which card? Type a name, a set and number (sv3pt5 199) or an id (OP05-119).")
    result = await services.catalog.search(query)
    outcome = result.outcome
    if isinstance(outcome, Resolved):
        return outcome.card
    if isinstance(outcome, Ambiguous):
        return ChoiceReply(query=query, command=command, choices=outcome.choices[:25], matching=outcome.choices)
    assert isinstance(outcome, NotFound)
    return await _extra_words(services, query, command) or ErrorReply(message=outcome.message,
                                                                      suggestions=outcome.suggestions)


async def _extra_words(services: Services, query: str, command: str) -> ErrorReply | None:
    """'/chart sv8 238 line': the card is there, followed by words the command does not take. Saying which
    words beats "no card matches" with look-alike suggestions."""
    words = query.split()
    for cut in (1, 2):
        if len(words) <= cut:
            break
        found = (await services.catalog.search(" ".join(words[:-cut]))).outcome
        if isinstance(found, Resolved):
            options = COMMANDS[command].params[1:]  # '1y usd': 1y is a period /chart takes; usd is the stray word
            extra = words[-cut:]
            stray = [w for w in extra if not any(fits(p, w) for p in options)]
            problem = (f"does not take “{' '.join(stray)}”" if stray
                       else f"reads “{' '.join(extra)}” only in its place")  # 'tcgcsv 1y': the period comes first
            return ErrorReply(message=f"“{' '.join(words[:-cut])}” is {found.card.name} ({found.card.canonical_id}), "
                                      f"but /{command} {problem}. {how_to(command)}")
    return None


def how_to(command: str) -> str:
    examples = EXAMPLES.get(command, ())
    return f"Type {usage(COMMANDS[command])}" + (f", e.g. {examples[0]}" if examples else "") + f" (/help {command})."


def game_arg(raw: str | None) -> Game | None:
    if not raw:
        return None
    try:
        return Game(raw.strip().lower().replace(" ", ""))
    except ValueError:
        raise RuleError(f"Unknown game “{raw}”. Use pokemon or onepiece.") from None


def finish_arg(raw: str | None) -> Finish | None:
    if not raw:
        return None
    try:
        return parse_finish(raw)
    except ValueError:
        raise RuleError(f"Unknown finish “{raw}”. Use one of: {', '.join(f.value for f in Finish)} "
                        "(or reverse holo, holo, 1st edition ...).") from None


def id_arg(call: Invocation) -> int | None:
    """'12' or '#12' -> 12; None for anything else, including numbers no id can have (they would
    overflow the database's integer column instead of getting a friendly "not yours")."""
    raw = str(call.args.get("id", "")).strip().lstrip("#")
    return int(raw) if raw.isdigit() and int(raw) < 2**31 else None


async def card_reply(services: Services, card: Card, finish: Finish | None = None,
                     condition: int | None = None) -> CardReply:
    prices = await services.prices.prices_for(card)
    index = await services.catalog.index()
    chosen = [l for l in prices.lines if (finish is None or l.finish is finish)
              and (condition is None or l.condition == condition)]
    notes = prices.notes
    if prices.lines and not chosen:  # nothing for what was asked: say so, and show what there is
        notes, chosen = (*notes, _nothing_asked_note(prices.lines, finish, condition)), prices.lines
    lines = tuple(
        PriceLine(printing_label(l.finish, l.variant), l.source,
                  condition_label(l.condition), format_cents(l.market_cents, l.currency), format_cents(l.low_cents, l.currency),
                  format_cents(l.high_cents, l.currency), l.as_of.isoformat(), format_age(prices.checked_at - l.as_of),
                  f"{l.change_percent:+.2f}% since {l.prev_as_of.date()}" if l.change_percent is not None and l.prev_as_of
                  else None)
        for l in chosen)
    return CardReply(card=card, card_set=index.set_of(card), lines=lines, notes=notes)


def _nothing_asked_note(lines: list, finish: Finish | None, condition: int | None) -> str:
    """A finish no source prices the card in is most likely one it was never printed in (a reverse holo of an
    SIR): "yet" would promise prices that are not coming. A grade may well come (eBay's graded sales)."""
    if finish is not None and all(l.finish is not finish for l in lines):
        have = dict.fromkeys(printing_label(l.finish, l.variant) for l in lines)
        return f"No {finish.label} prices for it; it is priced as {', '.join(have)}."
    asked = " ".join([*([finish.label] if finish else []), *([condition_label(condition)] if condition is not None else [])])
    return f"No {asked} prices yet; these are the prices we have."
