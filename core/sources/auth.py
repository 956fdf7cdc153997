"""OAuth client-credentials tokens (TCGplayer, eBay): cached until shortly before expiry."""
from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable

TokenFetcher = Callable[[], Awaitable[tuple[str, float]]]  # -> (access token, lifetime in seconds)
Clock = Callable[[], float]


class ClientCredentialsToken:
    """Fetches a bearer token on first use and again `refresh_margin_s` before it expires."""

    def __init__(self, fetch: TokenFetcher, *, refresh_margin_s: float = 300.0, clock: Clock = time.monotonic):
        self._fetch = fetch
        self._margin = refresh_margin_s
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def get(self) -> str:
        async with self._lock:
            if self._token is None or self._clock() >= self._expires_at - self._margin:
                token, lifetime = await self._fetch()
                self.fetches += 1
                self._token, self._expires_at = token, self._clock() + float(lifetime)
            return self._token

    def invalidate(self) -> None:
        """The server said 401: forget the token so the next get() fetches a new one."""
        self._token = None
