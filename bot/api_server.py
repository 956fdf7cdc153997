"""The api role: uvicorn serving the HTTP API inside the service's event loop, beside the other roles."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Awaitable, Callable

import uvicorn

from bot.app import App
from bot.config import Settings

log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """The service owns SIGINT/SIGTERM (and stops every role on them); uvicorn must not take them."""

    @contextlib.contextmanager
    def capture_signals(self):  # noqa: ANN201
        yield


def api_options(settings: Settings):  # noqa: ANN201 - adapters.http.app.ApiOptions
    from adapters.http.app import ApiOptions

    a = settings.api
    return ApiOptions(a.requests_per_hour, a.burst_per_minute, a.cache_seconds, tuple(a.cors_origins))


async def start_api(app: App, services) -> Callable[[], Awaitable[None]]:  # noqa: ANN001
    """Serve until the returned close function is awaited; raises if the port cannot be bound."""
    from adapters.http.app import create_api

    cfg = app.settings.api
    server = _EmbeddedServer(uvicorn.Config(create_api(services, api_options(app.settings)), host=cfg.host,
                                            port=cfg.port, log_config=None, lifespan="off", server_header=False,
                                            proxy_headers=True, root_path=cfg.root_path))
    task = asyncio.create_task(server.serve(), name="api")
    while not server.started:
        if task.done():  # e.g. the port is taken: uvicorn logged why and gave up
            task.result()
            raise RuntimeError(f"the HTTP API could not listen on {cfg.host}:{cfg.port}")
        await asyncio.sleep(0.02)
    log.info("HTTP API on http://%s:%d/v1 (docs at /docs)", cfg.host, server.servers[0].sockets[0].getsockname()[1]
             if server.servers else cfg.port)

    async def close() -> None:
        server.should_exit = True
        await task

    return close
