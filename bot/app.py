"""Composition root: build every concrete thing from settings, hand it to the rooms that need it."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from core.services import CatalogService
from storage import migrate
from storage.catalog_repo import SqlCatalogRepository
from storage.db import create_engine

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    catalog: CatalogService


@asynccontextmanager
async def build_app(settings: Settings, *, migrate_now: bool | None = None) -> AsyncIterator[App]:
    engine = create_engine(settings.database.url, echo=settings.database.echo, pool_size=settings.database.pool_size)
    try:
        if settings.database.migrate_on_start if migrate_now is None else migrate_now:
            revision = await migrate.upgrade(engine)
            log.info("database at revision %s (%s)", revision, engine.url.render_as_string(hide_password=True))
        yield App(settings, engine, CatalogService(SqlCatalogRepository(engine)))
    finally:
        await engine.dispose()
