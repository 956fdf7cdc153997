"""Watchlists and alert rules: what a person follows, and the notes that say what a new rule waits for."""
from __future__ import annotations

import re

from adapters.card_commands import card_words, series_label
from adapters.command_base import Invocation, Services, id_arg, resolve
from adapters.replies import ChoiceReply, ErrorReply, ListReply, Reply, TextReply
from core.alert_service import parse_condition
from core.alerts import watched_for
from core.models import Card, Finish, format_cents, printing_label, utcnow
from core.price_service import format_age
from core.prices import RAW_MARKET, condition_label
from core.search import NotFound, Resolved


async def run_watch(services: Services, call: Invocation) -> Reply:
    query, said, finish = card_words(call)
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


async def run_unwatch(services: Services, call: Invocation) -> Reply:
    item = id_arg(call)
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


async def run_watchlist(services: Services, call: Invocation) -> Reply:
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
                    f"{series_label(line.finish, line.variant, line.condition)}: {price}")
    return ListReply(title="Your watchlist", rows=tuple(rows), empty="Your watchlist is empty. Add cards with /watch.",
                     ephemeral=True)


async def run_alert_add(services: Services, call: Invocation) -> Reply:
    query, said, finish = card_words(call)
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
    what = f"{series_label(rule.finish, rule.variant, rule.condition)}, {_watched_for(rule)}" if rule else kind
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


async def run_alert_list(services: Services, call: Invocation) -> Reply:
    rules = await services.alerts.rules(call.caller)
    index = await services.catalog.index()
    names = {r.card_id: f"{card.name} · " for r in rules if (card := index.get(r.card_id))}
    rows = tuple(
        f"#{r.id} {names.get(r.card_id, '')}{r.card_id} {series_label(r.finish, r.variant, r.condition)} · {_watched_for(r)}"
        f" · {'paused: ' + r.paused_reason if not r.active else r.state}"
        for r in rules)
    return ListReply(title="Your alerts", rows=rows, empty="No alerts yet. Add one with /alert add.", ephemeral=True)


def _rule_id(call: Invocation) -> int | ErrorReply:
    rule_id = id_arg(call)
    return rule_id if rule_id is not None else ErrorReply(message="Give the alert number from /alert list, e.g. 12.")


async def run_alert_remove(services: Services, call: Invocation) -> Reply:
    rule_id = _rule_id(call)
    if isinstance(rule_id, Reply):
        return rule_id
    await services.alerts.remove_rule(call.caller, rule_id)
    return TextReply(text=f"Alert #{rule_id} removed.", ephemeral=True)


async def run_alert_history(services: Services, call: Invocation) -> Reply:
    rule_id = _rule_id(call) if call.args.get("id") else None
    if isinstance(rule_id, Reply):
        return rule_id
    rows = await services.alerts.rule_history(call.caller, rule_id)
    which = (lambda h: "") if rule_id is not None else (lambda h: f"#{h.rule_id} · ")
    return ListReply(title=f"Alert #{rule_id} history" if rule_id is not None else "Your alert history", rows=tuple(
        f"{which(h)}{h.created_at:%Y-%m-%d %H:%M} UTC · {h.status}{' · ' + h.detail if h.detail else ''}" for h in rows),
        empty="It has not fired yet." if rule_id is not None else "None of your alerts has fired yet.", ephemeral=True)
