"""Price lookups people ask for: a card's latest prices per printing, source and condition, with age."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Protocol

from core.models import Card, utcnow
from core.services_types import LatestPrice, SourceHealth

STALE_AFTER = timedelta(hours=48)


class PriceQueries(Protocol):
    async def latest_prices(self, canonical_ids: list[str]) -> list[LatestPrice]: ...

    async def source_health(self) -> list[SourceHealth]: ...


@dataclass(frozen=True)
class CardPrices:
    card: Card
    lines: tuple[LatestPrice, ...]
    notes: tuple[str, ...]
    checked_at: datetime


def format_duration(age: timedelta) -> str:
    seconds = max(int(age.total_seconds()), 0)
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def format_age(age: timedelta) -> str:
    return f"{format_duration(age)} ago"


def degradation_notes(lines: list[LatestPrice], health: list[SourceHealth], now: datetime) -> list[str]:
    """Tell users when they are looking at old numbers and why, instead of pretending freshness."""
    notes = []
    by_name = {h.name: h for h in health}
    for source in sorted({line.source for line in lines}):
        state = by_name.get(source)
        newest = max(line.as_of for line in lines if line.source == source)
        failing = state is not None and (
            state.circuit_state != "closed"
            or (state.last_error_at and (not state.last_success_at or state.last_error_at > state.last_success_at))
        )
        if failing:
            notes.append(f"{source} is currently unavailable; showing its last known prices from {format_age(now - newest)}.")
        elif now - newest > STALE_AFTER:
            notes.append(f"{source} data is {format_duration(now - newest)} old.")
    return notes


class PriceService:
    def __init__(self, queries: PriceQueries, clock: Callable[[], datetime] = utcnow) -> None:
        self._queries = queries
        self._clock = clock

    async def prices_for(self, card: Card) -> CardPrices:
        lines = await self._queries.latest_prices([card.canonical_id])
        lines.sort(key=lambda l: (l.finish.value, l.variant, l.source, l.condition, l.currency))
        now = self._clock()
        notes = degradation_notes(lines, await self._queries.source_health(), now) if lines else [
            "No prices collected for this card yet."
        ]
        return CardPrices(card, tuple(lines), tuple(notes), now)
