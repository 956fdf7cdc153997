"""Pure price maths: asking-price aggregation for listings, and series statistics (changes, ATH/ATL,
volatility, trend, thin-market flag), periods and downsampling for history and charts."""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

MIN_SAMPLE = 3
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class AskingStats:
    median: Decimal
    low: Decimal
    high: Decimal
    sample_size: int  # listings kept after trimming
    discarded: int  # outliers removed
    confidence: str  # low, medium, high

    @property
    def thin(self) -> bool:
        return self.confidence == "low"


def _quantile(ordered: list[Decimal], q: float) -> Decimal:
    """Linear interpolation between closest ranks (the 'inclusive' method)."""
    position = (len(ordered) - 1) * q
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    fraction = Decimal(str(position - lower))
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction


def asking_price_stats(prices: list[Decimal], min_sample: int = MIN_SAMPLE) -> AskingStats | None:
    """Median of listings after dropping Tukey outliers (outside 1.5 IQR); None below the minimum sample.

    Listings are asking prices, not sales: one absurd listing must not move the number."""
    ordered = sorted(p for p in prices if p is not None and p > 0)
    if len(ordered) < min_sample:
        return None
    q1, q3 = _quantile(ordered, 0.25), _quantile(ordered, 0.75)
    spread = (q3 - q1) * Decimal("1.5")
    kept = [p for p in ordered if q1 - spread <= p <= q3 + spread]
    if len(kept) < min_sample:
        return None
    confidence = "low" if len(kept) < 5 else "medium" if len(kept) < 10 else "high"
    middle = Decimal(statistics.median(kept)).quantize(Decimal("0.01"))
    return AskingStats(middle, kept[0], kept[-1], len(kept), len(ordered) - len(kept), confidence)


# ---------------------------------------------------------------- series statistics

WINDOWS = {"24h": 1, "7d": 7, "30d": 30, "90d": 90}
TREND_RECENT_DAYS = 3  # TCGplayer's trend: a 3-day average against one 14 days back
TREND_SPAN_DAYS = 14
TREND_THRESHOLD = 0.05
THIN_SAMPLE = 5
THIN_POINTS_30D = 3


def money(cents: int | None) -> Decimal | None:
    """Integer cents as the exact decimal amount users see (12345 -> 123.45)."""
    return None if cents is None else Decimal(cents) / _HUNDRED


def to_cents(amount: Decimal | None) -> int | None:
    """An amount rounded to the cent (half to even), as price points are stored."""
    return None if amount is None else round(amount * 100)


class SeriesPoint(NamedTuple):
    """One price of a series, in integer cents as stored.

    A tuple of ints: a year's chart or stats card reads 365 of them per series, and the maths (extremes,
    changes, returns) runs on ints; a Decimal is made only for what is shown (`market`, `low`, `high`)."""

    ts: datetime
    market_cents: int | None
    low_cents: int | None = None
    high_cents: int | None = None
    sample_size: int | None = None

    @classmethod
    def of(cls, ts: datetime, market: Decimal | None, low: Decimal | None = None, high: Decimal | None = None,
           sample_size: int | None = None) -> SeriesPoint:
        """A point from money amounts, rounded to the cent like every stored price."""
        return cls(ts, to_cents(market), to_cents(low), to_cents(high), sample_size)

    @property
    def market(self) -> Decimal | None:
        return money(self.market_cents)

    @property
    def low(self) -> Decimal | None:
        return money(self.low_cents)

    @property
    def high(self) -> Decimal | None:
        return money(self.high_cents)


@dataclass(frozen=True, slots=True)
class Change:
    amount: Decimal
    percent: Decimal | None  # None when the old price was zero
    since: datetime


@dataclass(frozen=True, slots=True)
class SeriesStats:
    current: Decimal
    as_of: datetime
    low: Decimal  # lowest market price in the series
    high: Decimal
    changes: dict[str, Change | None]
    ath: tuple[Decimal, datetime]
    atl: tuple[Decimal, datetime]
    average: Decimal
    volatility: float | None  # stdev of daily log returns
    trend: str  # up, down, flat, unknown
    points: int
    thin: bool
    thin_reason: str | None
    age: timedelta


def _priced(points: list[SeriesPoint]) -> list[SeriesPoint]:
    return sorted((p for p in points if p.market_cents is not None and p.market_cents > 0), key=lambda p: p.ts)


def value_at(points: list[SeriesPoint], when: datetime) -> SeriesPoint | None:
    """The last point at or before `when` (points sorted by time)."""
    found = None
    for point in points:
        if point.ts > when:
            break
        found = point
    return found


def change_over(points: list[SeriesPoint], days: int, now: datetime) -> Change | None:
    """Newest price against the last one at or before now - days; n/a when that one is older than a
    further window (a "24h change" against a month-old price would be a lie)."""
    if not points:
        return None
    start = now - timedelta(days=days)
    old = value_at(points, start)
    if old is None or old.ts < start - timedelta(days=max(days, 1)):
        return None
    amount = points[-1].market_cents - old.market_cents
    percent = (Decimal(amount * 100) / old.market_cents).quantize(Decimal("0.01")) if old.market_cents else None
    return Change(money(amount), percent, old.ts)


