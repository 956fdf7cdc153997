"""Benchmark: Telegram /price and inline answers on the full real catalog (update in -> Bot API payload
out), and 1,000 alerts to 1,000 chats through the outbox and PTB's AIORateLimiter, next to the time
Telegram's flood limit (30 messages/s overall) makes necessary.   Run: .venv/bin/python tests/bench/bench_telegram.py
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

from telegram import Update  # noqa: E402

from adapters.telegram.bot import build_application  # noqa: E402
from adapters.telegram.notify import TelegramNotifier  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.cli import services_of  # noqa: E402
from bot.config import Settings  # noqa: E402
from core.models import utcnow  # noqa: E402
from core.sources.files import FolderTransport  # noqa: E402
from storage.sql import insert_ignore  # noqa: E402
from storage.tables import outbox  # noqa: E402
from tests.adapters.telegram_fake import TOKEN, BotAPI, FakeRequest, command, inline  # noqa: E402
from tests.conftest import SAMPLE_DIR, SHARED_DATA  # noqa: E402
from tests.core.test_search_real import QUERIES  # noqa: E402
from tests.storage.test_delivery import message  # noqa: E402

ALERTS = 1000
FLOOD_PER_SECOND = 30
# Requests are paced below the flood limit: back to back, every /price after the limiter's burst waited
# ~33 ms in AIORateLimiter (1/30 s) and the rows measured the limiter, not the bot.
PACE_S = 1 / 20


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.model_validate({"database": {"url": f"sqlite+aiosqlite:///{tmp}/t.db"},
                                           "sources": {"tcgcsv": {"enabled": True, "base_url": "http://t"}}})
        async with build_app(settings, transport=FolderTransport(SAMPLE_DIR / "tcgcsv")) as app:
            await app.catalog.import_files(SHARED_DATA / "pokemon" / "pokemon-tcg-data",
                                           SHARED_DATA / "onepiece" / "punk-records")
            await app.collector.collect("tcgcsv")
            api = BotAPI()
            application = build_application(services_of(app), TOKEN, request=FakeRequest(api))
            await application.initialize()

            async def timed(data: dict) -> float:
                await asyncio.sleep(PACE_S)
                update = Update.de_json(data | {"update_id": 1}, application.bot)
                started = time.perf_counter()
                await application.process_update(update)
                return (time.perf_counter() - started) * 1000

            index = await app.catalog.index()

            async def first_ask(data: dict) -> float:
                index._results.clear()  # a query the search index has not answered yet
                return await timed(data)

            price = [await first_ask(command(f"/price {q}")) for q, _ in QUERIES]
            price_again = [await timed(command(f"/price {q}")) for q, _ in QUERIES]
            inline_times = [await first_ask(inline(q)) for q, _ in QUERIES]
            inline_again = [await timed(inline(q)) for q, _ in QUERIES]

            now = utcnow()
            rows = [{"dedup_key": f"bench{i}", "target_platform": "telegram", "target_id": str(10_000 + i),
                     "payload": message(f"bench{i}"), "status": "pending", "attempts": 0, "next_attempt_at": now,
                     "created_at": now} for i in range(ALERTS)]
            async with app.engine.begin() as conn:
                await conn.execute(insert_ignore(conn, outbox), rows)
            app.deliverer.notifiers["telegram"] = TelegramNotifier(application.bot)
            started = time.perf_counter()
            report = await app.deliverer.drain()
            elapsed = time.perf_counter() - started
            await application.shutdown()
    floor = ALERTS / FLOOD_PER_SECOND
    print(f"{'update -> Bot API payload (ms)':<40}{'p50':>8}{'p95':>8}{'max':>8}{'goal p95':>10}")
    for label, times in ((f"/price, full catalog, first ask ({len(price)})", price),
                         ("  the same queries again (search cache)", price_again),
                         (f"inline query, first ask ({len(inline_times)})", inline_times),
                         ("  the same queries again (search cache)", inline_again)):
        print(f"{label:<40}{statistics.median(times):8.1f}{pct(times, .95):8.1f}{max(times):8.1f}"
              f"{100 if 'first' in label else '':>10}")
    print(f"\n{report.sent} alerts to {ALERTS} chats in {elapsed:.1f} s; the 30 msg/s flood limit needs {floor:.1f} s: "
          f"ratio {elapsed / floor:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
