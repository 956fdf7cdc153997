"""Use cases the adapters and the CLI call: import the catalog, search it."""
from __future__ import annotations

import asyncio
from pathlib import Path

from core.catalog import CatalogBatch, read_onepiece, read_pokemon
from core.ports import CatalogRepository, ImportReport
from core.search import CatalogIndex, SearchFilters, SearchResult


class CatalogService:
    """Owns the in-memory search index; rebuilt from storage after every import."""

    def __init__(self, repository: CatalogRepository) -> None:
        self._repository = repository
        self._index: CatalogIndex | None = None
        self._lock = asyncio.Lock()

    async def import_files(self, pokemon: Path | None = None, onepiece: Path | None = None) -> list[ImportReport]:
        batches: list[CatalogBatch] = []
        if pokemon is not None:
            batches.append(await asyncio.to_thread(read_pokemon, pokemon))
        if onepiece is not None:
            batches.append(await asyncio.to_thread(read_onepiece, onepiece))
        reports = [await self._repository.upsert_catalog(batch) for batch in batches]
        self._index = None
        return reports

    async def index(self) -> CatalogIndex:
        async with self._lock:
            if self._index is None:
                sets, cards = await self._repository.load_catalog()
                self._index = await asyncio.to_thread(CatalogIndex, sets, cards)
            return self._index

    async def search(self, query: object, filters: SearchFilters | None = None, limit: int = 25) -> SearchResult:
        return (await self.index()).search(query, filters or SearchFilters(), limit)