def daily_log_returns(points: list[SeriesPoint]) -> list[float]:
    """One value per UTC day (the day's last), then log returns between consecutive days."""
    by_day: dict[date, int] = {}
    for point in points:
        by_day[point.ts.date()] = point.market_cents
    values = [v for _, v in sorted(by_day.items())]
    return [math.log(b / a) for a, b in zip(values, values[1:]) if a > 0 and b > 0]


def volatility(points: list[SeriesPoint]) -> float | None:
    returns = daily_log_returns(points)
    return statistics.stdev(returns) if len(returns) >= 2 else None


def trend_label(points: list[SeriesPoint], now: datetime) -> str:
    recent = [p.market_cents for p in points if p.ts > now - timedelta(days=TREND_RECENT_DAYS)]
    start = now - timedelta(days=TREND_SPAN_DAYS)
    earlier = [p.market_cents for p in points if start - timedelta(days=TREND_RECENT_DAYS) < p.ts <= start]
    if not recent or not earlier:
        return "unknown"
    ratio = statistics.fmean(recent) / statistics.fmean(earlier) - 1
    return "up" if ratio > TREND_THRESHOLD else "down" if ratio < -TREND_THRESHOLD else "flat"


def thin_market(points: list[SeriesPoint], now: datetime) -> str | None:
    """Why the numbers should not be read as precise, or None."""
    last = points[-1]
    if last.sample_size is not None and last.sample_size < THIN_SAMPLE:
        return f"only {last.sample_size} listings/sales behind the price"
    recent = sum(1 for p in points if p.ts > now - timedelta(days=30))  # `now` = the newest point
    if recent < THIN_POINTS_30D:
        return f"only {recent} price point{'s' if recent != 1 else ''} in the last 30 days"
    return None


def series_stats(points: list[SeriesPoint], now: datetime) -> SeriesStats | None:
    """Everything users read off a price series; None for a series without any price.

    Changes, trend and the thin-market check are measured back from the newest point (what the price
    did), and `age` says how old that point is (how stale the data is): two separate questions."""
    priced = _priced(points)
    if not priced:
        return None
    last = priced[-1]
    anchor = last.ts
    markets = [p.market_cents for p in priced]
    ath = max(priced, key=lambda p: (p.market_cents, p.ts))
    atl = min(priced, key=lambda p: (p.market_cents, -p.ts.timestamp()))
    thin = thin_market(priced, anchor)
    return SeriesStats(
        current=last.market,
        as_of=last.ts,
        low=money(min(markets)),
        high=money(max(markets)),
        changes={name: change_over(priced, days, anchor) for name, days in WINDOWS.items()},
        ath=(ath.market, ath.ts),
        atl=(atl.market, atl.ts),
        average=(Decimal(sum(markets)) / (100 * len(markets))).quantize(Decimal("0.01")),
        volatility=volatility(priced),
        trend=trend_label(priced, anchor),
        points=len(priced),
        thin=thin is not None,
        thin_reason=thin,
        age=now - last.ts,
    )


# ---------------------------------------------------------------- periods and downsampling

PERIODS = {"7d": 7, "30d": 30, "3m": 91, "1y": 365, "all": None}


class PeriodError(ValueError):
    """A period users cannot ask for; the message lists the ones they can."""


def parse_period(raw: str | None) -> tuple[str, int | None]:
    name = (raw or "30d").strip().lower()
    aliases = {"1w": "7d", "week": "7d", "1m": "30d", "month": "30d", "90d": "3m", "12m": "1y", "year": "1y",
               "365d": "1y", "max": "all"}
    name = aliases.get(name, name)
    if name not in PERIODS:
        raise PeriodError(f"Unknown period “{raw}”. Use one of: {', '.join(PERIODS)}.")
    return name, PERIODS[name]


def downsample(points: list[SeriesPoint], max_points: int = 400) -> list[SeriesPoint]:
    """Long periods: one point per time bucket (the bucket's last market, its lowest low and highest high)."""
    if len(points) <= max_points:
        return points
    first, last = points[0].ts.timestamp(), points[-1].ts.timestamp()
    width = (last - first) / max_points or 1
    buckets: dict[int, list[SeriesPoint]] = {}
    for point in points:
        buckets.setdefault(min(int((point.ts.timestamp() - first) / width), max_points - 1), []).append(point)
    out = []
    for _, members in sorted(buckets.items()):
        lows = [m.low_cents for m in members if m.low_cents is not None]
        highs = [m.high_cents for m in members if m.high_cents is not None]
        tail = members[-1]
        out.append(SeriesPoint(tail.ts, tail.market_cents, min(lows) if lows else None,
                               max(highs) if highs else None, tail.sample_size))
    return out
