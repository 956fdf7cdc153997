"""`tcgtracker run` as an operator runs it: a subprocess, SIGTERM in the middle of an ingest, a restart;
nothing lost, nothing twice."""
from __future__ import annotations

import asyncio
import os
import socket
import signal
import sqlite3
import sys
from pathlib import Path

import httpx
from aiohttp import web

from bot.cli import main
from tests.conftest import ROOT, SAMPLE_DIR

SAMPLE_POINTS = 45  # priced single cards in the bundled tcgcsv sample
SAMPLE_UNITS = 8


class SlowTcgcsv:
    """The bundled tcgcsv files over loopback HTTP, each prices file 0.4 s late."""

    def __init__(self) -> None:
        self.served: list[str] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

    async def handle(self, request: web.Request) -> web.Response:
        path = SAMPLE_DIR / "tcgcsv" / request.match_info["tail"]
        if path.name == "prices":
            await asyncio.sleep(0.4)
        self.served.append(request.path)
        if not path.is_file():
            return web.Response(status=404)
        return web.Response(body=path.read_bytes(), content_type="application/json")

    async def stop(self) -> None:
        await self._runner.cleanup()


def counts(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        return {
            "points": con.execute("SELECT count(*) FROM price_history").fetchone()[0],
            "units": con.execute("SELECT count(*) FROM ingest_runs").fetchone()[0],
            "ledger_points": con.execute("SELECT coalesce(sum(inserted), 0) FROM ingest_runs").fetchone()[0],
            "alerts": con.execute("SELECT count(*) FROM outbox").fetchone()[0],
        }
    finally:
        con.close()


async def start_service(config: Path, roles: str = "collector") -> asyncio.subprocess.Process:
    env = {**os.environ, "TCGTRACKER_CONFIG": str(config)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--role", roles, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    seen = []
    while True:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        seen.append(line.decode(errors="replace"))
        if b"ready:" in line:
            return process
        if not line:  # exited before it was ready
            raise AssertionError("service did not start:\n" + "".join(seen))


async def stop_service(process: asyncio.subprocess.Process) -> str:
    process.send_signal(signal.SIGTERM)
    out = await asyncio.wait_for(process.stdout.read(), 60)
    assert await process.wait() == 0
    return out.decode()


async def wait_until(predicate, timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def scrape_until(client: httpx.AsyncClient, url: str, expected: str, timeout: float = 60) -> httpx.Response:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while expected not in (scraped := await client.get(url)).text:
        assert loop.time() < deadline, f"{expected!r} never appeared in:\n{scraped.text}"
        await asyncio.sleep(0.1)
    return scraped


async def test_sigterm_mid_ingest_then_restart_loses_and_doubles_nothing(tmp_path):
    server = SlowTcgcsv()
    await server.start()
    db = tmp_path / "service.db"
    config = tmp_path / "config.toml"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        metrics_port = probe.getsockname()[1]
    config.write_text(
        f"[metrics]\nport = {metrics_port}\n"
        f'[database]\nurl = "sqlite+aiosqlite:///{db}"\n'
        f'[sources.tcgcsv]\nenabled = true\nbase_url = "{server.url}"\ninterval_minutes = 1\njitter_seconds = 0\n'
        'attempts = 2\nwait_initial_s = 0.05\nwait_max_s = 0.1\n[alerts]\nmax_snapshot_age_hours = 100000\n')
    env_url = f"sqlite+aiosqlite:///{db}"
    os.environ["TCGTRACKER_DATABASE__URL"] = env_url
    try:
        assert await asyncio.to_thread(main, ["catalog", "import", "--pokemon", str(SAMPLE_DIR / "pokemon"),
                                              "--onepiece", str(SAMPLE_DIR / "onepiece")]) == 0
        await asyncio.to_thread(_add_rule, db)
    finally:
        os.environ.pop("TCGTRACKER_DATABASE__URL", None)
    try:
        first = await start_service(config)
        await wait_until(lambda: sum(p.endswith("/prices") for p in server.served) >= 3)
        out = await stop_service(first)  # mid-ingest: groups are still being fetched
        assert "stopped" in out
        partial = counts(db)
        assert 0 < partial["units"] < SAMPLE_UNITS
        assert partial["points"] == partial["ledger_points"]  # every stored point belongs to a finished unit

        second = await start_service(config)
        await wait_until(lambda: counts(db)["units"] == SAMPLE_UNITS)
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{metrics_port}/healthz")
            # The run is counted once it returns, a moment after its last unit committed: poll, not race.
            scraped = await scrape_until(client, f"http://127.0.0.1:{metrics_port}/metrics",
                                         'tcg_collection_runs_total{outcome="ok",source="tcgcsv"}')
        assert health.status_code == 200 and health.json()["roles"] == ["collector"]
        assert "tcg_outbox_depth 1.0" in scraped.text
        settled = await stop_service(second)
        assert "catalog index ready: " in settled and "kept out of garbage collection" in settled
        final = counts(db)
        assert final["points"] == final["ledger_points"] == SAMPLE_POINTS
        assert final["alerts"] == 1  # the rule on sv8-238 fired exactly once across both runs
    finally:
        await server.stop()


def _add_rule(db: Path) -> None:
    """A rule that the sample's sv8-238 price (289.99 USD) satisfies."""
    async def go() -> None:
        from bot.app import build_app
        from bot.config import Settings
        from core.alert_service import Caller

        settings = Settings.model_validate({"database": {"url": f"sqlite+aiosqlite:///{db}"}})
        async with build_app(settings) as app:
            card = (await app.catalog.index()).get("sv8-238")
            from core.models import Finish

            await app.alerts.add_rule(Caller("console", "op"), card, "below", finish=Finish.HOLOFOIL, threshold="300")

    asyncio.run(go())



async def test_the_catalog_job_rebuilds_the_index_after_an_import_elsewhere(tmp_path, caplog):
    import gc
    import logging

    from bot.app import build_app
    from bot.config import Settings
    from bot.service import refresh_catalog_job
    from core.services import CatalogService
    from storage.catalog_repo import SqlCatalogRepository

    settings = Settings.model_validate({"database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}"},
                                        "search": {"nicknames": {"big luffy": "OP05-119_p2"}}})
    caplog.set_level(logging.INFO, logger="bot.service")
    try:
        async with build_app(settings) as app:
            await app.catalog.import_files(SAMPLE_DIR / "pokemon")
            assert (await app.catalog.index()).get("OP05-119_p1") is None
            await refresh_catalog_job(app)
            assert "rebuilt" not in caplog.text  # nothing changed: nothing rebuilt
            await CatalogService(SqlCatalogRepository(app.engine)).import_files(onepiece=SAMPLE_DIR / "onepiece")
            await refresh_catalog_job(app)
            assert "catalog changed: search index rebuilt with 39 cards" in caplog.text
            result = await app.catalog.search("OP05-119_p1")
            assert result.outcome.card.canonical_id == "OP05-119_p1"
            # the operator's nickname, for a card that only arrived with that import
            assert (await app.catalog.search("big luffy")).outcome.card.canonical_id == "OP05-119_p2"
    finally:
        gc.unfreeze()  # the job froze this test process's objects; give them back to the collector


async def test_a_service_started_on_an_empty_catalog_tells_the_operator_how_to_import_it(tmp_path, caplog):
    import gc
    import logging

    from bot.app import build_app
    from bot.config import Settings
    from bot.service import settle_long_lived

    settings = Settings.model_validate({"database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"}})
    caplog.set_level(logging.INFO, logger="bot.service")
    try:
        async with build_app(settings) as app:
            await settle_long_lived(app)
            assert "the card catalog is empty" in caplog.text and "tcgtracker catalog import" in caplog.text
    finally:
        gc.unfreeze()
