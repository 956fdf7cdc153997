"""History reads: one printing's series by period, and trending moves across a game."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache, partial
from typing import NamedTuple

from sqlalchemy import and_, bindparam, case, func, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from core.models import Finish, Game
from core.prices import CURRENCY_BY_CODE, epoch, from_epoch
from core.pricing import SeriesPoint
from storage.sqlite_inline import InlineReader
from storage.tables import (
    alert_rules,
    cards,
    data_sources,
    latest_prices,
    price_history,
    printings,
    watchlist_items,
)


@dataclass(frozen=True, slots=True)
class SeriesKey:
    printing_id: int
    finish: Finish
    variant: str
    source: str
    condition: int
    currency: str


class Mover(NamedTuple):
    """One series' move over a window (a tuple: a trending pass builds ~50k of them)."""

    card_id: str
    finish: Finish
    variant: str
    source: str
    condition: int
    currency: str
    old_cents: int
    new_cents: int
    old_ts: datetime
    new_ts: datetime

    @property
    def percent(self) -> Decimal:
        return (Decimal(self.new_cents - self.old_cents) / self.old_cents * 100).quantize(Decimal("0.01"))


class _Interned(dict):
    """key -> value, made once and shared (dict lookups in C on a hit; cleared when full).

    Daily snapshots share their timestamps across every printing, so a year of any printing reads the
    same 365 datetimes: building one per row was a fifth of the read."""

    def __init__(self, make, limit: int) -> None:  # noqa: ANN001 - any one-argument factory
        super().__init__()
        self._make, self._limit = make, limit

    def __missing__(self, key):  # noqa: ANN001, ANN204
        if len(self) >= self._limit:
            self.clear()
        value = self[key] = self._make(key)
        return value


_WHEN = _Interned(from_epoch, 1 << 14)
_POINT = partial(tuple.__new__, SeriesPoint)  # SeriesPoint(...) without its Python-level __new__


def _points(rows: list[tuple]) -> list[SeriesPoint]:
    """(ts, market, low, high, sample_size) rows as points, built column by column in C (zip and map).

    Prices stay integer cents as stored: Decimals were 0.25-0.3 ms of a year's read (three per row),
    and most of them were never shown (core.pricing computes on the cents)."""
    if not rows:
        return []
    ts, market, low, high, sample = zip(*rows)
    return list(map(_POINT, zip(map(_WHEN.__getitem__, ts), market, low, high, sample)))


# The hottest read (a chart, a stats card): a fixed text statement skips building and compiling a
# Select per call (~0.3 ms of a ~1 ms read on SQLite).
_BEFORE_ANY = -(2 ** 62)  # `since` of a whole history
_PRINTING_SERIES = text(
    "SELECT ts, market_cents, low_cents, high_cents, sample_size FROM price_history WHERE printing_id = :printing"
    " AND source_id = :source AND condition = :condition AND currency = :currency AND ts >= :since ORDER BY ts"
)


@lru_cache(maxsize=4)
def _card_series_query(by_source: bool, by_condition: bool):  # noqa: ANN202 - a Select
    """Built once per filter combination, not per read (building a Select costs ~0.1 ms)."""
    ph, p, c, ds = price_history.c, printings.c, cards.c, data_sources.c
    query = (
        select(ph.printing_id, p.finish, p.variant, ds.name, ph.condition, ph.currency, ph.ts, ph.market_cents,
               ph.low_cents, ph.high_cents, ph.sample_size)
        .select_from(price_history.join(printings, p.id == ph.printing_id).join(cards, c.id == p.card_id)
                     .join(data_sources, ds.id == ph.source_id))
        .where(c.canonical_id == bindparam("card"), ph.ts >= bindparam("since"))
        .order_by(ph.printing_id, ph.source_id, ph.condition, ph.currency, ph.ts)
    )
    if by_source:
        query = query.where(ds.name == bindparam("source"))
    if by_condition:
        query = query.where(ph.condition == bindparam("condition"))
    return query


@lru_cache(maxsize=4)
def _card_series_sqlite(by_source: bool, by_condition: bool) -> tuple[str, tuple[str, ...]]:
    """The same statement as SQLite text for the inline reader, with its parameter names in order."""
    compiled = _card_series_query(by_source, by_condition).compile(dialect=sqlite.dialect())
    return str(compiled), tuple(compiled.positiontup or ())


def _series_match(h, lp):  # noqa: ANN001, ANN202 - SQLAlchemy columns
    return (h.printing_id == lp.printing_id, h.source_id == lp.source_id, h.condition == lp.condition,
            h.currency == lp.currency)


def _before(cutoff: int, column):  # noqa: ANN001, ANN202 - SQLAlchemy expressions
    """The newest history value at or before `cutoff` for the outer latest_prices row: one PK seek."""
    h = price_history.c
    return (
        select(column).where(*_series_match(h, latest_prices.c), h.ts <= cutoff)
        .order_by(h.ts.desc()).limit(1).correlate(latest_prices).scalar_subquery()
    )


def _newest_at(end: int, column: str):  # noqa: ANN202 - SQLAlchemy expression
    """The series' newest value at `end`: latest_prices holds it unless `end` is in the past (as-of queries)."""
    lp = latest_prices.c
    return case((lp.ts <= end, lp[column]), else_=_before(end, price_history.c[column]))


