"""Looking cards up: prices, details, charts, search, sets and trending."""
from __future__ import annotations

from adapters.command_base import Invocation, Services, card_reply, finish_arg, game_arg, resolve
from adapters.replies import CardReply, ChartReply, ErrorReply, ListReply, Reply
from core.alert_service import parse_condition, take_condition
from core.models import Finish, Game, format_cents, printing_label, take_finish
from core.prices import RAW_MARKET, condition_label
from core.search import Ambiguous, NotFound, SearchFilters


def card_words(call: Invocation) -> tuple[str | None, str | None, Finish | None]:
    """The card text, and the condition and finish asked for: the options when given, else typed inside the
    card text ('/price charizard ex 151 psa 10', '/watch charmander 151 reverse holo')."""
    query, condition, finish = call.args.get("card"), call.args.get("condition"), finish_arg(call.args.get("finish"))
    if query and not condition:
        query, condition = take_condition(query)
    if query and finish is None:
        query, finish = take_finish(query)
    return query, condition, finish


async def run_price(services: Services, call: Invocation) -> Reply:
    query, said, finish = card_words(call)
    card = await resolve(services, query, "price")
    if isinstance(card, Reply):
        return card
    condition = parse_condition(said) if said else None
    return await card_reply(services, card, finish, condition)


async def run_card(services: Services, call: Invocation) -> Reply:
    """Details: prices plus the main series' statistics (change, all-time high/low, trend); of one grade or
    condition when one is typed with the card."""
    query, said, finish = card_words(call)
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


async def run_chart(services: Services, call: Invocation) -> Reply:
    query, said, finish = card_words(call)
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


async def run_search(services: Services, call: Invocation) -> Reply:
    query = call.args.get("query")
    if not query:
        return ErrorReply(message="Search for what? Try “charizard ex 151” or “luffy sec op05”.")
    game = game_arg(call.args.get("game"))
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


async def run_trending(services: Services, call: Invocation) -> Reply:
    game = game_arg(call.args.get("game")) or Game.POKEMON
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
            rows.append(f"{name} · {series_label(m.finish, m.variant, m.condition)} ({m.source}): "
                        f"{format_cents(m.old_cents, m.currency)} → {format_cents(m.new_cents, m.currency)} ({m.percent:+}%)")
    title = f"{game.label} {kind.replace('_', ' ')} · {period}"
    none = "no one started watching a card" if kind == "most_watched" else "nothing moved enough to list"
    return ListReply(title=title, rows=tuple(rows), empty=f"{title}: {none}.")  # says what was asked


def series_label(finish: str, variant: str | None, condition: int) -> str:
    """'Holofoil (jumbo)', 'Holofoil · PSA 10': one card's printings and grades move apart, so a list of
    moves names which one moved (the raw market price goes unsaid)."""
    label = printing_label(finish, variant)
    return label if condition == RAW_MARKET else f"{label} · {condition_label(condition)}"


async def run_sets(services: Services, call: Invocation) -> Reply:
    game = game_arg(call.args.get("game"))
    sets = (await services.catalog.index()).list_sets(game)
    return ListReply(title="Sets", rows=tuple(f"{s.code} · {s.name}" + (f" · {s.release_date}" if s.release_date else "")
                                              for s in sets[:50]))
