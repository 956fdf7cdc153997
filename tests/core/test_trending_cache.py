"""Trending lists are reused for a while (one pass over every series is expensive) but never go stale for
longer than configured, and as-of questions always get a fresh answer."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from core.history_service import HistoryService
from core.models import Game
from tests.fakes import FixedClock


@dataclass(frozen=True)
class Move:
    card_id: str
    old_cents: int
    new_cents: int
    source: str = "tcgcsv"

    @property
    def percent(self) -> Decimal:
        return (Decimal(self.new_cents - self.old_cents) / self.old_cents * 100).quantize(Decimal("0.01"))


class CountingQueries:
    """Movers as the database would return them; counts how often the expensive pass runs."""

    def __init__(self) -> None:
        self.passes = 0
        self.moves = [Move(f"c-{i}", 1000, 1000 + 37 * i) for i in range(1, 150)]

    async def movers(self, game, window, now, min_price_cents, source=None, min_sample=0):  # noqa: ANN001, ANN201
        self.passes += 1
        return list(self.moves)

    async def source_names(self):  # noqa: ANN201
        return ["tcgcsv"]


async def test_a_trending_list_is_computed_once_per_ttl_and_sliced_for_shorter_lists():
    queries, clock = CountingQueries(), FixedClock(datetime(2026, 11, 28, 12, tzinfo=timezone.utc))
    service = HistoryService(queries, clock=clock, trending_cache=timedelta(minutes=5))
    top10 = await service.trending(Game.POKEMON, "7d", "gainers", 10)
    top3 = await service.trending(Game.POKEMON, "7d", "gainers", 3)
    assert queries.passes == 1 and top3 == top10[:3] and top10[0].card_id == "c-149"
    assert len(await service.trending(Game.POKEMON, "7d", "gainers", 100)) == 100
    await service.trending(Game.POKEMON, "24h", "gainers", 10)  # another window is another list
    assert queries.passes == 2
    queries.moves.append(Move("c-new", 1000, 99_000))
    clock.advance(minutes=4, seconds=59)
    assert (await service.trending(Game.POKEMON, "7d", "gainers", 1))[0].card_id == "c-149"  # still cached
    clock.advance(seconds=1)
    assert (await service.trending(Game.POKEMON, "7d", "gainers", 1))[0].card_id == "c-new"  # expired: fresh


async def test_as_of_questions_and_a_zero_ttl_always_compute():
    queries, clock = CountingQueries(), FixedClock(datetime(2026, 11, 28, 12, tzinfo=timezone.utc))
    cached = HistoryService(queries, clock=clock, trending_cache=timedelta(minutes=5))
    await cached.trending(Game.POKEMON, "7d", "gainers", now=clock() - timedelta(days=3))
    await cached.trending(Game.POKEMON, "7d", "gainers", now=clock() - timedelta(days=3))
    uncached = HistoryService(queries, clock=clock)
    await uncached.trending(Game.POKEMON, "7d", "gainers")
    await uncached.trending(Game.POKEMON, "7d", "gainers")
    assert queries.passes == 4
