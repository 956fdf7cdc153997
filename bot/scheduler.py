"""When things run. APScheduler only decides *when*; every job is a plain async function tests call."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from core.collect import CollectService

log = logging.getLogger(__name__)
FIRST_RUN_DELAY = timedelta(seconds=5)


async def collect_job(collector: CollectService, source: str) -> None:
    """One scheduled collection; failures are logged and recorded as source health, never raised."""
    report = await collector.collect(source)
    counts = report.counts
    if report.errors:
        log.warning("collect %s: %s", source, "; ".join(report.errors[:3]))
    log.info("collect %s: %d units, %d new, %d updated, %d invalid, %d unmatched", source, counts.units,
             counts.inserted, counts.updated, counts.invalid, counts.unmatched)


def build_scheduler(settings: Settings, collector: CollectService, *, now: datetime | None = None) -> AsyncIOScheduler:
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
    return scheduler
