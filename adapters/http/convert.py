"""Core values -> API shapes."""
from __future__ import annotations

from decimal import Decimal

from adapters.http import schemas as s
from core.history_service import PrintingHistory
from core.models import Card, CardSet, Money
from core.prices import cents_str, condition_label
from core.pricing import SeriesStats
from core.search import CatalogIndex
from core.services_types import LatestPrice


def money(cents: int | None) -> str | None:
    return None if cents is None else str(Money.from_cents(cents, "").amount)


def percent(value: Decimal | float | None) -> str | None:
    return None if value is None else f"{Decimal(str(value)).quantize(Decimal('0.01'))}"


def card_out(card: Card, index: CatalogIndex) -> s.CardOut:
    card_set = index.set_of(card)
    return s.CardOut(id=card.canonical_id, game=card.game.value, name=card.name,
                     set=s.SetBrief(code=card.set_code, name=card_set.name if card_set else None), number=card.number,
                     rarity=card.rarity, supertype=card.supertype, image_url=card.image_url, language=card.language,
                     variant=card.variant)


def set_out(card_set: CardSet) -> s.SetOut:
    return s.SetOut(code=card_set.code, name=card_set.name, game=card_set.game.value, series=card_set.series,
                    release_date=card_set.release_date, printed_total=card_set.printed_total, total=card_set.total)


def price_out(line: LatestPrice) -> s.PriceOut:
    return s.PriceOut(finish=line.finish.value, variant=line.variant, source=line.source,
                      condition=condition_label(line.condition), currency=line.currency,
                      market=money(line.market_cents), low=money(line.low_cents), mid=money(line.mid_cents),
                      high=money(line.high_cents), sample_size=line.sample_size, as_of=line.as_of,
                      change_percent=percent(line.change_percent), previous_as_of=line.prev_as_of)


def summary_out(stats: SeriesStats, period_change: s.ChangeOut | None) -> s.SeriesSummary:
    changes = {window: None if c is None else s.ChangeOut(amount=cents_str(c.amount), percent=percent(c.percent),
                                                         since=c.since)
               for window, c in stats.changes.items()}
    return s.SeriesSummary(
        current=cents_str(stats.current), as_of=stats.as_of, avg_price=cents_str(stats.average),
        low=cents_str(stats.low), high=cents_str(stats.high), change=changes,
        change_percent=period_change.percent if period_change else None,
        ath=s.Extreme(price=cents_str(stats.ath[0]), at=stats.ath[1]),
        atl=s.Extreme(price=cents_str(stats.atl[0]), at=stats.atl[1]),
        volatility=None if stats.volatility is None else round(stats.volatility, 6), trend=stats.trend,
        points=stats.points, thin_market=stats.thin, thin_reason=stats.thin_reason)


def series_out(history: PrintingHistory) -> s.SeriesOut:
    points = [s.HistoryPoint(t=p.ts, market=cents_str(p.market), low=cents_str(p.low),
                             high=cents_str(p.high)) for p in history.points]
    priced = [p for p in history.points if p.market_cents is not None and p.market_cents > 0]  # on the stored cents
    period_change = None
    if len(priced) >= 2:
        first, last = priced[0], priced[-1]
        moved = last.market_cents - first.market_cents
        period_change = s.ChangeOut(amount=money(moved), percent=percent(Decimal(moved) * 100 / first.market_cents),
                                    since=first.ts)
    summary = summary_out(history.stats, period_change) if history.stats else None
    return s.SeriesOut(source=history.source, finish=history.finish, variant=history.variant,
                       condition=history.condition, currency=history.currency, points=points, summary=summary)
