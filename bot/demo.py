"""The offline demo: the whole main job on bundled data, no network, no tokens.

90 days are replayed. Each day the real tcgcsv source code path fetches groups, products and prices
from the bundled files (bot/sample/tcgcsv, TCGplayer's shapes) through an httpx transport; prices move
by a deterministic daily factor, with a real-looking drop for Charizard ex 199/165 and a spike-and-fall
for Pikachu ex 238/191. Collection maps and stores them, alert rules are evaluated in the same
transactions, the outbox is delivered to the console, and charts are written to ./demo-out/."""
from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import httpx

from bot.app import App, build_app
from bot.config import Settings
from core.alert_service import Caller
from core.delivery import ConsoleNotifier
from core.models import Finish
from core.sources.files import FolderTransport

SAMPLE_DIR = Path(__file__).parent / "sample"
DAYS = 90
DEMO_USER = Caller("console", "demo", "Demo collector")
# (product id) -> what its market does over the 90 days: a drop, a spike and fall, or noise.
STORIES = {
    517198: lambda d: 1.0 if d < 70 else max(0.72, 1.0 - (d - 70) * 0.018),  # Charizard ex SIR: -28 % late
    591238: lambda d: 1.0 + (0.35 if 40 <= d < 55 else 0.0) * math.sin((d - 40) / 15 * math.pi),  # Pikachu ex SIR
    455011: lambda d: 1.0 + (2.6 if 30 <= d < 60 else 0.0) * math.sin((d - 30) / 30 * math.pi),  # Douglas Bullet
}


def factor(product_id: int, day: int) -> float:
    story = STORIES.get(product_id)
    wobble = 1 + 0.03 * math.sin(day / 6 + product_id % 17)
    return (story(day) if story else 1.0) * wobble


class DemoTransport(httpx.AsyncBaseTransport):
    """The bundled tcgcsv files as of a simulated day."""

    def __init__(self, root: Path, clock: Callable[[], datetime], first_day: datetime) -> None:
        self._files = FolderTransport(root)
        self._clock = clock
        self._first = first_day

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        day = (self._clock() - self._first).days
        if request.url.path == "/last-updated.txt":
            return httpx.Response(200, text=self._clock().isoformat(), request=request)
        response = await self._files.handle_async_request(request)
        if not request.url.path.endswith("/prices") or response.status_code != 200:
            return response
        body = json.loads(response.content)
        for row in body["results"]:
            f = factor(row["productId"], day)
            for key in ("lowPrice", "midPrice", "highPrice", "marketPrice"):
                if row.get(key) is not None:
                    row[key] = round(row[key] * f, 2)
        return httpx.Response(200, content=json.dumps(body).encode(), request=request)


class DemoClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


async def set_up_rules(app: App) -> None:
    """The demo collector's watchlist and alerts (recreated on every run)."""
    index = await app.catalog.index()
    for rule in await app.alerts.rules(DEMO_USER):
        await app.alerts.remove_rule(DEMO_USER, rule.id)
    charizard, pikachu, bullet = index.get("sv3pt5-199"), index.get("sv8-238"), index.get("ST05-011")
    await app.alerts.watch(DEMO_USER, charizard, Finish.HOLOFOIL)
    await app.alerts.watch(DEMO_USER, pikachu, Finish.HOLOFOIL)
    await app.alerts.add_rule(DEMO_USER, charizard, "below", finish=Finish.HOLOFOIL, threshold="95.00")
    await app.alerts.add_rule(DEMO_USER, pikachu, "pct_move", finish=Finish.HOLOFOIL, percent="-15", window_days=7)
    await app.alerts.add_rule(DEMO_USER, bullet, "above", finish=Finish.FOIL, threshold="3.00")


def demo_settings_for(settings: Settings, db_path: Path) -> Settings:
    """The demo's own SQLite file (recreated every run, so the replay can be watched again)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    database = settings.database.model_copy(update={"url": f"sqlite+aiosqlite:///{db_path}"})
    return settings.model_copy(update={"database": database})


async def run_demo(settings: Settings, out_dir: Path, write: Callable[[str], None] = print) -> dict:
    today = datetime.now(timezone.utc).replace(hour=20, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=DAYS - 1)
    clock = DemoClock(first)
    transport = DemoTransport(SAMPLE_DIR / "tcgcsv", clock, first)
    demo_settings = settings.model_copy(update={"sources": settings.sources.model_copy(update={
        # Local files: no reason to pace requests like towards the real site.
        "tcgcsv": settings.sources.tcgcsv.model_copy(update={"enabled": True, "base_url": "http://tcgcsv.demo",
                                                              "per_minute": 100_000, "per_hour": 1_000_000})})})
    summary: dict = {"days": DAYS, "alerts": [], "charts": []}
    notifiers = {"console": ConsoleNotifier(write, clock)}
    async with build_app(demo_settings, migrate_now=True, transport=transport, sources={"tcgcsv"}, clock=clock,
                         notifiers=notifiers) as app:
        summary["imported"] = await app.catalog.import_files(SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")
        await set_up_rules(app)
        for day in range(DAYS):
            clock.now = first + timedelta(days=day)
            report = await app.collector.collect("tcgcsv")
            summary["last_collect"] = report
            delivered = await app.deliverer.drain()
            summary["alerts"].extend([clock.now.date().isoformat()] * delivered.sent)
        summary["charts"] = await write_charts(app, out_dir)
        summary["app_now"] = clock.now
        summary["trending"] = await app.history.trending(
            (await app.catalog.index()).get("sv3pt5-199").game, "30d", "losers", limit=3, now=clock.now)
    return summary


async def write_charts(app: App, out_dir: Path) -> list[str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    index = await app.catalog.index()
    written = []
    for card_id, period, theme in (("sv3pt5-199", "3m", "dark"), ("sv8-238", "3m", "light"), ("ST05-011", "30d", "dark")):
        card = index.get(card_id)
        png = await app.history.chart(card, index.set_of(card), period, theme=theme)
        path = out_dir / f"{card_id}-{period}-{theme}.png"
        path.write_bytes(png)
        written.append(str(path))
    return written
