"""History use cases: a printing's series and statistics, chart images, trending across a game."""
from __future__ import annotations

import asyncio
import heapq
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Awaitable, Callable, Protocol

from core import charts
from core.charts import ChartSeries, ChartSpec
from core.models import Card, CardSet, Finish, Game, utcnow
from core.prices import PRICE_SOURCES, condition_label
from core.pricing import (
    THIN_SAMPLE, PeriodError, SeriesPoint, SeriesStats, downsample, parse_period, series_stats,
)

TRENDING_WINDOWS = {"24h": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}
TRENDING_KINDS = ("gainers", "losers", "most_watched")
DEFAULT_MIN_PRICE_CENTS = 100  # penny cards never top the list


class HistoryError(ValueError):
    """Bad history request (unknown source, period, kind); the message is for the user."""


class UnknownSource(LookupError, HistoryError):
    """A source name we hold no prices from (a 404 to the HTTP API, a friendly message in chat)."""


class HistoryQueries(Protocol):
    async def series(self, canonical_id: str, since: datetime | None = None, source: str | None = None,
                     condition: int | None = None) -> dict[Any, list[SeriesPoint]]: ...

    async def source_names(self) -> list[str]: ...

    async def movers(self, game: Game, window: timedelta, now: datetime, min_price_cents: int,
                     source: str | None = None, min_sample: int = 0) -> list[Any]: ...

    async def most_watched(self, game: Game, since: datetime, limit: int) -> list[tuple[str, int]]: ...


@dataclass(frozen=True)
class PrintingHistory:
    finish: str
    variant: str
    source: str
    condition: str
    currency: str
    points: list[SeriesPoint]
    stats: SeriesStats | None

    @property
    def label(self) -> str:
        printing = self.finish.replace("_", " ") + (f" ({self.variant.replace('_', ' ')})" if self.variant else "")
        return f"{self.source} · {printing}"


@dataclass(frozen=True)
class TrendingEntry:
    card_id: str
    detail: Any  # a Mover for gainers/losers, an int (adds) for most_watched


ChartRenderer = Callable[[ChartSpec], Awaitable[bytes]]


async def render_in_thread(spec: ChartSpec) -> bytes:
    return await asyncio.to_thread(charts.render_chart, spec)


