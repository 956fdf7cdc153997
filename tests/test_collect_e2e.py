"""Collection end to end: tcgcsv source code path over the bundled files, health, degradation, scheduler."""
from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from bot.app import build_app
from bot.config import Settings
from bot.scheduler import build_scheduler, collect_job
from core.sources.files import FolderTransport
from tests.conftest import SAMPLE_DIR


def settings_for(tmp_path, **sources) -> Settings:
    return Settings.model_validate({
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}"},
        "sources": {"tcgcsv": {"enabled": True, "base_url": "http://tcgcsv.test", "attempts": 2,
                               "wait_initial_s": 0.01, "wait_max_s": 0.02, "breaker_threshold": 2, **sources}},
    })


class Switchable(httpx.AsyncBaseTransport):
    """The bundled files while `up`, HTTP 503 for everything once the source 'goes down'."""

    def __init__(self):
        self.files = FolderTransport(SAMPLE_DIR / "tcgcsv")
        self.up = True

    async def handle_async_request(self, request):
        if self.up:
            return await self.files.handle_async_request(request)
        return httpx.Response(503, text="maintenance", request=request)


async def test_collect_maps_stores_and_prices_the_sample(tmp_path):
    transport = Switchable()
    async with build_app(settings_for(tmp_path), transport=transport) as app:
        await app.catalog.import_files(SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")
        report = await app.collector.collect("tcgcsv")
        assert not report.errors
        c = report.counts
        assert (c.units, c.inserted, c.unmatched, c.invalid) == (8, 45, 2, 0)  # 2 sealed products
        assert "GET /tcgplayer/3/23237/prices" in transport.files.requests

        index = await app.catalog.index()
        charizard = await app.prices.prices_for(index.get("sv3pt5-199"))
        plain = [l for l in charizard.lines if l.variant == ""]
        assert [(l.finish.value, l.source, l.currency) for l in plain] == [("holofoil", "tcgcsv", "USD")]
        assert plain[0].money(plain[0].market_cents).amount == Decimal("112.35")
        assert {l.variant for l in charizard.lines} == {"", "jumbo"}  # the jumbo card is its own printing

        luffy = await app.prices.prices_for(index.get("OP05-119_p2"))  # "(Parallel) (Manga)"
        assert [l.market_cents for l in luffy.lines] == [235000]
        base = await app.prices.prices_for(index.get("OP05-119"))
        assert [l.market_cents for l in base.lines] == [6800]

        again = await app.collector.collect("tcgcsv")
        assert again.counts.skipped_units == 8 and again.counts.inserted == 0

        health = {h.name: h for h in await app.queries.source_health()}["tcgcsv"]
        assert health.last_success_at is not None and health.circuit_state == "closed"


async def test_source_down_means_last_known_price_with_its_age(tmp_path):
    transport = Switchable()
    async with build_app(settings_for(tmp_path), transport=transport) as app:
        await app.catalog.import_files(SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")
        await app.collector.collect("tcgcsv")
        transport.up = False
        for _ in range(2):
            failed = await app.collector.collect("tcgcsv")
            assert failed.errors
        health = {h.name: h for h in await app.queries.source_health()}["tcgcsv"]
        assert health.consecutive_failures == 2 and health.circuit_state == "opened"
        prices = await app.prices.prices_for((await app.catalog.index()).get("sv8-238"))
        assert prices.lines[0].market_cents == 28999
        assert any("unavailable" in note and "last known" in note for note in prices.notes)


async def test_scheduler_has_one_job_per_source_that_never_overlaps(tmp_path):
    async with build_app(settings_for(tmp_path, interval_minutes=30, jitter_seconds=120),
                         transport=Switchable()) as app:
        scheduler = build_scheduler(app.settings, app.collector)
        scheduler.start(paused=True)  # job defaults are applied when the scheduler starts
        try:
            [job] = scheduler.get_jobs()
            assert job.id == "collect:tcgcsv"
            assert job.trigger.interval.total_seconds() == 1800 and job.trigger.jitter == 120
            assert job.max_instances == 1 and job.coalesce is True
        finally:
            scheduler.shutdown(wait=False)
        await app.catalog.import_files(SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")
        await collect_job(app.collector, "tcgcsv")  # the job is a plain coroutine
        assert (await app.prices.prices_for((await app.catalog.index()).get("sv3pt5-6"))).lines


async def test_unknown_source_is_a_clear_error(tmp_path):
    async with build_app(settings_for(tmp_path), transport=Switchable()) as app:
        with pytest.raises(ValueError, match="unknown or disabled source 'nope'"):
            await app.collector.collect("nope")
