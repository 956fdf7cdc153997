"""The HTTP API as an ASGI app: the same core services the chat bots use, behind API keys and quotas."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from fastapi import APIRouter, FastAPI, Security
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.security import APIKeyHeader

from adapters.http import routes_alerts, routes_cards, routes_reports, routes_watchlist
from adapters.http.access import KeyAndQuota
from adapters.http.errors import documented, install_error_handlers, route_methods
from core.rate_limit import FixedWindowLimiter, Window

DESCRIPTION = """Prices, history, charts and trending for Pokémon and One Piece cards, and your own alerts.

Every `/v1` request needs an `X-API-Key` header: create a key in chat with `/apikey create`; it acts
as you (the same watchlist and alerts as on Discord and Telegram). Quotas per key: see the
`X-RateLimit-*` headers of every response; a `429` carries `Retry-After`. Money is a decimal string
next to its currency; times are UTC. Errors always look like
`{"error": {"code", "message", "details", "timestamp"}}`."""


@dataclass(frozen=True)
class ApiOptions:
    requests_per_hour: int = 1000
    burst_per_minute: int = 100
    cache_seconds: int = 60
    cors_origins: tuple[str, ...] = ()


def create_api(services, options: ApiOptions = ApiOptions(),  # noqa: ANN001 - adapters.commands.Services
               clock: Callable[[], float] = time.time) -> FastAPI:
    if services.keys is None:
        raise ValueError("the HTTP API needs the API key service")
    app = FastAPI(title="TCG Price Tracker API", version="1.0.0", description=DESCRIPTION, redoc_url=None)
    app.state.services = services
    app.state.cache_seconds = options.cache_seconds
    install_error_handlers(app)
    v1 = APIRouter(prefix="/v1", dependencies=[Security(APIKeyHeader(name="X-API-Key", auto_error=False))],
                   responses=documented(400, 401, 404, 422, 429, 500))
    routers = {"cards and prices": routes_cards.router, "alerts": routes_alerts.router,
               "watchlist": routes_watchlist.router, "reports": routes_reports.router}
    for tag, router in routers.items():
        v1.include_router(router, tags=[tag])
    app.include_router(v1)
    # the Allow header of a 405 names the methods of every route, so it is built from the same routers
    app.state.route_methods = route_methods("/v1", [r for router in routers.values() for r in router.routes])
    limiter = FixedWindowLimiter([Window(options.requests_per_hour, 3600), Window(options.burst_per_minute, 60)])
    app.add_middleware(KeyAndQuota, keys=services.keys, limiter=limiter, clock=clock)
    if options.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(options.cors_origins), allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["X-API-Key", "Content-Type", "If-None-Match"],
                           expose_headers=["ETag", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                                           "X-RateLimit-Reset", "X-RateLimit-Policy"])
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    return app
