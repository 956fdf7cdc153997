"""When things run. APScheduler only decides *when*; every job is a plain async function tests call."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import metrics
from bot.config import Settings
from core.collect import CollectService
from core.delivery import Deliverer
from core.history_service import HistoryService
from core.models import Game
from storage.maintenance import ensure_partitions, rollup_intraday

log = logging.getLogger(__name__)
FIRST_RUN_DELAY = timedelta(seconds=5)


async def collect_job(collector: CollectService, source: str) -> None:
    """One scheduled collection; failures are logged and recorded as source health, never raised."""
    report = await collector.collect(source)
    metrics.observe_collect(source, report)
    runner = collector.runners.get(source)
    if runner is not None:
        metrics.CIRCUIT_OPEN.labels(source).set(1 if await runner.breaker_state() == "opened" else 0)
    counts = report.counts
    if report.errors:
        log.warning("collect %s: %s", source, "; ".join(report.errors[:3]))
    log.info("collect %s: %d units, %d new, %d updated, %d invalid, %d unmatched", source, counts.units,
             counts.inserted, counts.updated, counts.invalid, counts.unmatched)


async def maintenance_job(engine: AsyncEngine, settings: Settings) -> None:
    """Daily: roll old intraday points up to one per day; create the coming months' partitions."""
    now = datetime.now(timezone.utc)
    rolled = await rollup_intraday(engine, now - timedelta(days=settings.history.intraday_retention_days))
    created = await ensure_partitions(engine, settings.history.partition_months_ahead, now)
    log.info("maintenance: %d intraday points rolled up, %d partition statements", rolled, created)


async def deliver_job(deliverer: Deliverer) -> None:
    """Drain the outbox; a platform failure is recorded per message, never raised here."""
    report = await deliverer.drain()
    for outcome in ("sent", "retried", "failed"):
        metrics.DELIVERIES.labels(outcome).inc(getattr(report, outcome))
    if report.sent or report.failed or report.retried:
        log.info("delivery: %d sent, %d retried, %d failed", report.sent, report.retried, report.failed)


async def digest_job(engine: AsyncEngine, history: HistoryService) -> int:
    """Daily: the top gainers and losers of the last 24 hours to every feed that asked for a digest."""
    from sqlalchemy import select

    from storage.alert_eval import enqueue_digests
    from storage.tables import channel_subscriptions

    now = datetime.now(timezone.utc)
    async with engine.connect() as conn:
        feeds = (await conn.execute(select(channel_subscriptions).where(
            channel_subscriptions.c.active.is_(True), channel_subscriptions.c.digest.is_(True)))).all()
    if not feeds:
        return 0
    movers = {}
    for game in {f.game or "pokemon" for f in feeds}:
        gainers = [e.detail for e in await history.trending(Game(game), "24h", "gainers", 5, now=now)]
        losers = [e.detail for e in await history.trending(Game(game), "24h", "losers", 5, now=now)]
        movers[game] = (gainers, losers)
    async with engine.begin() as conn:
        queued = await enqueue_digests(conn, feeds, movers, now.date().isoformat(), now)
    log.info("digest: %d feeds", queued)
    return queued


def build_scheduler(settings: Settings, collector: CollectService, *, now: datetime | None = None,
                    engine: AsyncEngine | None = None, deliverer: Deliverer | None = None,
                    history: HistoryService | None = None) -> AsyncIOScheduler:
    """A job per enabled source: interval and jitter from config, one run at a time, missed runs coalesced."""
    scheduler = AsyncIOScheduler(
        timezone=timezone.utc,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    start = (now or datetime.now(timezone.utc)) + FIRST_RUN_DELAY
    for name in sorted(collector.runners):
        cfg = getattr(settings.sources, name)
        scheduler.add_job(
            collect_job,
            "interval",
            minutes=cfg.interval_minutes,
            jitter=cfg.jitter_seconds or None,
            args=[collector, name],
            id=f"collect:{name}",
            name=f"collect prices from {name}",
            next_run_time=start,
            replace_existing=True,
        )
    if deliverer is not None:
        scheduler.add_job(deliver_job, "interval", seconds=settings.delivery.interval_seconds, args=[deliverer],
                          id="deliver", name="deliver alerts", next_run_time=start, replace_existing=True)
    if engine is not None and history is not None:
        scheduler.add_job(digest_job, "cron", hour=settings.alerts.digest_hour_utc, minute=5, args=[engine, history],
                          id="digest", name="daily digest", replace_existing=True)
    if engine is not None:
        scheduler.add_job(maintenance_job, "cron", hour=settings.history.maintenance_hour_utc, minute=17,
                          args=[engine, settings], id="maintenance", name="history maintenance",
                          replace_existing=True)
    return scheduler
