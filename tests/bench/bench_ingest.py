"""Benchmark: a 60,000-point daily snapshot through the real ingest path vs a raw sqlite3 upsert.

Two cases, each measured for both in the same run: into an empty price history, and into one holding
a year of daily history for the same printings (~22M rows). Prints rows/s, time ratio, peak Python
memory and bytes per stored point.   Run: .venv/bin/python tests/bench/bench_ingest.py [--days 365]
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sqlite3
import sys
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from core.ingest import IngestUnit, Observation  # noqa: E402
from core.mapping import Match, PrintingKey  # noqa: E402
from core.models import Finish  # noqa: E402
from core.prices import Quote, epoch  # noqa: E402
from core.services import CatalogService  # noqa: E402
from storage import migrate  # noqa: E402
from storage.catalog_repo import SqlCatalogRepository  # noqa: E402
from storage.db import SQLITE_WAL_AUTOCHECKPOINT_PAGES, create_engine  # noqa: E402
from storage.price_repo import _LATEST_UPSERT, SqlPriceStore  # noqa: E402
from tests.conftest import SHARED_DATA  # noqa: E402

POINTS = 60_000
UNIT_SIZE = 300  # a TCGplayer group is a few hundred products
DAY = datetime(2026, 11, 27, tzinfo=timezone.utc)
WORK = Path("/tmp/tcgtracker-bench-ingest")
FINISHES = (Finish.NORMAL, Finish.HOLOFOIL, Finish.REVERSE_HOLOFOIL)
UPSERT = ("INSERT INTO price_history (printing_id, source_id, condition, currency, ts, market_cents, low_cents, "
          "mid_cents, high_cents, direct_low_cents, sample_size) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
          "ON CONFLICT (printing_id, source_id, condition, currency, ts) DO UPDATE SET "
          "market_cents=excluded.market_cents, low_cents=excluded.low_cents, mid_cents=excluded.mid_cents, "
          "high_cents=excluded.high_cents, direct_low_cents=excluded.direct_low_cents, sample_size=excluded.sample_size")


def price(i: int, day: int) -> int:
    return 100 + (i * 37 + day * 11) % 50_000


def observations(keys: list[PrintingKey], day: datetime) -> list[IngestUnit]:
    d = (day - DAY).days
    units = []
    for start in range(0, len(keys), UNIT_SIZE):
        obs = []
        for i in range(start, min(start + UNIT_SIZE, len(keys))):
            cents = price(i, d)
            quote = Quote("tcgcsv", day, "USD", market=Decimal(cents) / 100, low=Decimal(cents * 9 // 10) / 100,
                          mid=Decimal(cents * 11 // 10) / 100, high=Decimal(cents * 2) / 100)
            obs.append(Observation(str(100000 + i), "Normal", f"product {i}", str(start), Match(keys[i], 1.0, "bench"), quote))
        units.append(IngestUnit("tcgcsv", f"bench:group:{start}", day, obs))
    return units


async def build_base(db: Path) -> list[PrintingKey]:
    """Catalog + 60k printings + their mappings (a normal day: every product already mapped)."""
    for suffix in ("", "-wal", "-shm"):  # always from scratch: the schema must be today's
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    await migrate.upgrade(engine)
    catalog = CatalogService(SqlCatalogRepository(engine))
    await catalog.import_files(SHARED_DATA / "pokemon" / "pokemon-tcg-data", SHARED_DATA / "onepiece" / "punk-records")
    index = await catalog.index()
    keys = [PrintingKey(c.canonical_id, f) for f in FINISHES for c in index.cards][:POINTS]
    store = SqlPriceStore(engine)
    for unit in observations(keys, DAY - timedelta(days=400)):
        await store.ingest(unit)
    async with engine.begin() as conn:
        await conn.exec_driver_sql("DELETE FROM price_history")
        await conn.exec_driver_sql("DELETE FROM ingest_runs")
        await conn.exec_driver_sql("DELETE FROM latest_prices")
    await engine.dispose()
    return keys


def printing_ids(db: Path, keys: list[PrintingKey]) -> list[int]:
    con = sqlite3.connect(db)
    rows = con.execute("SELECT c.canonical_id, p.finish, p.id FROM printings p JOIN cards c ON c.id = p.card_id").fetchall()
    con.close()
    by_key = {(cid, finish): pid for cid, finish, pid in rows}
    return [by_key[(k.card_id, k.finish.value)] for k in keys]


def raw_rows(ids: list[int], day: datetime) -> list[tuple]:
    d, ts = (day - DAY).days, epoch(day)
    return [(pid, 1, 0, 1, ts, price(i, d), price(i, d) * 9 // 10, price(i, d) * 11 // 10, price(i, d) * 2, None, None)
            for i, pid in enumerate(ids)]


def connect_raw(db: Path) -> sqlite3.Connection:
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")  # the settings the app uses
    return con


def add_history(db: Path, ids: list[int], days: int) -> None:
    """A year of daily points, written printing by printing (primary-key order) by raw sqlite3."""
    con = connect_raw(db)
    con.execute("BEGIN")
    base = [epoch(DAY - timedelta(days=d)) for d in range(days, 0, -1)]
    for i, pid in enumerate(ids):
        con.executemany(
            "INSERT INTO price_history (printing_id, source_id, condition, currency, ts, market_cents, low_cents, "
            "mid_cents, high_cents) VALUES (?,1,0,1,?,?,?,?,?)",
            [(pid, ts, price(i, -n), price(i, -n) * 9 // 10, price(i, -n) * 11 // 10, price(i, -n) * 2)
             for n, ts in zip(range(days, 0, -1), base)],
        )
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


async def run_ours(db: Path, keys: list[PrintingKey], trace: bool = False) -> tuple[float, int, int]:
    """Timed without tracemalloc (it slows Python several-fold); `trace` measures memory instead."""
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    store = SqlPriceStore(engine)
    units = observations(keys, DAY)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    inserted = 0
    for unit in units:
        inserted += (await store.ingest(unit)).inserted
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    await engine.dispose()
    return elapsed, peak, inserted


def run_raw(db: Path, ids: list[int], trace: bool = False) -> tuple[float, int]:
    rows = raw_rows(ids, DAY)
    con = connect_raw(db)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    con.execute("BEGIN")
    con.executemany(UPSERT, rows)
    con.execute("COMMIT")
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    con.close()
    return elapsed, peak


def run_raw_units(db: Path, ids: list[int]) -> float:
    """The same rows as raw sqlite3 writes them under our design's rules: a transaction per unit of
    UNIT_SIZE, each also keeping latest_prices in step. Ours against this shows what our Python costs."""
    rows = raw_rows(ids, DAY)
    latest = _LATEST_UPSERT.format(ph=",".join("?" * 11))
    con = connect_raw(db)
    started = time.perf_counter()
    for start in range(0, len(rows), UNIT_SIZE):
        unit = sorted(rows[start:start + UNIT_SIZE])
        con.execute("BEGIN")
        con.executemany(UPSERT, unit)
        con.executemany(latest, unit)
        con.execute("COMMIT")
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def bytes_per_point(db: Path) -> tuple[float, int]:
    con = sqlite3.connect(db)
    size = con.execute("SELECT SUM(pgsize) FROM dbstat WHERE name = 'price_history'").fetchone()[0]
    rows = con.execute("SELECT COUNT(*) FROM price_history").fetchone()[0]
    con.close()
    return size / rows, rows


def fresh_copy(src: Path, dst: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    return dst


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the table shows medians")
    args = parser.parse_args()
    if not SHARED_DATA.exists():
        sys.exit(f"shared data not found at {SHARED_DATA}")
    WORK.mkdir(exist_ok=True)
    base, history = WORK / "base.db", WORK / f"history{args.days}.db"
    print("building the base database (catalog, 60k printings, mappings) ...", flush=True)
    keys = await build_base(base)
    ids = printing_ids(base, keys)
    print(f"building {args.days} days of history for {len(ids):,} printings ...", flush=True)
    started = time.perf_counter()
    fresh_copy(base, history)
    add_history(history, ids, args.days)
    print(f"  history built in {time.perf_counter() - started:.0f} s", flush=True)

    print(f"\n{'case (median of ' + str(args.repeat) + ' runs)':<40}{'rows':>8}{'seconds':>9}{'rows/s':>10}"
          f"{'ratio':>7}{'peak MiB':>10}  runs (s)")
    for label, source in (("empty history", base), (f"{args.days} days of history", history)):
        ours_runs, raw_runs, units_runs = [], [], []
        for _ in range(args.repeat):  # alternated, so a noisy minute hits all sides
            ours_s, _, inserted = await run_ours(fresh_copy(source, WORK / "ours.db"), keys)
            ours_runs.append(ours_s)
            raw_runs.append(run_raw(fresh_copy(source, WORK / "raw.db"), ids)[0])
            units_runs.append(run_raw_units(fresh_copy(source, WORK / "raw.db"), ids))
        ours_s, raw_s, units_s = (statistics.median(r) for r in (ours_runs, raw_runs, units_runs))
        _, ours_peak, _ = await run_ours(fresh_copy(source, WORK / "mem.db"), keys, trace=True)
        _, raw_peak = run_raw(fresh_copy(source, WORK / "mem.db"), ids, trace=True)
        assert inserted == len(keys), inserted
        print(f"{'tcgtracker ingest, ' + label:<40}{inserted:>8,}{ours_s:>9.2f}{inserted / ours_s:>10,.0f}"
              f"{ours_s / raw_s:>7.2f}{ours_peak / 2**20:>10.1f}  {' '.join(f'{t:.2f}' for t in ours_runs)}")
        print(f"{'raw sqlite3 upsert, ' + label:<40}{len(ids):>8,}{raw_s:>9.2f}{len(ids) / raw_s:>10,.0f}"
              f"{1.0:>7.2f}{raw_peak / 2**20:>10.1f}  {' '.join(f'{t:.2f}' for t in raw_runs)}")
        print(f"{'  raw, a tx per unit + latest_prices':<40}{len(ids):>8,}{units_s:>9.2f}{len(ids) / units_s:>10,.0f}"
              f"{units_s / raw_s:>7.2f}{'':>10}  {' '.join(f'{t:.2f}' for t in units_runs)}"
              f"   (ours / this: {ours_s / units_s:.2f})")
    per_point, rows = bytes_per_point(WORK / "ours.db")
    print(f"\nprice_history on SQLite: {per_point:.1f} bytes per stored point ({rows:,} rows, WITHOUT ROWID,"
          f" integer ids and cents)")


if __name__ == "__main__":
    asyncio.run(main())
