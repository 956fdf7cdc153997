"""Use cases the adapters and the CLI call: import the catalog, search it."""
from __future__ import annotations

import asyncio
from pathlib import Path

from core.catalog import CatalogBatch, read_onepiece, read_pokemon
from core.ports import CatalogRepository, ImportReport
from core.search import CatalogIndex, SearchFilters, SearchResult


class CatalogService:
    """Owns the in-memory search index; rebuilt from storage after every import."""

    def __init__(self, repository: CatalogRepository, nicknames: dict[str, str] | None = None) -> None:
        """`nicknames`: extra names of single cards (name -> canonical id), on top of core.search.NICKNAMES."""
        self._repository = repository
        self._nicknames = dict(nicknames or {})
        self._index: CatalogIndex | None = None
        self._version: tuple = ()
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
                self._index = await self._load()
            return self._index

    async def refresh_if_changed(self) -> bool:
        """Rebuild the index when the stored catalog changed since it was loaded (an import run by another
        process: new sets on release day become searchable and priceable without a restart)."""
        if self._index is None:
            return False  # nothing loaded yet: the first use loads what is there
        if await self._repository.catalog_version() == self._version:
            return False
        self._index = await self._load()  # not under the lock: searches use the old index until this one is ready
        return True

    async def _load(self) -> CatalogIndex:
        self._version = await self._repository.catalog_version()  # read first: a change meanwhile shows next time
        sets, cards = await self._repository.load_catalog()
        return await asyncio.to_thread(CatalogIndex, sets, cards, self._nicknames)

    async def search(self, query: object, filters: SearchFilters | None = None, limit: int = 25) -> SearchResult:
        return (await self.index()).search(query, filters or SearchFilters(), limit)
