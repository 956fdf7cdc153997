"""The command catalog: every command's name, help, parameters and behaviour, defined once.

Each platform binds these (Discord slash commands, Telegram commands, the console) and renders the
structured replies; none of them re-implements behaviour. Free-text platforms (console, Telegram)
hand the whole argument string to `parse`, typed platforms (Discord) pass options by name."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Awaitable, Callable

from rapidfuzz import fuzz, process

from adapters.alert_words import read_alert_words
from adapters.command_help import EXAMPLES, command_help, usage
from adapters.replies import (
    CardReply,
    ChartReply,
    ChoiceReply,
    ErrorReply,
    FileReply,
    ListReply,
    PriceLine,
    Reply,
    TextReply,
)
from core.api_keys import ApiKeyService
from core.reports import ReportService
from core.alert_service import AlertService, Caller, FeedSpec, PermissionDenied, parse_condition, take_condition
from core.alerts import RuleError, watched_for
from core.history_service import TRENDING_KINDS, TRENDING_WINDOWS, HistoryError, HistoryService
from core.models import Card, Finish, Game, format_cents, parse_finish, printing_label, take_finish, utcnow
from core.price_service import PriceService, format_age
from core.prices import CURRENCIES, PRICE_SOURCES, RAW_MARKET, condition_label
from core.pricing import PERIODS
from core.search import Ambiguous, NotFound, Resolved, SearchFilters
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
            if _fits(param, words[-1]) or (follows and after.kind == "choice"):
                args[param.name] = param.value_of(words.pop())
        if self.params:
            rest = " ".join(words).strip()
            if rest:
                args[self.params[0].name] = rest
        return args


# The words people use for /trending's kinds ("/trending onepiece 30d down").
_TRENDING_WORDS = (*((w, "gainers") for w in ("up", "gainer", "rising", "risers", "winners", "climbers")),
                   *((w, "losers") for w in ("down", "loser", "falling", "fallers", "drops", "droppers", "dropping")),
                   *((w, "most_watched") for w in ("watched", "popular", "most-watched")))

# Anything shaped like a period ("5y", "2d") is read as one, so a period we do not offer is answered with
# the ones we do, instead of becoming part of the card name and "no card matches".
_PERIOD_LIKE = re.compile(r"\d+(h|d|w|m|mo|y)|all|max|week|month|year")


def _chain_fits(param: Param, words: list[str], by_name: dict[str, Param]) -> bool:
    """Whether the last words are `param`'s value and, back along its `after` chain, the values it needs
    before it ('below 80 eur': the currency needs a price, which needs a kind)."""
    if not words or not _fits(param, words[-1]):
        return False
    before = by_name.get(param.after or "")
    return before is None or _chain_fits(before, words[:-1], by_name)


def _fits(param: Param, word: str) -> bool:
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
            stray = [w for w in extra if not any(_fits(p, w) for p in options)]
            problem = (f"does not take “{' '.join(stray)}”" if stray
                       else f"reads “{' '.join(extra)}” only in its place")  # 'tcgcsv 1y': the period comes first
            return ErrorReply(message=f"“{' '.join(words[:-cut])}” is {found.card.name} ({found.card.canonical_id}), "
                                      f"but /{command} {problem}. {_how_to(command)}")
    return None


def _how_to(command: str) -> str:
    examples = EXAMPLES.get(command, ())
    return f"Type {usage(COMMANDS[command])}" + (f", e.g. {examples[0]}" if examples else "") + f" (/help {command})."


def _game(raw: str | None) -> Game | None:
    if not raw:
        return None
    try:
        return Game(raw.strip().lower().replace(" ", ""))
    except ValueError:
        raise RuleError(f"Unknown game “{raw}”. Use pokemon or onepiece.") from None


def _finish(raw: str | None) -> Finish | None:
    if not raw:
        return None
    try:
        return parse_finish(raw)
    except ValueError:
        raise RuleError(f"Unknown finish “{raw}”. Use one of: {', '.join(f.value for f in Finish)} "
                        "(or reverse holo, holo, 1st edition ...).") from None


async def card_reply(services: Services, card: Card, finish: Finish | None = None,
                     condition: int | None = None) -> CardReply:
    prices = await services.prices.prices_for(card)
    index = await services.catalog.index()
    chosen = [l for l in prices.lines if (finish is None or l.finish is finish)
              and (condition is None or l.condition == condition)]
    notes = prices.notes
    if prices.lines and not chosen:  # nothing for what was asked: say so, and show what there is
        asked = " ".join([*([finish.label] if finish else []), *([condition_label(condition)] if condition is not None else [])])
        notes, chosen = (*notes, f"No {asked} prices yet; these are the prices we have."), prices.lines
    lines = tuple(
        PriceLine(printing_label(l.finish, l.variant), l.source,
                  condition_label(l.condition), format_cents(l.market_cents, l.currency), format_cents(l.low_cents, l.currency),
                  format_cents(l.high_cents, l.currency), l.as_of.isoformat(), format_age(prices.checked_at - l.as_of),
                  f"{l.change_percent:+.2f}% since {l.prev_as_of.date()}" if l.change_percent is not None and l.prev_as_of
                  else None)
        for l in chosen)
    return CardReply(card=card, card_set=index.set_of(card), lines=lines, notes=notes)


# ---------------------------------------------------------------- commands


def _card_words(call: Invocation) -> tuple[str | None, str | None, Finish | None]:
    """The card text, and the condition and finish asked for: the options when given, else typed inside the
    card text ('/price charizard ex 151 psa 10', '/watch charmander 151 reverse holo')."""
    query, condition, finish = call.args.get("card"), call.args.get("condition"), _finish(call.args.get("finish"))
    if query and not condition:
        query, condition = take_condition(query)
    if query and finish is None:
        query, finish = take_finish(query)
    return query, condition, finish


async def _price(services: Services, call: Invocation) -> Reply:
    query, said, finish = _card_words(call)
    card = await resolve(services, query, "price")
    if isinstance(card, Reply):
        return card
    condition = parse_condition(said) if said else None
    return await card_reply(services, card, finish, condition)


async def _card(services: Services, call: Invocation) -> Reply:
    """Details: prices plus the main series' statistics (change, all-time high/low, trend); of one grade or
    condition when one is typed with the card."""
    query, said, finish = _card_words(call)
    card = await resolve(services, query, "card")
    if isinstance(card, Reply):
        return card
    condition = parse_condition(said) if said else None
    reply = await card_reply(services, card, finish, condition)
    histories = [h for h in await services.history.history(card, "all", condition=condition) if h.stats and not h.variant]
    if not histories:
        return reply
    stats = histories[0].stats
    money = lambda value: f"{value:,.2f} {histories[0].currency}"  # noqa: E731
    changes = {k: (f"{c.amount:+,.2f} {histories[0].currency} ({c.percent:+}%)" if c and c.percent is not None else "n/a")
               for k, c in stats.changes.items()}
    summary = {"series": histories[0].label, "change": changes, "ath": f"{money(stats.ath[0])} ({stats.ath[1].date()})",
               "atl": f"{money(stats.atl[0])} ({stats.atl[1].date()})", "trend": stats.trend}
    if stats.thin:
        summary["thin market"] = stats.thin_reason
    return CardReply(card=reply.card, card_set=reply.card_set, lines=reply.lines, notes=reply.notes, stats=summary)


async def _chart(services: Services, call: Invocation) -> Reply:
    query, said, finish = _card_words(call)
    card = await resolve(services, query, "chart")
    if isinstance(card, Reply):
        return card
    period = call.args.get("period") or "30d"
    condition = parse_condition(said) if said else None
    index = await services.catalog.index()
    png = await services.history.chart(card, index.set_of(card), period, call.args.get("source"),
                                       call.args.get("theme"), condition=condition, finish=finish)
    graded = f" · {condition_label(condition)}" if condition is not None else ""
    printing = f" · {finish.label}" if finish else ""
    return ChartReply(card=card, png=png, caption=f"{card.name} · {card.canonical_id}{printing}{graded} · {period}")


async def _search(services: Services, call: Invocation) -> Reply:
    query = call.args.get("query")
    if not query:
        return ErrorReply(message="Search for what? Try “charizard ex 151” or “luffy sec op05”.")
    game = _game(call.args.get("game"))
    result = await services.catalog.search(query, SearchFilters(game=game, set_code=call.args.get("set"),
                                                                rarity=call.args.get("rarity")))
    if isinstance(result.outcome, NotFound) and not result.ranked:
        return ErrorReply(message=result.outcome.message)
    rows = tuple(f"{c.name} · {c.set_code} · {c.display_number} · {c.rarity or ''} — {c.canonical_id}" for c in result.ranked[:25])
    # Nothing plausible, only the nearest names: say so rather than title them as matches
    title = f"No card matches “{query}”; the closest:" if isinstance(result.outcome, NotFound) else f"Cards matching “{query}”"
    if isinstance(result.outcome, Ambiguous) and len(result.outcome.choices) > len(rows):
        title = f"{len(result.outcome.choices)} cards match “{query}”; the first {len(rows)} (add a set or number for the others)"
    return ListReply(title=title, rows=rows, empty="No card matches.")


async def _watch(services: Services, call: Invocation) -> Reply:
    query, said, finish = _card_words(call)
    card = await resolve(services, query, "watch")
    if isinstance(card, Reply):
        return card
    printing = await services.alerts.choose_printing(card, finish)  # the default one, or refused when unpriced
    added = await services.alerts.watch_printing(call.caller, printing, said)
    chosen, finish = finish is not None, printing.key.finish
    verb = "Now watching" if added else "Already watching"
    grade = parse_condition(said) if said else RAW_MARKET
    what = "" if grade == RAW_MARKET else f" · {condition_label(grade)}"
    text = f"{verb} {card.name} ({card.canonical_id}) {finish.label}{what}."
    return TextReply(text=text + await _unpriced_grade_note(services, card, finish, grade, chosen), ephemeral=True)


async def _unpriced_grade_note(services: Services, card: Card, finish: Finish, grade: int, chosen: bool) -> str:
    """A grade no source prices yet would sit on the watchlist as "no price yet" without a word why."""
    all_lines = (await services.prices.prices_for(card)).lines
    if not all_lines:
        return _not_priced_note(finish, chosen)
    lines = [l for l in all_lines if (l.finish, l.variant) == (finish, "")]
    if not lines or any(l.condition == grade for l in lines):
        return ""
    have = sorted({_grade_word(l.condition) for l in lines})
    return (f"\nNo {condition_label(grade)} prices for it yet (it has {', '.join(have)} prices):"
            " the watchlist shows one as soon as a source prices it.")


def _id_arg(call: Invocation) -> int | None:
    """'12' or '#12' -> 12; None for anything else, including numbers no id can have (they would
    overflow the database's integer column instead of getting a friendly "not yours")."""
    raw = str(call.args.get("id", "")).strip().lstrip("#")
    return int(raw) if raw.isdigit() and int(raw) < 2**31 else None


async def _unwatch(services: Services, call: Invocation) -> Reply:
    item = _id_arg(call)
    if item is None:
        return await _unwatch_card(services, call)
    await services.alerts.unwatch(call.caller, item)
    return TextReply(text=f"Removed #{item} from your watchlist.", ephemeral=True)


_ID_LIKE = re.compile(r"#?\d[\w.]*")  # '#12', '1e5', an id too big for any row: meant as a number, not a card


async def _unwatch_card(services: Services, call: Invocation) -> Reply:
    """'/unwatch charizard ex 151' (typed in a chat, or a card button): the watched entry of that card.
    Choices are narrowed to the cards on the caller's watchlist."""
    query = call.args.get("card") or str(call.args.get("id") or "").strip()
    if not query or _ID_LIKE.fullmatch(query):
        return ErrorReply(message="Give the number from /watchlist, e.g. /unwatch 3.")
    lines = await services.alerts.watchlist(call.caller)
    watched = {line.card_id for line in lines}
    outcome = (await services.catalog.search(query)).outcome
    if isinstance(outcome, NotFound):
        return ErrorReply(message=outcome.message, suggestions=outcome.suggestions)
    cards = [outcome.card] if isinstance(outcome, Resolved) else [c for c in outcome.choices if c.canonical_id in watched]
    if len(cards) > 1:
        return ChoiceReply(query=query, command="unwatch", choices=tuple(cards[:25]), matching=tuple(cards))
    entries = [line for line in lines if cards and line.card_id == cards[0].canonical_id]
    if not entries:
        what = (f"{cards[0].name} ({cards[0].canonical_id}) is not" if cards
                else f"None of the cards matching “{query}” is")
        return ErrorReply(message=f"{what} on your watchlist. /watchlist shows what is.")
    if len(entries) > 1:
        listed = ", ".join(f"#{e.item_id} {printing_label(e.finish, e.variant)}" for e in entries)
        return ErrorReply(message=f"You watch {cards[0].name} more than once ({listed}): /unwatch with the number.")
    await services.alerts.unwatch(call.caller, entries[0].item_id)
    return TextReply(text=f"Removed #{entries[0].item_id} {cards[0].name} ({cards[0].canonical_id}) from your watchlist.",
                     ephemeral=True)


async def _watchlist(services: Services, call: Invocation) -> Reply:
    lines = await services.alerts.watchlist(call.caller)
    index = await services.catalog.index()
    rows = []
    for line in lines:
        card = index.get(line.card_id)
        best = min(line.prices, key=lambda p: p.market_cents or 0, default=None)
        price = "no price yet"
        if best:
            change = best.change_percent
            since = f", {change:+.2f}% since {best.prev_as_of.date()}" if change is not None and best.prev_as_of else ""
            age = format_age(utcnow() - best.as_of)
            price = f"{format_cents(best.market_cents, best.currency)} on {best.source}{since} (as of {best.as_of.date()}, {age})"
        rows.append(f"#{line.item_id} {card.name if card else line.card_id} · {line.card_id} · "
                    f"{_series_label(line.finish, line.variant, line.condition)}: {price}")
    return ListReply(title="Your watchlist", rows=tuple(rows), empty="Your watchlist is empty. Add cards with /watch.",
                     ephemeral=True)


async def _alert_add(services: Services, call: Invocation) -> Reply:
    query, said, finish = _card_words(call)
    card = await resolve(services, query, "alert add")
    if isinstance(card, Reply):
        return card
    kind, value = call.args.get("kind"), call.args.get("value")
    if not kind:
        return ErrorReply(message="Which alert? e.g. “below 95”, “above 150 EUR”, “down 15% in 7 days”, “up 20%”, "
                                  "“new 30-day low”.")
    kwargs = {"threshold": value} if kind in ("below", "above") else {"percent": value} if kind == "pct_move" else (
        {"window_days": value} if kind == "n_day_low" and value else {})
    if kind == "pct_move" and call.args.get("window"):
        kwargs["window_days"] = call.args["window"]
    rule_id = await services.alerts.add_rule(call.caller, card, kind, finish=finish,
                                             condition=said, currency=(call.args.get("currency") or "USD").upper(),
                                             **kwargs)
    rule = next((r for r in await services.alerts.rules(call.caller) if r.id == rule_id), None)
    what = f"{_series_label(rule.finish, rule.variant, rule.condition)}, {_watched_for(rule)}" if rule else kind
    text = f"Alert #{rule_id} set on {card.name} ({card.canonical_id}) {what}."
    note = await _waiting_note(services, card, rule, chosen=finish is not None) if rule else ""
    return TextReply(text=text + note, ephemeral=True)


async def _waiting_note(services: Services, card: Card, rule, chosen: bool) -> str:  # noqa: ANN001 - a RuleRow
    """A rule on a grade or currency its printing is not priced in yet waits for a source that prices it so
    (eBay's graded or UK listings, say): say so rather than let it look armed against today's prices."""
    all_lines = (await services.prices.prices_for(card)).lines
    if not all_lines:
        return _not_priced_note(rule.finish, chosen)
    lines = [l for l in all_lines if (l.finish, l.variant) == (rule.finish, "")]
    same = [l for l in lines if (l.condition, l.currency) == (rule.condition, rule.currency)]
    if same:
        return _already_note(rule, [l for l in same if rule.source is None or l.source == rule.source])
    if not lines:
        return ""
    if any(l.condition == rule.condition for l in lines):  # the grade is priced, in another currency
        missing, have = rule.currency, {l.currency for l in lines if l.condition == rule.condition}
    elif any(l.currency == rule.currency for l in lines):  # the currency is, for other grades
        missing, have = _grade_word(rule.condition), {_grade_word(l.condition) for l in lines if l.currency == rule.currency}
    else:
        missing, have = f"{_grade_word(rule.condition)} {rule.currency}", {f"{_grade_word(l.condition)} {l.currency}" for l in lines}
    return (f"\nNo {missing} prices for it yet (it has {', '.join(sorted(have))} prices):"
            " the alert waits until a source prices it so.")


def _grade_word(code: int) -> str:
    """'raw' rather than 'raw (market)' inside a sentence about what a card is priced in."""
    return "raw" if code == RAW_MARKET else condition_label(code)


def _not_priced_note(finish: Finish, chosen: bool) -> str:
    """No source has priced the card yet (a new set): say so, and when the printing was our pick, which and why."""
    if chosen:
        return "\nNo prices for it yet: they show once a source prices it."
    return (f"\nNo prices for it yet; this is its {finish.label} printing, the finish its rarity is printed in."
            " If the first prices come in another finish, it moves there (type a finish after the card to fix one).")


def _already_note(rule, lines: list) -> str:  # noqa: ANN001 - a rules_repo.RuleRow, LatestPrice lines
    """A price line already crossed when the rule is made: the rule is armed, so the next check fires it.
    Say so, so the alert that follows at once is expected rather than a surprise."""
    if rule.kind not in ("below", "above") or rule.threshold_cents is None:
        return ""
    below = rule.kind == "below"
    crossed = [l for l in lines if l.market_cents is not None
               and (l.market_cents <= rule.threshold_cents if below else l.market_cents >= rule.threshold_cents)]
    if not crossed:
        return ""
    now = (min if below else max)(crossed, key=lambda l: l.market_cents)
    return (f"\nIt is {format_cents(now.market_cents, now.currency)} on {now.source} now, already past your line:"
            " the first alert comes with the next price check.")


def _watched_for(rule) -> str:  # noqa: ANN001 - a rules_repo.RuleRow
    return watched_for(rule.kind, rule.threshold_cents, rule.percent_bp, rule.window_days, rule.currency)


async def _alert_list(services: Services, call: Invocation) -> Reply:
    rules = await services.alerts.rules(call.caller)
    index = await services.catalog.index()
    names = {r.card_id: f"{card.name} · " for r in rules if (card := index.get(r.card_id))}
    rows = tuple(
        f"#{r.id} {names.get(r.card_id, '')}{r.card_id} {_series_label(r.finish, r.variant, r.condition)} · {_watched_for(r)}"
        f" · {'paused: ' + r.paused_reason if not r.active else r.state}"
        for r in rules)
    return ListReply(title="Your alerts", rows=rows, empty="No alerts yet. Add one with /alert add.", ephemeral=True)


def _rule_id(call: Invocation) -> int | ErrorReply:
    rule_id = _id_arg(call)
    return rule_id if rule_id is not None else ErrorReply(message="Give the alert number from /alert list, e.g. 12.")


async def _alert_remove(services: Services, call: Invocation) -> Reply:
    rule_id = _rule_id(call)
    if isinstance(rule_id, Reply):
        return rule_id
    await services.alerts.remove_rule(call.caller, rule_id)
    return TextReply(text=f"Alert #{rule_id} removed.", ephemeral=True)


async def _alert_history(services: Services, call: Invocation) -> Reply:
    rule_id = _rule_id(call) if call.args.get("id") else None
    if isinstance(rule_id, Reply):
        return rule_id
    rows = await services.alerts.rule_history(call.caller, rule_id)
    which = (lambda h: "") if rule_id is not None else (lambda h: f"#{h.rule_id} · ")
    return ListReply(title=f"Alert #{rule_id} history" if rule_id is not None else "Your alert history", rows=tuple(
        f"{which(h)}{h.created_at:%Y-%m-%d %H:%M} UTC · {h.status}{' · ' + h.detail if h.detail else ''}" for h in rows),
        empty="It has not fired yet." if rule_id is not None else "None of your alerts has fired yet.", ephemeral=True)


async def _trending(services: Services, call: Invocation) -> Reply:
    game = _game(call.args.get("game")) or Game.POKEMON
    period, kind = call.args.get("period") or "7d", call.args.get("kind") or "gainers"
    entries = await services.history.trending(game, period, kind)
    index = await services.catalog.index()
    rows = []
    for entry in entries:
        card = index.get(entry.card_id)
        name = f"{card.name} · {entry.card_id}" if card else entry.card_id
        if kind == "most_watched":
            rows.append(f"{name}: {entry.detail} new watcher{'' if entry.detail == 1 else 's'}")
        else:
            m = entry.detail
            rows.append(f"{name} · {_series_label(m.finish, m.variant, m.condition)} ({m.source}): "
                        f"{format_cents(m.old_cents, m.currency)} → {format_cents(m.new_cents, m.currency)} ({m.percent:+}%)")
    title = f"{game.label} {kind.replace('_', ' ')} · {period}"
    none = "no one started watching a card" if kind == "most_watched" else "nothing moved enough to list"
    return ListReply(title=title, rows=tuple(rows), empty=f"{title}: {none}.")  # says what was asked


def _series_label(finish: str, variant: str | None, condition: int) -> str:
    """'Holofoil (jumbo)', 'Holofoil · PSA 10': one card's printings and grades move apart, so a list of
    moves names which one moved (the raw market price goes unsaid)."""
    label = printing_label(finish, variant)
    return label if condition == RAW_MARKET else f"{label} · {condition_label(condition)}"


async def _sets(services: Services, call: Invocation) -> Reply:
    game = _game(call.args.get("game"))
    sets = (await services.catalog.index()).list_sets(game)
    return ListReply(title="Sets", rows=tuple(f"{s.code} · {s.name}" + (f" · {s.release_date}" if s.release_date else "")
                                              for s in sets[:50]))


async def _link(services: Services, call: Invocation) -> Reply:
    code = call.args.get("code")
    if code:
        await services.alerts.finish_link(call.caller, code)
        return TextReply(text="Linked: your watchlist and alerts are now shared across both platforms.", ephemeral=True)
    new_code = await services.alerts.start_link(call.caller)
    minutes = services.alerts.settings.link_code_minutes
    return TextReply(text=f"Your link code: {new_code} — send /link {new_code} on the other platform within {minutes} minutes.",
                     ephemeral=True)


async def _feed_add(services: Services, call: Invocation) -> Reply:
    caller = call.caller
    try:
        move = Decimal(call.args.get("min_move", "10").rstrip("%"))
        price = Decimal(call.args["min_price"].lstrip("$€£")) if call.args.get("min_price") else None
    except InvalidOperation as err:
        raise RuleError("Write the move as a percent (10) and the price as an amount (5.00).") from err
    if not move.is_finite() or not 0 < move <= 100:
        raise RuleError(f"The move is a percent above 0 and at most 100, e.g. 10 (not “{call.args.get('min_move')}”).")
    if price is not None and (not price.is_finite() or price < 0):
        raise RuleError("The minimum price cannot be negative.")
    direction = call.args.get("direction", "down")
    digest = (call.args.get("digest") or "").lower() in ("digest", "true", "yes", "1")
    game = _game(call.args.get("game"))
    spec = FeedSpec(caller.platform, caller.channel_id or "", caller.guild_id, game.value if game else None,
                    call.args.get("set"), call.args.get("rarity"), int(price * 100) if price is not None else None,
                    int(move * 100), direction, digest=digest)
    feed_id = await services.alerts.add_feed(caller, spec)
    return TextReply(text=f"Feed #{feed_id} posts here: {', '.join(_feed_terms(spec))}.")


def _feed_terms(feed) -> list[str]:  # noqa: ANN001 - a FeedSpec or a channel_subscriptions row
    """What a feed posts, the same words on /feed add and /feed list: game, set, rarity, move, price, cap, digest."""
    way = {"down": "down", "up": "up", "both": "either way"}.get(feed.direction, feed.direction)
    terms = [Game(feed.game).label if feed.game else "all games"]
    terms += [f"set {feed.set_code}"] if feed.set_code else []
    terms += [f"rarity {feed.rarity}"] if feed.rarity else []
    terms.append(f"moves of {(feed.min_move_bp or 0) / 100:g}% or more {way}")
    terms += [f"prices from {feed.min_price_cents / 100:,.2f}"] if feed.min_price_cents else []
    terms.append(f"at most {feed.hourly_cap} posts an hour")
    terms += ["a daily gainers/losers digest"] if feed.digest else []
    return terms


async def _feed_list(services: Services, call: Invocation) -> Reply:
    feeds = await services.alerts.feeds(call.caller)
    rows = tuple(f"#{f.id} " + " · ".join(_feed_terms(f)) + (f" · paused: {f.paused_reason}" if not f.active else "")
                 for f in feeds)
    return ListReply(title="Price feeds in this channel", rows=rows, empty="No feeds here. Admins add one with /feed add.")


async def _feed_remove(services: Services, call: Invocation) -> Reply:
    feed_id = _id_arg(call)
    if feed_id is None:
        return ErrorReply(message="Give the feed number from /feed list.")
    await services.alerts.remove_feed(call.caller, feed_id)
    return TextReply(text=f"Feed #{feed_id} removed.")


async def _export(services: Services, call: Invocation) -> Reply:
    data = await services.alerts.export(call.caller)
    return FileReply(filename="tcgtracker-export.json", data=data,
                     caption="Everything we keep about you: accounts, watchlist, alerts and their history.")


async def _forget(services: Services, call: Invocation) -> Reply:
    if (call.args.get("confirm") or "").lower() != "confirm":
        return TextReply(text="This deletes your linked accounts, watchlist, alerts and their history for good. "
                              "Send /forget confirm to go ahead.", ephemeral=True)
    await services.alerts.forget(call.caller)
    return TextReply(text="Done: everything we kept about you is deleted.", ephemeral=True)


def _keys(services: Services) -> ApiKeyService:
    if services.keys is None:
        raise RuleError("This bot does not offer the HTTP API.")
    return services.keys


# '/report sv3pt5 199 price is the jumbo's': on text platforms the note starts at a dash between spaces, or at the
# first word that can only be the note's (none is a word of a card name in either catalog). Not at a colon:
# "Type: Null" is a Pokémon.
_NOTE_START = re.compile(r"\s+[-—–]+\s+|\s+(?=(?:price|prices|priced|pricing|wrong|shows|showing|looks|seems|"
                         r"mapped|listed)\b)", re.IGNORECASE)


def read_report_words(text: str) -> tuple[str, dict[str, str]] | None:
    found = _NOTE_START.search(text)
    if found is None or not text[:found.start()].strip() or not text[found.end():].strip():
        return None
    return text[:found.start()].strip(), {"note": text[found.end():].strip()}


async def _report(services: Services, call: Invocation) -> Reply:
    """A price that looks wrong (most often the wrong printing priced), for the operators to check."""
    if services.reports is None:
        raise RuleError("This bot does not take price reports; tell its operators.")
    card = await resolve(services, call.args.get("card"), "report")
    if isinstance(card, Reply):
        return card
    report_id, new = await services.reports.report(call.caller, card, call.args.get("note"))
    what = f"{card.name} ({card.canonical_id})"
    if not new:
        return TextReply(text=f"You reported {what} already (report #{report_id}, still open)"
                              + ("; your note is updated." if call.args.get("note") else "."), ephemeral=True)
    hint = "" if call.args.get("note") else " Saying what looks wrong helps: /report CARD — the price is the jumbo's."
    return TextReply(text=f"Thanks: report #{report_id} on {what} is with the operators, who check which products "
                          f"are priced as this card.{hint}", ephemeral=True)


async def _apikey_create(services: Services, call: Invocation) -> Reply:
    key_id, key = await _keys(services).create(call.caller, call.args.get("name"))
    return TextReply(text=f"API key #{key_id}: {key}\nKeep it secret: it is shown only this once and acts as you "
                          "(your watchlist and alerts). Send it as the X-API-Key header. Revoke it with "
                          f"/apikey revoke {key_id}.", ephemeral=True)


async def _apikey_list(services: Services, call: Invocation) -> Reply:
    keys = await _keys(services).list(call.caller)
    rows = tuple(f"#{k.id} {k.name} · {k.hint} · created {k.created_at:%Y-%m-%d} · "
                 + (f"last used {k.last_used_at:%Y-%m-%d %H:%M} UTC" if k.last_used_at else "never used") for k in keys)
    return ListReply(title="Your API keys", rows=rows, empty="No API keys. Create one with /apikey create.",
                     ephemeral=True)


async def _apikey_revoke(services: Services, call: Invocation) -> Reply:
    key_id = _id_arg(call)
    if key_id is None:
        return ErrorReply(message="Give the key number from /apikey list, e.g. /apikey revoke 2.")
    await _keys(services).revoke(call.caller, key_id)
    return TextReply(text=f"API key #{key_id} revoked: it stops working now.", ephemeral=True)


async def _help(services: Services, call: Invocation) -> Reply:
    return command_help(CATALOG, call.args.get("command", ""))


CARD = Param("card", "a card name, set + number (sv3pt5 199) or id (OP05-119)", "card")
CATALOG: tuple[Command, ...] = (
    Command("price", "latest prices of a card per finish, source and condition", (
        CARD, Param("finish", "only this finish (holofoil, reverse_holofoil ...)", "choice", False,
                    tuple(f.value for f in Finish)),
        Param("condition", "only this condition or grade (NM, PSA 10 ...)", "text", False)), _price),
    Command("card", "card details: prices, changes, all-time high and low", (CARD,), _card),
    Command("chart", "price-history chart", (CARD, Param("period", "7d, 30d, 3m, 1y or all", "period", False),
                                             Param("source", f"only this source ({', '.join(PRICE_SOURCES)})", "choice",
                                                   False, PRICE_SOURCES),
                                             Param("theme", "dark or light", "choice", False, ("dark", "light"))), _chart),
    Command("search", "find cards", (Param("query", "what to look for"), Param("game", "pokemon or onepiece", "game", False)), _search),
    Command("watch", "add a card to your watchlist", (CARD,), _watch),
    Command("unwatch", "remove a watchlist entry", (Param("id", "the number from /watchlist (or the card, on text platforms)"),),
            _unwatch),
    Command("watchlist", "your watched cards with prices", (), _watchlist),
    Command("alert add", "alert me when a price crosses a line", (
        CARD, Param("kind", "below, above, pct_move, n_day_low, availability", "choice", True,
                    ("below", "above", "pct_move", "n_day_low", "availability")),
        Param("value", "price (below/above), percent (pct_move) or days (n_day_low)", "price", False, after="kind"),
        Param("currency", f"{', '.join(CURRENCIES)} (USD unless you say; Cardmarket prices are EUR)", "currency", False,
              after="value"),
        Param("window", "days a percent move may take (default 7)", "int", False, after="value")),
        _alert_add, read_words=read_alert_words),
    Command("alert list", "your alerts", (), _alert_list),
    Command("alert remove", "remove one of your alerts", (Param("id", "the alert number", "int"),), _alert_remove),
    Command("alert history", "when your alerts fired", (Param("id", "the alert number (all of yours without one)", "int",
                                                             required=False),), _alert_history),
    Command("trending", "biggest movers", (Param("game", "pokemon or onepiece", "game", False),
                                           Param("period", "24h, 7d or 30d", "period", False),
                                           Param("kind", "gainers, losers, most_watched", "choice", False, TRENDING_KINDS,
                                                 aliases=_TRENDING_WORDS)), _trending),
    Command("sets", "list sets", (Param("game", "pokemon or onepiece", "game", False),), _sets),
    Command("link", "link your Discord and Telegram accounts", (Param("code", "the code from the other platform", "text", False),), _link),
    Command("feed add", "post price moves in this channel (admins)", (
        Param("game", "pokemon or onepiece", "game", False), Param("min_move", "smallest move in %", "price", False),
        Param("min_price", "ignore cards below this price", "price", False, after="min_move"),
        Param("digest", "add a daily gainers/losers digest", "choice", False, ("digest",))), _feed_add, admin_only=True),
    Command("feed list", "the price feeds of this channel", (), _feed_list),
    Command("feed remove", "stop a price feed (admins)", (Param("id", "the feed number", "int"),), _feed_remove,
            admin_only=True),
    Command("apikey create", "a key for the HTTP API, shown once (acts as you)",
            (Param("name", "what it is for, e.g. spreadsheet", "text", False),), _apikey_create, private_only=True),
    Command("apikey list", "your HTTP API keys", (), _apikey_list),
    Command("apikey revoke", "stop an HTTP API key now", (Param("id", "the key number", "int"),), _apikey_revoke),
    Command("report", "tell us a card's price looks wrong (the wrong printing priced)",
            (CARD, Param("note", "what looks wrong, after a dash: /report sv3pt5 199 — the price is the jumbo's",
                         required=False)), _report, read_words=read_report_words),
    Command("export", "download everything we keep about you (JSON)", (), _export),
    Command("forget", "delete everything we keep about you", (Param("confirm", "type confirm", "choice", False,
                                                                     ("confirm",)),), _forget),
    Command("help", "what I can do", (Param("command", "a command to explain, e.g. alert", "text", False),), _help),
)
COMMANDS = {c.name: c for c in CATALOG}
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
    """'/trending pokemon 7d up': words no option takes end up in the first one, which is no free text."""
    first = command.params[0] if command.params else None
    value = call.args.get(first.name, "") if first else ""
    if first is None or first.kind in ("text", "card") or len(value.split()) < 2:
        return None
    return ErrorReply(message=f"/{command.name} does not understand “{value}”. {_how_to(command.name)}")


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
