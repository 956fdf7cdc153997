"""Composition root: build every concrete thing from settings, hand it to the rooms that need it."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator, Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from datetime import datetime, timedelta

from bot.chart_pool import ProcessChartRenderer
from bot.config import Secrets, Settings
from bot.sources import build_runners
from core.alert_service import AlertService, AlertSettings
from core.api_keys import ApiKeyService
from core.reports import ReportService
from core.collect import CollectService
from core.delivery import ConsoleNotifier, Deliverer, DeliveryPolicy, Notifier
from core.models import utcnow
from core.history_service import HistoryService
from core.price_service import PriceService
from core.services import CatalogService
from storage import migrate
from storage.accounts_repo import SqlAccounts, SqlPrivacy
from storage.api_keys_repo import SqlApiKeys
from storage.catalog_repo import SqlCatalogRepository
from storage.db import create_engine
from storage.history_repo import SqlHistoryQueries
from storage.outbox_repo import SqlOutbox
from storage.price_queries import SqlPriceQueries
from storage.price_repo import SqlPriceStore
from storage.reports_repo import SqlReports
from storage.rules_repo import SqlRules

log = logging.getLogger(__name__)
USER_AGENT = "tcgtracker/0.1 (+https://github.com/tcgtracker)"


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    catalog: CatalogService
    store: SqlPriceStore
    queries: SqlPriceQueries
    prices: PriceService
    collector: CollectService
    http: httpx.AsyncClient
    history: HistoryService
    alerts: AlertService
    deliverer: Deliverer
    keys: ApiKeyService
    reports: ReportService


def alert_settings(settings: Settings) -> AlertSettings:
    a = settings.alerts
    return AlertSettings(a.max_rules_per_user, a.default_cooldown_hours, a.rearm_margin_percent,
                         a.confirm_snapshots, a.link_code_minutes)


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    d = settings.delivery
    return DeliveryPolicy(d.batch, timedelta(seconds=d.lease_seconds), d.max_attempts,
                          timedelta(seconds=d.backoff_seconds))


@asynccontextmanager
async def build_app(
    settings: Settings,
    *,
    migrate_now: bool | None = None,
    secrets: Secrets | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sources: set[str] | None = None,
    clock: Callable[[], datetime] = utcnow,
    notifiers: dict[str, Notifier] | None = None,
) -> AsyncIterator[App]:
    """Everything the process needs; `transport` replaces the network (tests, demo, dump imports),
    `clock` the time (the demo replays 90 days), `notifiers` the chat platforms (console by default)."""
    engine = create_engine(settings.database.url, echo=settings.database.echo, pool_size=settings.database.pool_size)
    http = httpx.AsyncClient(transport=transport, headers={"User-Agent": USER_AGENT}, follow_redirects=True)
    try:
        if settings.database.migrate_on_start if migrate_now is None else migrate_now:
            revision = await migrate.upgrade(engine)
            log.info("database at revision %s (%s)", revision, engine.url.render_as_string(hide_password=True))
        catalog = CatalogService(SqlCatalogRepository(engine), settings.search.nicknames)
        store = SqlPriceStore(engine, alert_max_age=timedelta(hours=settings.alerts.max_snapshot_age_hours),
                              clock=clock)
        queries = SqlPriceQueries(engine, store)
        runners = build_runners(settings, secrets or Secrets(), http, store, only=sources,
                                targets=queries.watched_printings)
        collector = CollectService(catalog.index, queries, runners)
        rules = SqlRules(engine, store)
        alerts = AlertService(SqlAccounts(engine, store), rules, queries, alert_settings(settings), clock=clock,
                              privacy=SqlPrivacy(engine))
        deliverer = Deliverer(SqlOutbox(engine), rules, notifiers or {"console": ConsoleNotifier(clock=clock)},
                              delivery_policy(settings), clock=clock)
        renderer = ProcessChartRenderer(settings.history.chart_workers) if settings.history.chart_workers else None
        history_queries = SqlHistoryQueries(engine, settings.database.inline_history_reads)
        try:
            yield App(settings, engine, catalog, store, queries, PriceService(queries, clock), collector, http,
                      HistoryService(history_queries, clock, settings.history.max_chart_points, renderer,
                                     timedelta(seconds=settings.history.trending_cache_seconds),
                                     settings.history.trending_min_sample, settings.history.chart_theme),
                      alerts, deliverer, ApiKeyService(SqlApiKeys(engine), alerts.user, settings.api.max_keys_per_user,
                                                       clock),
                      ReportService(SqlReports(engine), alerts.user, clock))
        finally:
            history_queries.close()
            if renderer is not None:
                renderer.close()
    finally:
        await http.aclose()
        await engine.dispose()