def _movers_query(game: Game, end: int, cutoff: int, source: str | None):  # noqa: ANN202 - a Select
    """Per series: its newest point at `end` (from latest_prices) and the point at or before `cutoff` (one
    seek for its time, one primary-key lookup for the row): two seeks per series, not four."""
    lp, p, c, ds = latest_prices.c, printings.c, cards.c, data_sources.c
    old = price_history.alias("old")
    h = price_history.c
    old_ts = (select(func.max(h.ts)).where(*_series_match(h, lp), h.ts <= cutoff)
              .correlate(latest_prices).scalar_subquery())
    query = (
        select(c.canonical_id, p.finish, p.variant, ds.name, lp.condition, lp.currency,
               _newest_at(end, "ts").label("new_ts"), _newest_at(end, "market_cents").label("new_cents"),
               _newest_at(end, "sample_size").label("new_n"), old.c.ts.label("old_ts"),
               old.c.market_cents.label("old_cents"), old.c.sample_size.label("old_n"))
        .select_from(latest_prices.join(printings, p.id == lp.printing_id).join(cards, c.id == p.card_id)
                     .join(data_sources, ds.id == lp.source_id)
                     .join(old, and_(*_series_match(old.c, lp), old.c.ts == old_ts)))
        .where(c.game == game.value)
    )
    return query if source is None else query.where(ds.name == source)


class SqlHistoryQueries:
    def __init__(self, engine: AsyncEngine, inline_reads: bool = True) -> None:
        """`inline_reads`: on an SQLite file, read history ranges on the loop's thread (storage.sqlite_inline)."""
        self._engine = engine
        self._inline = InlineReader.for_engine(engine) if inline_reads else None

    async def _rows(self, statement, params: dict, inline_sql: str, inline_params) -> list:  # noqa: ANN001
        """Rows of a history range read: inline on SQLite when the reader can answer at once, else pooled."""
        if self._inline is not None:
            rows = await self._inline.fetch(inline_sql, inline_params)
            if rows is not None:
                return rows
        async with self._engine.connect() as conn:
            return (await conn.execute(statement, params)).all()

    def close(self) -> None:
        if self._inline is not None:
            self._inline.close()

    async def series(
        self, canonical_id: str, since: datetime | None = None, source: str | None = None,
        condition: int | None = None,
    ) -> dict[SeriesKey, list[SeriesPoint]]:
        """A card's points grouped by printing/source/condition/currency: one PK range scan per printing."""
        params = {"card": canonical_id, "since": epoch(since) if since is not None else _BEFORE_ANY,
                  "source": source, "condition": condition}
        filters = (source is not None, condition is not None)
        sql, names = _card_series_sqlite(*filters)
        grouped: dict[SeriesKey, list[tuple]] = {}
        head, rows = None, []
        for r in await self._rows(_card_series_query(*filters), params, sql, [params[n] for n in names]):
            if r[:6] != head:  # rows come ordered by series: one key per series, not per row
                head = r[:6]
                key = SeriesKey(r[0], Finish(r[1]), r[2], r[3], r[4], CURRENCY_BY_CODE.get(r[5], "?"))
                rows = grouped.setdefault(key, [])
            rows.append(r[6:])
        return {key: _points(rows) for key, rows in grouped.items()}

    async def printing_series(self, printing_id: int, source_id: int, condition: int, currency: int,
                              since: datetime | None = None) -> list[SeriesPoint]:
        """One printing's points for one source/condition/currency: a single primary-key range scan."""
        params = {"printing": printing_id, "source": source_id, "condition": condition, "currency": currency,
                  "since": epoch(since) if since is not None else _BEFORE_ANY}
        return _points(await self._rows(_PRINTING_SERIES, params, _PRINTING_SERIES.text, params))

    async def source_names(self) -> list[str]:
        async with self._engine.connect() as conn:
            return [r[0] for r in await conn.execute(select(data_sources.c.name).order_by(data_sources.c.name))]

    async def movers(
        self, game: Game, window: timedelta, now: datetime, min_price_cents: int, source: str | None = None,
        min_sample: int = 0,
    ) -> list[Mover]:
        """For every series of a game: its newest price at or before `now` against the newest at or before
        `now - window`. Both prices must be at least `min_price_cents`, and where the source says how many
        listings/sales stand behind a price (eBay), at least `min_sample` of them: one sale is not a trend."""
        end, cutoff = epoch(now), epoch(now - window)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_movers_query(game, end, cutoff, source))).all()
        stale_before = cutoff - int(window.total_seconds())  # the old price must be from the window before
        when, currency = _WHEN, CURRENCY_BY_CODE.get
        return [  # positional unpacking: attribute access on 50k rows cost more than the query
            Mover(card, Finish(finish), variant, name, condition, currency(code, "?"), old_cents, new_cents,
                  when[old_ts], when[new_ts])
            for card, finish, variant, name, condition, code, new_ts, new_cents, new_n, old_ts, old_cents, old_n in rows
            if new_ts is not None and new_ts > cutoff and old_ts >= stale_before
            and old_cents and new_cents and min(old_cents, new_cents) >= min_price_cents
            and (new_n is None or new_n >= min_sample) and (old_n is None or old_n >= min_sample)
        ]

    async def most_watched(self, game: Game, since: datetime, limit: int) -> list[tuple[str, int]]:
        """Cards by how many watchlist entries and alert rules were added since `since`."""
        c, p = cards.c, printings.c
        watched = select(watchlist_items.c.printing_id.label("pid")).where(watchlist_items.c.created_at >= since)
        alerted = select(alert_rules.c.printing_id.label("pid")).where(alert_rules.c.created_at >= since)
        both = watched.union_all(alerted).subquery()
        query = (
            select(c.canonical_id, func.count().label("n"))
            .select_from(both.join(printings, p.id == both.c.pid).join(cards, c.id == p.card_id))
            .where(c.game == game.value).group_by(c.canonical_id).order_by(func.count().desc(), c.canonical_id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [(r[0], r[1]) for r in await conn.execute(query)]
