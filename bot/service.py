"""`tcgtracker run`: one process with the roles it is given; several processes share one database.

Roles: collector (scheduled collection + maintenance), evaluator (periodic full alert evaluation, a
safety net beside the per-ingest one), deliverer (outbox), discord, telegram, api (HTTP API). Default:
every role whose prerequisites are there (chat roles need their token, the api `[api] enabled`)."""
from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from datetime import timedelta

from bot.app import App, build_app
from bot.config import Secrets, Settings
from bot.scheduler import build_scheduler
from core.models import utcnow
from storage.alert_eval import evaluate

log = logging.getLogger(__name__)
ROLES = ("collector", "evaluator", "deliverer", "discord", "telegram", "api")
STOP_GRACE_S = 30.0


def choose_roles(requested: list[str] | None, secrets: Secrets, api_enabled: bool = False) -> list[str]:
    if requested:
        unknown = set(requested) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown role(s) {', '.join(sorted(unknown))}; use {', '.join(ROLES)}")
        for role, token in (("discord", secrets.discord_token), ("telegram", secrets.telegram_token)):
            if role in requested and token is None:
                raise ValueError(f"the {role} role needs TCGTRACKER_{role.upper()}_TOKEN in the environment")
        return list(dict.fromkeys(requested))
    roles = ["collector", "evaluator", "deliverer"]
    roles += [r for r, token in (("discord", secrets.discord_token), ("telegram", secrets.telegram_token)) if token]
    return roles + ["api"] if api_enabled else roles


async def evaluate_job(app: App) -> None:
    """Every active rule against the newest prices (catches rules created after the last ingest)."""
    async with app.engine.begin() as conn:
        counts = await evaluate(conn, None, utcnow())
    if counts.fired:
        log.info("evaluator: %d alerts fired", counts.fired)


async def run_service(settings: Settings, roles: list[str] | None, stop: asyncio.Event,
                      ready: asyncio.Event | None = None) -> list[str]:
    started = time.perf_counter()
    secrets = Secrets()
    chosen = choose_roles(roles, secrets, settings.api.enabled)
    async with build_app(settings, migrate_now=True, secrets=secrets,
                         sources=None if "collector" in chosen else set()) as app:
        closers = await start_chat_adapters(app, secrets, [r for r in chosen if r in ("discord", "telegram")])
        if "api" in chosen:
            from bot.api_server import start_api

            closers.append(await start_api(app, services_of(app)))
        if "deliverer" in chosen:
            log.info("deliverer sends to %s (other platforms' alerts wait for the process running their adapter)",
                     ", ".join(app.deliverer.notifiers))
        scheduler = build_scheduler(
            settings, app.collector if "collector" in chosen else _no_collection(app),
            engine=app.engine if "collector" in chosen else None,
            deliverer=app.deliverer if "deliverer" in chosen else None,
            history=app.history if "evaluator" in chosen else None)
        if settings.search.catalog_refresh_minutes:
            scheduler.add_job(refresh_catalog_job, "interval", minutes=settings.search.catalog_refresh_minutes,
                              args=[app], id="catalog", name="refresh the catalog index")
        if "evaluator" in chosen:
            scheduler.add_job(evaluate_job, "interval", seconds=settings.alerts.evaluate_interval_seconds, args=[app],
                              id="evaluate", name="evaluate alerts", next_run_time=utcnow() + timedelta(seconds=2))
        scheduler.start()
        http = None
        if settings.metrics.enabled:
            from adapters.commands import COMMAND_OBSERVERS
            from bot import metrics

            COMMAND_OBSERVERS.append(metrics.observe_command)
            http = await metrics.start_http(app, settings.metrics.host, settings.metrics.port, chosen)
        log.info("ready in %.2f s: roles %s; jobs %s", time.perf_counter() - started, ", ".join(chosen),
                 ", ".join(j.name for j in scheduler.get_jobs()) or "none")
        print(f"ready: roles {', '.join(chosen)}", flush=True)
        if ready is not None:
            ready.set()
        settling = asyncio.create_task(settle_long_lived(app))
        await stop.wait()
        settling.cancel()
        await shutdown(app, scheduler, closers)
        if http is not None:
            await http.cleanup()
    return chosen


