"""Benchmark: Discord autocomplete and /price on the full real catalog, from INTERACTION_CREATE to the
response payload discord.py sends (loopback fake API; Discord's own network excluded). Goals: autocomplete
p95 <= 50 ms, /price p95 <= 100 ms.   Run: .venv/bin/python tests/bench/bench_discord.py
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

import discord  # noqa: E402

from adapters.discord.client import make_client  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.cli import services_of  # noqa: E402
from bot.config import Settings  # noqa: E402
from core.sources.files import FolderTransport  # noqa: E402
from tests.adapters.discord_fake import APP_ID, FakeDiscord, interaction  # noqa: E402
from tests.conftest import SAMPLE_DIR, SHARED_DATA  # noqa: E402
from tests.core.test_search_real import QUERIES  # noqa: E402

ROUNDS = 3


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.model_validate({"database": {"url": f"sqlite+aiosqlite:///{tmp}/d.db"},
                                           "sources": {"tcgcsv": {"enabled": True, "base_url": "http://t"}}})
        fake = FakeDiscord()
        discord.http.Route.BASE = await fake.start()
        async with build_app(settings, transport=FolderTransport(SAMPLE_DIR / "tcgcsv")) as app:
            await app.catalog.import_files(SHARED_DATA / "pokemon" / "pokemon-tcg-data",
                                           SHARED_DATA / "onepiece" / "punk-records")
            await app.collector.collect("tcgcsv")
            client = make_client(services_of(app), application_id=APP_ID)
            await client.login("token")

            async def timed(payload) -> float:
                started = time.perf_counter()
                client._connection.parse_interaction_create(payload)
                prefix = f"/interactions/{payload['id']}/"
                await fake.wait_for(lambda c: c.path.startswith(prefix), timeout=10)
                return (time.perf_counter() - started) * 1000

            index = await app.catalog.index()

            async def first_ask(payload) -> float:
                index._results.clear()  # a query the search index has not answered yet
                return await timed(payload)

            typed = [q[: max(3, len(q) * 2 // 3)] for q, _ in QUERIES]
            auto = [await first_ask(interaction("price", [{"name": "card", "type": 3, "value": t, "focused": True}],
                                                kind=4)) for _ in range(ROUNDS) for t in typed]
            auto_again = [await timed(interaction("price", [{"name": "card", "type": 3, "value": t, "focused": True}],
                                                  kind=4)) for t in typed]
            cards = ["sv3pt5-199", "sv8-238", "OP05-119_p1", "base1-4", "swsh7-215", "ST05-011"] * 20
            price = [await first_ask(interaction("price", [{"name": "card", "type": 3, "value": c}])) for c in cards]
            await client.close()
        await fake.stop()
    print(f"{'interaction -> response payload (ms)':<44}{'p50':>8}{'p95':>8}{'max':>8}{'goal p95':>10}")
    print(f"{'autocomplete, full catalog, first ask (' + str(len(auto)) + ')':<44}{statistics.median(auto):8.1f}"
          f"{pct(auto, .95):8.1f}{max(auto):8.1f}{50:>10}")
    print(f"{'  the same text again (search cache)':<44}{statistics.median(auto_again):8.1f}"
          f"{pct(auto_again, .95):8.1f}{max(auto_again):8.1f}")
    print(f"{'/price of a resolved card (' + str(len(price)) + ')':<44}{statistics.median(price):8.1f}{pct(price, .95):8.1f}"
          f"{max(price):8.1f}{100:>10}")


if __name__ == "__main__":
    asyncio.run(main())
