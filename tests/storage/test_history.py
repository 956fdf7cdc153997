"""History on SQLite and PostgreSQL: the real Cardmarket ST-05 series replayed, periods, errors."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from core.history_service import HistoryError, HistoryService
from core.models import Game
from core.services import CatalogService
from core.sources import cardmarket
from storage.catalog_repo import SqlCatalogRepository
from storage.history_repo import SqlHistoryQueries
from storage.price_repo import SqlPriceStore
from tests.conftest import SAMPLE_DIR, shared


def guides():
    root = shared("onepiece", "cardmarket_price_guide_18", "PriceHistory")
    payloads = [json.loads(p.read_text()) for p in sorted(root.rglob("*.json"))]
    return sorted(payloads, key=cardmarket.guide_date)


@pytest.fixture
async def replay(engine):
    """Catalog + a function that ingests the ST-05 guides up to a day, like daily collection would."""
    catalog = CatalogService(SqlCatalogRepository(engine))
    await catalog.import_files(onepiece=SAMPLE_DIR / "onepiece")
    index = await catalog.index()
    store = SqlPriceStore(engine)
    payloads = guides()
    names = cardmarket.product_names(payloads)
    matches = cardmarket.product_keys(names, index)
    done = set()

    async def until(day: str) -> datetime:
        stop = datetime.fromisoformat(day).replace(tzinfo=timezone.utc)
        for payload in payloads:
            ts = cardmarket.guide_date(payload)
            if ts <= stop and ts not in done:
                await store.ingest(cardmarket.guide_unit(payload, names, matches))
                done.add(ts)
        return stop + timedelta(hours=12)

    return until, index, HistoryService(SqlHistoryQueries(engine))


@pytest.mark.shared_data
async def test_douglas_bullet_rises_then_falls_in_trending(replay):
    until, _, history = replay
    now = await until("2025-12-01")
    gainers = await history.trending(Game.ONE_PIECE, "30d", "gainers", min_price_cents=50, now=now)
    assert gainers[0].card_id == "ST05-011"
    assert (gainers[0].detail.old_cents, gainers[0].detail.new_cents) == (330, 602)
    now = await until("2026-01-15")
    losers = await history.trending(Game.ONE_PIECE, "30d", "losers", min_price_cents=50, now=now)
    assert losers[0].card_id == "ST05-011" and str(losers[0].detail.percent) == "-37.36"
    assert all(e.card_id != "ST05-011" for e in await history.trending(Game.ONE_PIECE, "30d", "gainers", now=now))


@pytest.mark.shared_data
async def test_penny_cards_do_not_dominate(replay):
    until, _, history = replay
    now = await until("2025-11-01")  # Buena Festa jumps 0.19 -> 0.46 EUR on a single sale
    gainers = await history.trending(Game.ONE_PIECE, "30d", "gainers", min_price_cents=100, now=now)
    assert "ST05-014" not in [g.card_id for g in gainers]
    assert gainers[0].card_id == "ST05-011"


@pytest.mark.shared_data
async def test_history_stats_and_thin_flag(replay):
    until, index, history = replay
    now = await until("2026-08-01")
    [series] = await history.history(index.get("ST05-011"), "all", now=now)
    assert (series.source, series.currency, series.finish) == ("cardmarket", "EUR", "normal")
    assert len(series.points) == 16
    assert str(series.stats.ath[0]) == "6.21" and series.stats.ath[1].date().isoformat() == "2025-12-15"
    assert str(series.stats.atl[0]) == "0.92"
    assert series.stats.thin and "1 price point" in series.stats.thin_reason  # monthly guides by then
    week = await history.history(index.get("ST05-011"), "7d", now=now)
    assert len(week[0].points) == 1


async def test_bad_requests_get_clear_messages(engine, sample_index):
    history = HistoryService(SqlHistoryQueries(engine))
    card = sample_index.get("sv3pt5-199")
    with pytest.raises(HistoryError, match="Unknown period"):
        await history.history(card, "fortnight")
    with pytest.raises(HistoryError, match="Unknown source “nope”"):
        await history.history(card, "30d", source="nope")
    with pytest.raises(HistoryError, match="No ebay prices here yet. Sources with prices: "):
        await history.history(card, "30d", source="ebay")  # a source we know, not collected here
    with pytest.raises(HistoryError, match="Unknown list"):
        await history.trending(Game.POKEMON, "7d", "best")
    with pytest.raises(HistoryError, match="Unknown period"):
        await history.trending(Game.POKEMON, "1y")
    assert await history.history(card, "30d") == []  # empty history is an answer, not an error


async def test_printing_series_reads_one_printing(engine):
    from storage.history_repo import SqlHistoryQueries
    from tests.storage.test_ingest import CHARIZARD, DAY1, DAY2, obs, unit

    catalog = CatalogService(SqlCatalogRepository(engine))
    await catalog.import_files(SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")
    store = SqlPriceStore(engine)
    await store.ingest(unit(obs("1", CHARIZARD, "112.35")))
    await store.ingest(unit(obs("1", CHARIZARD, "110.00", ts=DAY2), ts=DAY2))
    queries = SqlHistoryQueries(engine)
    [key] = (await queries.series("sv3pt5-199")).keys()
    source_id = await store.source_id("tcgcsv")
    points = await queries.printing_series(key.printing_id, source_id, 0, 1)
    assert [(p.ts, str(p.market)) for p in points] == [(DAY1, "112.35"), (DAY2, "110")]


def test_interned_timestamps_are_shared_and_the_table_stays_bounded():
    from core.prices import from_epoch
    from storage.history_repo import _Interned

    when = _Interned(from_epoch, limit=3)
    first = when[1_700_000_000]
    assert first is when[1_700_000_000] and first.tzinfo is not None  # one object per instant, UTC-aware
    for ts in (1, 2, 3):
        when[ts]
    assert len(when) <= 3  # full: cleared, then refilled


def test_points_carry_exact_money_and_keep_gaps():
    from decimal import Decimal

    from storage.history_repo import _points

    full = _points([(1_700_000_000, 11235, 99, 7, 3), (1_700_086_400, 100, 12300, 5, None)])
    assert [(p.market, p.low, p.high, p.sample_size) for p in full] == [
        (Decimal("112.35"), Decimal("0.99"), Decimal("0.07"), 3), (Decimal("1"), Decimal("123"), Decimal("0.05"), None)]
    assert str(full[0].market) == "112.35" and full[0].ts.isoformat() == "2023-11-14T22:13:20+00:00"
    gaps = _points([(1_700_000_000, None, 50, None, None)])  # a source without a market or a high price
    assert (gaps[0].market, gaps[0].low, gaps[0].high) == (None, Decimal("0.5"), None)
    assert _points([]) == []


async def test_trending_leaves_out_moves_that_stand_on_one_sale(engine):
    """eBay prices say how many listings stand behind them: a spike on one is no trend. A source without
    counts (TCGplayer) is judged by the minimum price only."""
    from decimal import Decimal

    from core.ingest import IngestUnit, Observation
    from core.mapping import Match, PrintingKey
    from core.models import Finish
    from core.prices import Quote

    await CatalogService(SqlCatalogRepository(engine)).import_files(SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")
    store = SqlPriceStore(engine)
    day1, day2 = datetime(2026, 11, 20, tzinfo=timezone.utc), datetime(2026, 11, 27, tzinfo=timezone.utc)
    series = {  # card: (source, (day-1 price, listings), (day-2 price, listings))
        "sv3pt5-199": ("ebay", ("10", 12), ("15", 9)),  # +50% on a dozen listings: a trend
        "sv8-238": ("ebay", ("10", 12), ("40", 1)),  # +300% on one listing: a spike
        "sv3pt5-151": ("tcgcsv", ("10", None), ("12", None)),  # +20%, no counts from this source
    }
    for day, side in ((day1, 1), (day2, 2)):
        for card, (source, *points) in series.items():
            price, listings = points[side - 1]
            quote = Quote(source, day, "USD", market=Decimal(price), sample_size=listings)
            match = Match(PrintingKey(card, Finish.HOLOFOIL), 1.0, "test")
            await store.ingest(IngestUnit(source, f"{card}:{day.date()}", day,
                                          [Observation(card, "Holofoil", card, "g", match, quote)]))
    now = day2 + timedelta(hours=1)
    gainers = await HistoryService(SqlHistoryQueries(engine)).trending(Game.POKEMON, "7d", "gainers", now=now)
    assert [g.card_id for g in gainers] == ["sv3pt5-199", "sv3pt5-151"]
    unfiltered = HistoryService(SqlHistoryQueries(engine), trending_min_sample=0)
    assert [g.card_id for g in await unfiltered.trending(Game.POKEMON, "7d", "gainers", now=now)] == [
        "sv8-238", "sv3pt5-199", "sv3pt5-151"]


async def test_a_chart_of_a_grade_draws_that_grade_and_says_so(engine):
    """Raw and PSA 10 prices of one card differ tenfold: a PSA 10 chart must draw the PSA 10 series."""
    from decimal import Decimal

    from core.charts import render_chart
    from core.ingest import IngestUnit, Observation
    from core.mapping import Match, PrintingKey
    from core.models import Finish
    from core.prices import Quote, condition_code

    await CatalogService(SqlCatalogRepository(engine)).import_files(SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")
    store = SqlPriceStore(engine)
    psa10 = condition_code(grader="PSA", grade=10)
    start = datetime(2026, 11, 20, tzinfo=timezone.utc)
    for day in range(5):
        ts = start + timedelta(days=day)
        observations = [Observation(pid, "Holofoil", "Charizard ex", "g", Match(PrintingKey("sv3pt5-199", Finish.HOLOFOIL),
                                                                                  1.0, "test"),
                                    Quote("ebay", ts, "USD", condition=cond, market=Decimal(price) + day))
                        for pid, cond, price in (("raw", 0, "80"), ("psa", psa10, "800"))]
        await store.ingest(IngestUnit("ebay", f"day{day}", ts, observations))
    drawn = []

    async def recording(spec):
        drawn.append(spec)
        return render_chart(spec)

    history = HistoryService(SqlHistoryQueries(engine), renderer=recording)
    card = (await CatalogService(SqlCatalogRepository(engine)).index()).get("sv3pt5-199")
    now = start + timedelta(days=5)
    await history.chart(card, None, "7d", now=now)
    await history.chart(card, None, "7d", now=now, condition=psa10)
    raw, graded = drawn
    assert raw.subtitle.startswith("raw (market)") and graded.subtitle.startswith("PSA 10 · USD")
    assert [float(p.market) for p in graded.series[0].points] == [800, 801, 802, 803, 804]
    assert max(float(p.market) for s in raw.series for p in s.points) < 100
    await history.chart(card, None, "7d", now=now, condition=condition_code(grader="BGS", grade=9.5))
    assert drawn[-1].subtitle == "7d · no BGS 9.5 prices yet" and not drawn[-1].series
    from core.models import Finish

    await history.chart(card, None, "7d", now=now, finish=Finish.HOLOFOIL)
    assert drawn[-1].series and all(s.label.endswith("· holofoil") for s in drawn[-1].series)
    await history.chart(card, None, "7d", now=now, finish=Finish.REVERSE_HOLOFOIL)  # a finish it does not come in
    assert drawn[-1].subtitle == "7d · no Reverse Holofoil prices yet" and not drawn[-1].series