async def settle_long_lived(app: App) -> None:
    """Load the catalog index now rather than on the first user's command, then freeze what is alive.

    The full catalog's index is ~75k long-lived containers, and every full garbage collection walked
    them: a 40-50 ms stall of the loop each time (measured). gc.freeze() moves everything alive to a
    permanent generation that collections skip; reference counting still frees it as usual."""
    try:
        index = await app.catalog.index()
    except Exception:  # noqa: BLE001 - the first command loads it again and reports the problem there
        log.exception("could not load the catalog index at start-up")
        return
    freeze_long_lived()
    log.info("catalog index ready: %d cards; %d long-lived objects kept out of garbage collection",
             len(index.cards), gc.get_freeze_count())
    if not index.cards:
        log.warning("the card catalog is empty: every lookup answers so and no price can be mapped to a card; "
                    "import it with `tcgtracker catalog import --pokemon PATH --onepiece PATH` (a running "
                    "process picks it up within [search] catalog_refresh_minutes)")


async def refresh_catalog_job(app: App) -> None:
    """Pick up a catalog import made by another process (the index holds no reference cycles, so a
    replaced, frozen index is still freed by reference counting)."""
    try:
        if await app.catalog.refresh_if_changed():
            index = await app.catalog.index()
            freeze_long_lived()
            log.info("catalog changed: search index rebuilt with %d cards", len(index.cards))
    except Exception:  # noqa: BLE001 - the old index keeps serving; the next check tries again
        log.exception("could not refresh the catalog index")


def freeze_long_lived() -> None:
    gc.collect()  # garbage goes now, not into the permanent generation
    gc.freeze()


def services_of(app: App):  # noqa: ANN201 - adapters.commands.Services
    from adapters.commands import Services

    return Services(app.catalog, app.prices, app.history, app.alerts, app.keys, app.reports)


async def start_chat_adapters(app: App, secrets: Secrets, roles: list[str]) -> list:
    """Start the chat platforms among `roles`; returns their close functions."""
    closers = []
    if "discord" in roles and secrets.discord_token:
        from adapters.discord.client import DiscordNotifier, make_client

        cfg = app.settings.discord
        client = make_client(services_of(app), sync_guild_id=cfg.sync_guild_id, sharded=cfg.sharded,
                             shard_count=cfg.shard_count, shard_ids=cfg.shard_ids)
        app.deliverer.notifiers["discord"] = DiscordNotifier(client)
        task = asyncio.create_task(client.start(secrets.discord_token.get_secret_value()))

        async def close_discord() -> None:
            await client.close()
            task.cancel()

        closers.append(close_discord)
    if "telegram" in roles and secrets.telegram_token:
        from adapters.telegram.bot import build_application, start_telegram, stop_telegram
        from adapters.telegram.notify import TelegramNotifier

        cfg = app.settings.telegram
        application = build_application(services_of(app), secrets.telegram_token.get_secret_value(),
                                        base_url=cfg.api_base_url)
        webhook = None
        if cfg.mode == "webhook":
            if not (cfg.webhook_url and secrets.telegram_webhook_secret):
                raise ValueError("telegram webhook mode needs [telegram] webhook_url and TCGTRACKER_TELEGRAM_WEBHOOK_SECRET")
            webhook = {"listen": cfg.webhook_listen, "port": cfg.webhook_port, "url_path": cfg.webhook_path,
                       "webhook_url": cfg.webhook_url, "secret_token": secrets.telegram_webhook_secret.get_secret_value()}
        await start_telegram(application, webhook=webhook)
        app.deliverer.notifiers["telegram"] = TelegramNotifier(application.bot)
        closers.append(lambda: stop_telegram(application))
    return closers


def _no_collection(app: App):  # noqa: ANN202
    from core.collect import CollectService

    return CollectService(app.catalog.index, app.queries, {})


async def shutdown(app: App, scheduler, closers) -> None:  # noqa: ANN001
    """Stop taking new work, let the current ingest unit commit, close the chat adapters."""
    scheduler.pause()
    app.collector.stopping.set()
    if not await app.collector.wait_idle(STOP_GRACE_S):
        log.warning("a collection did not finish its unit within %.0f s; it rolls back", STOP_GRACE_S)
    scheduler.shutdown(wait=False)
    for close in closers:
        await close()
    print("stopped", flush=True)


def install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
