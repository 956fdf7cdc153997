"""Benchmark: full catalog import and search latency/quality vs a plain rapidfuzz baseline.

Run: .venv/bin/python tests/bench/bench_search.py   (needs ../shared/data)
"""
from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

from core.services import CatalogService  # noqa: E402
from storage import migrate  # noqa: E402
from storage.catalog_repo import SqlCatalogRepository  # noqa: E402
from storage.db import create_engine  # noqa: E402
from tests.conftest import SHARED_DATA  # noqa: E402
from tests.core.test_search_real import QUERIES, _satisfies  # noqa: E402

REPEATS = 20


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def import_catalog(db: Path) -> tuple[CatalogService, float, float]:
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    await migrate.upgrade(engine)
    service = CatalogService(SqlCatalogRepository(engine))
    started = time.perf_counter()
    await service.import_files(SHARED_DATA / "pokemon" / "pokemon-tcg-data", SHARED_DATA / "onepiece" / "punk-records")
    imported = time.perf_counter() - started
    started = time.perf_counter()
    await service.index()
    indexed = time.perf_counter() - started
    return service, imported, indexed


def measure(run, queries) -> tuple[list[float], int]:
    times, hits = [], 0
    for query, expected in queries:
        for _ in range(REPEATS):
            started = time.perf_counter()
            ranked = run(query)
            times.append((time.perf_counter() - started) * 1000)
        hits += bool(ranked) and _satisfies(ranked[0], expected)
    return times, hits


async def main() -> None:
    if not SHARED_DATA.exists():
        sys.exit(f"shared data not found at {SHARED_DATA}")
    with tempfile.TemporaryDirectory() as tmp:
        service, imported, indexed = await import_catalog(Path(tmp) / "bench.db")
        index = await service.index()
    cards = index.cards
    names = [c.name for c in cards]

    def baseline(query: str):
        return [cards[i] for _, _, i in process.extract(query, names, scorer=fuzz.WRatio, limit=5)]

    def first_ask(query: str):
        index._results.clear()  # every run is a query the index has not answered yet
        return index.search(query).ranked

    ours_t, ours_hits = measure(first_ask, QUERIES)
    cached_t, _ = measure(lambda q: index.search(q).ranked, QUERIES)
    base_t, base_hits = measure(baseline, QUERIES)
    n = len(QUERIES)
    print(f"catalog: {len(cards):,} cards; import into SQLite {imported:.2f} s; index build {indexed:.2f} s")
    print(f"{'search':<40}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'hit@1':>8}")
    for label, times, hits in (("tcgtracker CatalogIndex, first ask", ours_t, ours_hits),
                               ("  the same query again (result cache)", cached_t, ours_hits),
                               ("rapidfuzz extract (names)", base_t, base_hits)):
        print(f"{label:<40}{statistics.median(times):9.2f}{pct(times, .95):9.2f}{max(times):9.2f}{hits / n:8.3f}")
    print(f"ratio p95 ours (first ask) / baseline: {pct(ours_t, .95) / pct(base_t, .95):.2f}"
          f"  ({n} queries x {REPEATS} runs)")


if __name__ == "__main__":
    asyncio.run(main())
