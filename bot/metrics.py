"""Prometheus metrics and the /metrics + /healthz endpoints of `tcgtracker run`."""
from __future__ import annotations

import logging
import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import text

from storage.outbox_repo import SqlOutbox

log = logging.getLogger(__name__)
REGISTRY = CollectorRegistry()
COLLECTIONS = Counter("tcg_collection_runs_total", "collection runs", ["source", "outcome"], registry=REGISTRY)
INGESTED = Counter("tcg_prices_ingested_total", "price points inserted or updated", ["source"], registry=REGISTRY)
SOURCE_ERRORS = Counter("tcg_source_errors_total", "failed collection runs", ["source"], registry=REGISTRY)
CIRCUIT_OPEN = Gauge("tcg_source_circuit_open", "1 while a source's circuit breaker is open", ["source"],
                     registry=REGISTRY)
ALERTS_FIRED = Counter("tcg_alerts_fired_total", "alert rules that fired", registry=REGISTRY)
DELIVERIES = Counter("tcg_deliveries_total", "outbox messages handled", ["outcome"], registry=REGISTRY)
OUTBOX_DEPTH = Gauge("tcg_outbox_depth", "messages waiting in the outbox", registry=REGISTRY)
OUTBOX_AGE = Gauge("tcg_outbox_oldest_seconds", "age of the oldest waiting message", registry=REGISTRY)
COMMAND_SECONDS = Histogram("tcg_command_seconds", "chat command latency", ["command", "outcome"], registry=REGISTRY)


def observe_collect(source: str, report) -> None:  # noqa: ANN001 - core.collect.CollectReport
    COLLECTIONS.labels(source, "error" if report.errors and not report.counts.units else "ok").inc()
    INGESTED.labels(source).inc(report.counts.inserted + report.counts.updated)
    ALERTS_FIRED.inc(report.counts.alerts_fired)
    if report.errors and not report.counts.units:
        SOURCE_ERRORS.labels(source).inc()


def observe_command(name: str, seconds: float, ok: bool) -> None:
    COMMAND_SECONDS.labels(name, "ok" if ok else "refused").observe(seconds)


async def start_http(app, host: str, port: int, roles: list[str]) -> web.AppRunner:  # noqa: ANN001 - bot.app.App
    """/metrics for Prometheus; /healthz answers 200 while the database answers."""
    async def metrics(_request: web.Request) -> web.Response:
        from core.models import utcnow

        depth, age = await SqlOutbox(app.engine).depth(utcnow())
        OUTBOX_DEPTH.set(depth)
        OUTBOX_AGE.set(age or 0)
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(_request: web.Request) -> web.Response:
        started = time.perf_counter()
        try:
            async with app.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as err:  # noqa: BLE001 - health reports, never raises
            return web.json_response({"status": "down", "error": type(err).__name__}, status=503)
        return web.json_response({"status": "ok", "roles": roles,
                                  "db_ms": round((time.perf_counter() - started) * 1000, 2)})

    server = web.Application()
    server.router.add_get("/metrics", metrics)
    server.router.add_get("/healthz", healthz)
    runner = web.AppRunner(server)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("metrics on http://%s:%d/metrics, health on /healthz", host, port)
    return runner
