"""Interfaces the core needs from the outside world; storage and adapters implement them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from core.catalog import CatalogBatch
from core.models import Card, CardSet


@dataclass
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged


@dataclass
class ImportReport:
    game: str
    sets: UpsertCounts = field(default_factory=UpsertCounts)
    cards: UpsertCounts = field(default_factory=UpsertCounts)
    skipped: int = 0
    notes: list[str] = field(default_factory=list)


class CatalogRepository(Protocol):
    async def upsert_catalog(self, batch: CatalogBatch) -> ImportReport: ...

    async def load_catalog(self) -> tuple[list[CardSet], list[Card]]: ...

    async def catalog_version(self) -> tuple:
        """Any value that changes when the stored catalog changes."""
        ...
