"""Who is calling (X-API-Key) and whether their quota has room; runs before every /v1 route.

A pure ASGI middleware rather than a route dependency, so that every /v1 response, errors and 429s
included, carries the X-RateLimit headers."""
from __future__ import annotations

import logging
import time
from typing import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.http.errors import error_response, route_path
from core.api_keys import ApiKeyService
from core.rate_limit import Decision, FixedWindowLimiter

log = logging.getLogger(__name__)
PROTECTED_PREFIX = "/v1/"


def quota_headers(decision: Decision) -> dict[str, str]:
    headers = {"X-RateLimit-Limit": str(decision.limit), "X-RateLimit-Remaining": str(decision.remaining),
               "X-RateLimit-Reset": str(decision.reset), "X-RateLimit-Policy": decision.policy}
    if not decision.allowed:
        headers["Retry-After"] = str(decision.retry_after)
    return headers


class KeyAndQuota:
    def __init__(self, app: ASGIApp, keys: ApiKeyService, limiter: FixedWindowLimiter,
                 clock: Callable[[], float] = time.time) -> None:
        self.app, self.keys, self.limiter, self.clock = app, keys, limiter, clock
        self._last_sweep = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not route_path(scope).startswith(PROTECTED_PREFIX):
            await self.app(scope, receive, send)
            return
        key = Headers(scope=scope).get("x-api-key")
        try:
            who = await self.keys.authenticate(key)
        except Exception:  # noqa: BLE001 - the database is down: say so, do not crash the request
            log.exception("API key lookup failed")
            await error_response(503, "The service is unavailable right now; try again shortly.")(scope, receive, send)
            return
        if who is None:
            message = ("Send your API key in the X-API-Key header (create one in chat with /apikey create)."
                       if not key else "That API key is unknown or revoked.")
            await error_response(401, message, headers={"WWW-Authenticate": "ApiKey"})(scope, receive, send)
            return
        key_id, caller = who
        now = self.clock()
        decision = self.limiter.hit(key_id, now)
        self._sweep(now)
        headers = quota_headers(decision)
        if not decision.allowed:
            await error_response(429, f"Rate limit reached; retry in {decision.retry_after} s.",
                                 details={"limit": decision.limit, "policy": decision.policy},
                                 headers=headers)(scope, receive, send)
            return
        scope.setdefault("state", {})["caller"] = caller

        async def send_with_quota(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      *((k.lower().encode(), v.encode()) for k, v in headers.items())]
            await send(message)

        await self.app(scope, receive, send_with_quota)

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep > 300:
            self._last_sweep = now
            self.limiter.forget_idle(now)
