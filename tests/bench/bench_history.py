"""Benchmark: history reads on a year of daily points for 60,000 printings (~22M rows, SQLite), and
chart rendering. Every figure sits next to a raw baseline measured in the same run.

Run: .venv/bin/python tests/bench/bench_history.py [--days 365]   (needs ../shared/data; ~3 min)
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import io
import random
import sqlite3
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench import bench_ingest as base  # noqa: E402
from core.charts import ChartSeries, ChartSpec, render_chart  # noqa: E402
from core.history_service import HistoryService  # noqa: E402
from core.models import Game  # noqa: E402
from core.services import CatalogService  # noqa: E402
from storage.catalog_repo import SqlCatalogRepository  # noqa: E402
from storage.db import create_engine  # noqa: E402
from storage.history_repo import _PRINTING_SERIES, SqlHistoryQueries  # noqa: E402
from storage.price_queries import SqlPriceQueries  # noqa: E402

SAMPLES = 300
CARD_SERIES_SQL = (
    "SELECT h.printing_id, p.finish, p.variant, s.name, h.condition, h.currency, h.ts, h.market_cents, h.low_cents, "
    "h.high_cents, h.sample_size FROM price_history h JOIN printings p ON p.id = h.printing_id "
    "JOIN cards c ON c.id = p.card_id JOIN data_sources s ON s.id = h.source_id "
    "WHERE c.canonical_id = ? AND h.ts >= ? ORDER BY h.printing_id, h.source_id, h.condition, h.currency, h.ts"
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def row(label: str, times: list[float], baseline: list[float] | None = None) -> str:
    ratio = f"{statistics.median(times) / statistics.median(baseline):7.2f}" if baseline else "       "
    return f"{label:<46}{statistics.median(times):9.3f}{pct(times, .95):9.3f}{ratio}"


async def timed(call, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        await call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def timed_sync(call, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def fill_latest(db: Path) -> None:
    con = base.connect_raw(db)
    con.execute("INSERT OR REPLACE INTO latest_prices (printing_id, source_id, condition, currency, ts, market_cents,"
                " low_cents, mid_cents, high_cents, direct_low_cents, sample_size)"
                " SELECT h.printing_id, h.source_id, h.condition, h.currency, h.ts,"
                " h.market_cents, h.low_cents, h.mid_cents, h.high_cents, h.direct_low_cents, h.sample_size"
                " FROM price_history h WHERE h.ts = (SELECT max(ts) FROM price_history)")
    con.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    base.WORK.mkdir(exist_ok=True)
    db = base.WORK / f"history-bench-{args.days}.db"
    print("building: catalog, 60k printings, a year of daily points ...", flush=True)
    started = time.perf_counter()
    keys = await base.build_base(base.WORK / "hb-base.db")
    ids = base.printing_ids(base.WORK / "hb-base.db", keys)
    base.fresh_copy(base.WORK / "hb-base.db", db)
    base.add_history(db, ids, args.days)
    fill_latest(db)
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    from bot.service import freeze_long_lived

    freeze_long_lived()  # as `tcgtracker run` does once it has started: the build's objects are not the loop's cost

    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    history_q, price_q = SqlHistoryQueries(engine), SqlPriceQueries(engine)
    pooled_q = SqlHistoryQueries(engine, inline_reads=False)  # the thread path, for comparison
    raw = sqlite3.connect(db)
    cards = sorted({k.card_id for k in keys})
    random.seed(7)
    sample = random.sample(cards, SAMPLES)
    since = base.DAY - timedelta(days=365)
    since_s = int(since.timestamp())

    print(f"\n{'query (ms)':<46}{'p50':>9}{'p95':>9}{'ratio':>7}")
    # one card's year (all its printings: ~3 x 365 rows), cold-ish first pass then warm
    for label in ("first pass", "warm"):
        ours = [t for cid in sample for t in await timed(lambda cid=cid: history_q.series(cid, since), 1)]
        bare = [t for cid in sample for t in timed_sync(lambda cid=cid: raw.execute(CARD_SERIES_SQL, (cid, since_s)).fetchall(), 1)]
        print(row(f"1-year history of one card, {label}", ours, bare))
        print(row(f"  raw sqlite3, same SQL, {label}", bare))
    pooled = [t for cid in sample for t in await timed(lambda cid=cid: pooled_q.series(cid, since), 1)]
    print(row("  the same through aiosqlite's thread, warm", pooled, bare))
    printing_sql = ("SELECT ts, market_cents, low_cents, high_cents, sample_size FROM price_history WHERE printing_id = ? "
                    "AND source_id = 1 AND condition = 0 AND currency = 1 AND ts >= ? ORDER BY ts")
    pids = random.sample(ids, SAMPLES)
    for label in ("first pass", "warm"):
        ours = [t for pid in pids for t in await timed(lambda pid=pid: history_q.printing_series(pid, 1, 0, 1, since), 1)]
        bare = [t for pid in pids for t in timed_sync(lambda pid=pid: raw.execute(printing_sql, (pid, since_s)).fetchall(), 1)]
        print(row(f"1-year history of one printing, {label}", ours, bare))
        print(row(f"  raw sqlite3, same SQL, {label}", bare))
    pooled = [t for pid in pids for t in await timed(lambda pid=pid: pooled_q.printing_series(pid, 1, 0, 1, since), 1)]
    print(row("  the same through aiosqlite's thread, warm", pooled, bare))
    reader, sql = history_q._inline, _PRINTING_SERIES.text
    rows_only = [t for pid in pids for t in await timed(lambda pid=pid: reader.fetch(sql, {
        "printing": pid, "source": 1, "condition": 0, "currency": 1, "since": since_s}), 1)]
    print(row("  of which the rows alone (no datetimes, no points)", rows_only, bare))
    for label, queries in (("on the loop's thread", history_q), ("through aiosqlite's thread", pooled_q)):
        fresh = random.sample(cards, SAMPLES)  # not read yet: as cold as this run gets

        async def read_fresh_cards(queries=queries, fresh=fresh) -> None:  # noqa: ANN001
            for cid in fresh:
                await queries.series(cid, None)

        print(f"  event-loop lag, {SAMPLES} more cards' whole history {label}: {await loop_lag(read_fresh_cards)}")
    latest_sql = ("SELECT c.canonical_id, p.finish, p.variant, s.name, l.condition, l.currency, l.ts, l.market_cents,"
                  " l.low_cents, l.mid_cents, l.high_cents, l.sample_size FROM latest_prices l JOIN printings p ON"
                  " p.id = l.printing_id JOIN cards c ON c.id = p.card_id JOIN data_sources s ON s.id = l.source_id"
                  " WHERE c.canonical_id IN ({})")
    for n in (1, 25, 100):
        chunk = sample[:n]
        ours = await timed(lambda chunk=chunk: price_q.latest_prices(chunk), 50)
        bare = timed_sync(lambda chunk=chunk: raw.execute(latest_sql.format(",".join("?" * len(chunk))), chunk).fetchall(), 50)
        print(row(f"latest prices of {n} cards", ours, bare))
    service = HistoryService(history_q)
    now = base.DAY - timedelta(hours=12)  # half a day after the newest snapshot (DAY - 1): every window has moves
    index = await CatalogService(SqlCatalogRepository(engine)).index()
    by_id = {c.canonical_id: c for c in index.cards}
    ours = [t for cid in sample for t in await timed(lambda cid=cid: service.history(by_id[cid], "1y", now=now), 1)]
    print(row("one card's 1y history + stats, service level", ours))
    for period in ("24h", "7d", "30d"):
        ours = await timed(lambda period=period: service.trending(Game.POKEMON, period, "gainers", 10, now=now), 5)
        print(row(f"trending gainers {period}, Pokémon (~50k series)", ours))
    await engine.dispose()

    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    history_q = SqlHistoryQueries(engine)
    series = list((await history_q.series(sample[0], since)).values())[0]
    await engine.dispose()
    spec = ChartSpec("Bench card · set · 1", "raw · USD · 1y", "USD", [ChartSeries("tcgcsv", series)])
    ours = timed_sync(lambda: render_chart(spec), 15)

    def bare_chart():
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        figure = Figure(figsize=(8, 4.5), dpi=100)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        axes.plot([p.ts for p in series], [p.market_cents / 100 for p in series])
        figure.savefig(io.BytesIO(), format="png")

    bare = timed_sync(bare_chart, 15)
    print(row("chart render, 1-year series (365 points)", ours, bare))
    print(row("  bare matplotlib line chart, same data", bare))
    async def ten_charts(renderer=None) -> None:  # noqa: ANN001
        for _ in range(10):
            await (asyncio.to_thread(render_chart, spec) if renderer is None else renderer(spec))

    print(f"  event-loop lag while rendering in a worker thread: {await loop_lag(ten_charts)}")
    from bot.chart_pool import ProcessChartRenderer

    pool = ProcessChartRenderer(1)
    await pool(spec)  # start the worker outside the measurement
    print(f"  event-loop lag while rendering in a worker process (the service default): "
          f"{await loop_lag(lambda: ten_charts(pool))}")
    pool.close()


async def loop_lag(work) -> str:  # noqa: ANN001 - an async callable
    """Max lateness of a 5 ms ticker while `work` runs, and the longest garbage collection meanwhile
    (a collection holds the GIL: it stalls the loop whichever thread triggers it)."""
    worst = 0.0
    stop = asyncio.Event()
    pauses: list[float] = []
    began = [0.0]

    def on_gc(phase: str, _info: dict) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            pauses.append((time.perf_counter() - began[0]) * 1000)

    async def ticker():
        nonlocal worst
        while not stop.is_set():
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            worst = max(worst, (time.perf_counter() - started - 0.005) * 1000)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    gc.callbacks.append(on_gc)
    try:
        await work()
    finally:
        gc.callbacks.remove(on_gc)
    stop.set()
    await task
    return f"max {worst:.1f} ms (longest GC pause {max(pauses, default=0):.1f} ms of {len(pauses)})"


if __name__ == "__main__":
    asyncio.run(main())
