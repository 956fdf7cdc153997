"""Price reports: a collector says a card's price looks wrong, most often the wrong printing priced (a jumbo,
a stamped promo or a parallel mapped to the plain card). Operators see each report with the source products
mapped to that card, and fix a mapping with `tcgtracker mapping set`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable, Protocol

from core.alert_service import Caller
from core.alerts import RuleError
from core.models import Card, utcnow

MAX_NOTE = 300
MAX_OPEN_PER_PERSON = 10  # enough for honest use; a flood from one account stays bounded


@dataclass(frozen=True)
class MappedProduct:
    """A source product whose prices are shown for the reported card, and how it came to be mapped."""

    source: str
    external_id: str
    sub_type: str
    product_name: str
    printing: str  # "holofoil", "holofoil:jumbo"
    method: str
    is_override: bool


@dataclass(frozen=True)
class PriceReport:
    id: int
    card_id: str
    card_name: str
    note: str
    platform: str
    reporter: str
    created_at: datetime
    resolved_at: datetime | None
    resolution: str | None
    mapped: tuple[MappedProduct, ...] = ()


class ReportsPort(Protocol):
    async def add(self, user_id: int, card_id: str, note: str, platform: str, limit: int,
                  when: datetime) -> tuple[int, bool]: ...
    async def reports(self, include_resolved: bool, limit: int) -> list[PriceReport]: ...
    async def resolve(self, report_id: int, resolution: str, when: datetime) -> bool: ...
    async def open_count(self) -> int: ...


class ReportService:
    def __init__(self, port: ReportsPort, user_of: Callable[[Caller], Awaitable[int]],
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._port = port
        self._user_of = user_of
        self._clock = clock

    async def report(self, caller: Caller, card: Card, note: str | None) -> tuple[int, bool]:
        """(report id, whether it is new); a second report of the same card while the first is open
        updates its note rather than piling up."""
        text = " ".join((note or "").split())
        if len(text) > MAX_NOTE:
            raise RuleError(f"Keep the note to {MAX_NOTE} characters at most.")
        return await self._port.add(await self._user_of(caller), card.canonical_id, text, caller.platform,
                                    MAX_OPEN_PER_PERSON, self._clock())

    async def reports(self, include_resolved: bool = False, limit: int = 100) -> list[PriceReport]:
        return await self._port.reports(include_resolved, limit)

    async def resolve(self, report_id: int, resolution: str | None = None) -> bool:
        return await self._port.resolve(report_id, " ".join((resolution or "").split())[:MAX_NOTE], self._clock())

    async def open_count(self) -> int:
        return await self._port.open_count()