class HistoryService:
    def __init__(self, queries: HistoryQueries, clock: Callable[[], datetime] = utcnow,
                 max_chart_points: int = 400, renderer: ChartRenderer | None = None,
                 trending_cache: timedelta = timedelta(0), trending_min_sample: int = THIN_SAMPLE,
                 chart_theme: str = "dark") -> None:
        """`renderer`: how a chart leaves the event loop (a worker thread by default; the service uses a
        process pool, because matplotlib holds the GIL long enough to stall a busy loop).
        `trending_cache`: how long a trending list is reused (a pass over every series takes ~0.5 s on a
        full catalog, and prices change at most a few times a day).
        `trending_min_sample`: the fewest listings/sales behind either price of a move, where the source
        reports them (eBay): a spike on one sale is not a trend. Sources without counts are not filtered.
        `chart_theme`: the theme of a chart nobody chose one for (the operator's `[history] chart_theme`)."""
        self._queries = queries
        self._theme = chart_theme
        self._clock = clock
        self._max_points = max_chart_points
        self._render = renderer or render_in_thread
        self._trending_ttl = trending_cache
        self._min_sample = trending_min_sample
        self._trending: dict[tuple, tuple[datetime, list[TrendingEntry]]] = {}

    async def _check_source(self, source: str | None) -> None:
        if source is None:
            return
        known = await self._queries.source_names()
        if source not in known:
            have = ', '.join(known) or 'none yet'
            if source in PRICE_SOURCES:  # a real source this deployment does not collect (yet)
                raise UnknownSource(f"No {source} prices here yet. Sources with prices: {have}.")
            raise UnknownSource(f"Unknown source “{source}”. Known sources: {have}.")

    async def history(self, card: Card, period: str | None = "30d", source: str | None = None,
                      condition: int | None = None, now: datetime | None = None) -> list[PrintingHistory]:
        """Series per printing/source/condition in the period (downsampled), stats over all history."""
        try:
            _, days = parse_period(period)
        except PeriodError as err:
            raise HistoryError(str(err)) from err
        await self._check_source(source)
        now = now or self._clock()
        since = now - timedelta(days=days) if days else None
        everything = await self._queries.series(card.canonical_id, None, source, condition)
        out = []
        for key, points in everything.items():
            shown = [p for p in points if since is None or p.ts >= since]
            out.append(PrintingHistory(key.finish.value, key.variant, key.source, condition_label(key.condition),
                                       key.currency, downsample(shown, self._max_points), series_stats(points, now)))
        out.sort(key=lambda h: (h.variant != "", h.condition != "raw (market)", h.source, h.finish))
        return out

    async def chart(self, card: Card, card_set: CardSet | None, period: str | None = "30d",
                    source: str | None = None, theme: str | None = None, now: datetime | None = None,
                    condition: int | None = None, finish: Finish | None = None) -> bytes:
        """PNG of the plain printings' prices (the raw market price unless a condition or grade is asked for;
        every finish unless one is); rendered off the event loop."""
        theme = theme or self._theme
        if theme not in charts.THEMES:
            raise HistoryError(f"Unknown theme “{theme}”. Use dark or light.")
        histories = [h for h in await self.history(card, period, source, condition, now=now)
                     if h.points and not h.variant and (finish is None or h.finish == finish.value)]
        spec = chart_spec(card, card_set, period or "30d", histories, theme, condition, finish)
        png = await self._render(spec)
        return charts.clamp_size(png)

    async def trending(self, game: Game, period: str = "7d", kind: str = "gainers", limit: int = 10,
                       min_price_cents: int = DEFAULT_MIN_PRICE_CENTS, source: str | None = None,
                       now: datetime | None = None) -> list[TrendingEntry]:
        if period not in TRENDING_WINDOWS:
            raise HistoryError(f"Unknown period “{period}”. Use one of: {', '.join(TRENDING_WINDOWS)}.")
        if kind not in TRENDING_KINDS:
            raise HistoryError(f"Unknown list “{kind}”. Use one of: {', '.join(TRENDING_KINDS)}.")
        if not 1 <= limit <= 100:
            raise HistoryError("Show between 1 and 100 cards.")
        await self._check_source(source)
        if now is not None or not self._trending_ttl:  # an as-of question is never served from the cache
            return await self._compute_trending(game, period, kind, limit, min_price_cents, source, now or self._clock())
        key, current = (game, period, kind, min_price_cents, source), self._clock()
        cached = self._trending.get(key)
        if cached is None or current >= cached[0]:  # the top 100 once; every shorter list is a slice of it
            entries = await self._compute_trending(game, period, kind, 100, min_price_cents, source, current)
            self._trending = {k: v for k, v in self._trending.items() if current < v[0]}  # drop the expired
            self._trending[key] = cached = (current + self._trending_ttl, entries)
        return cached[1][:limit]

    async def _compute_trending(self, game: Game, period: str, kind: str, limit: int, min_price_cents: int,
                                source: str | None, now: datetime) -> list[TrendingEntry]:
        window = TRENDING_WINDOWS[period]
        if kind == "most_watched":
            rows = await self._queries.most_watched(game, now - window, limit)
            return [TrendingEntry(card_id, count) for card_id, count in rows]
        movers = await self._queries.movers(game, window, now, min_price_cents, source, self._min_sample)
        rising = kind == "gainers"
        chosen = [m for m in movers if (m.new_cents > m.old_cents if rising else m.new_cents < m.old_cents)]
        sign = -1 if rising else 1  # exact ratios, no Decimal per series: ~50k of them on a full catalog
        top = heapq.nsmallest(limit, chosen, key=lambda m: (sign * m.new_cents / m.old_cents, m.card_id))
        return [TrendingEntry(m.card_id, m) for m in top]


def chart_spec(card: Card, card_set: CardSet | None, period: str, histories: list[PrintingHistory],
               theme: str, condition: int | None = None, finish: Finish | None = None) -> ChartSpec:
    set_name = card_set.name if card_set else card.set_code
    title = f"{card.name} · {set_name} · {card.display_number}"
    if not histories:
        asked = "".join(f"{what} " for what in (finish and finish.label, condition is not None and condition_label(condition))
                        if what)
        return ChartSpec(title, f"{period} · no {asked}prices yet", "", [], theme)
    currency = histories[0].currency
    same = [h for h in histories if h.currency == currency and h.condition == histories[0].condition][:4]
    notes = []
    if len(same) < len(histories):
        notes.append("other currencies/conditions not shown")
    if any(h.stats and h.stats.thin for h in same):
        notes.append("thin market: few sales behind some prices")
    subtitle = f"{histories[0].condition} · {currency} · {period}"
    series = [ChartSeries(h.label, h.points) for h in same]
    return ChartSpec(title, subtitle, currency, series, theme, notes)


def percent_text(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}%"
