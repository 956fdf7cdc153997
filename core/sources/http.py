"""Resilient HTTP for every source: timeouts, jittered retries honouring Retry-After (stamina),
per-minute and per-hour rate limits (aiolimiter) and a per-source circuit breaker (purgatory)."""
from __future__ import annotations

import email.utils
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import httpx
import stamina
from aiolimiter import AsyncLimiter
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

log = logging.getLogger(__name__)

MAX_RETRY_AFTER_S = 300.0


@dataclass(frozen=True)
class SourceLimits:
    """Per-source HTTP policy; every field has a setting in config.example.toml."""

    per_minute: int = 60
    per_hour: int = 2000
    timeout_s: float = 30.0
    attempts: int = 5
    retry_budget_s: float = 300.0
    wait_initial_s: float = 0.5
    wait_max_s: float = 60.0
    wait_jitter_s: float = 1.0
    breaker_threshold: int = 5
    breaker_reset_s: float = 300.0


class SourceError(Exception):
    """A source call failed; `permanent` says whether trying again can help."""

    permanent = False

    def __init__(self, source: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.status = status


class TransientSourceError(SourceError):
    def __init__(self, source: str, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(source, message, status)
        self.retry_after = retry_after


class PermanentSourceError(SourceError):
    permanent = True


class AuthExpired(PermanentSourceError):
    """401: the token is stale; the caller refreshes it once and tries again."""


class CircuitOpen(SourceError):
    """The source failed repeatedly; calls are refused until the breaker half-opens."""


def retry_after_seconds(header: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as delta-seconds or an HTTP date; None when absent or unreadable."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return min(float(header), MAX_RETRY_AFTER_S)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    delta = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return min(max(delta, 0.0), MAX_RETRY_AFTER_S)


def classify(source: str, response: httpx.Response) -> None:
    """Raise the right SourceError for a non-2xx response."""
    status = response.status_code
    if status < 300:
        return
    if status == 401:
        raise AuthExpired(source, "unauthorized (401)", status)
    if status == 429 or status >= 500 or status == 408:
        raise TransientSourceError(
            source, f"HTTP {status}", status, retry_after_seconds(response.headers.get("Retry-After"))
        )
    raise PermanentSourceError(source, f"HTTP {status} for {response.request.url}", status)


def _backoff_hook(exc: Exception) -> bool | float:
    """stamina hook: retry transient failures, waiting what Retry-After asks when it asks."""
    if isinstance(exc, TransientSourceError):
        return exc.retry_after if exc.retry_after is not None else True
    return False


def _counts_for_breaker(exc: BaseException) -> bool:
    """A missing resource (404) or bad request says nothing about the source's health."""
    return isinstance(exc, PermanentSourceError) and exc.status in (400, 404, 410)


Parser = Callable[[str, httpx.Response], Any]


class SourceHttp:
    """One source's gateway to the network. Build one per source in the composition root."""

    def __init__(
        self,
        name: str,
        client: httpx.AsyncClient,
        limits: SourceLimits,
        breakers: AsyncCircuitBreakerFactory | None = None,
    ) -> None:
        self.name = name
        self._client = client
        self._limits = limits
        self._per_minute = AsyncLimiter(limits.per_minute, 60)
        self._per_hour = AsyncLimiter(limits.per_hour, 3600)
        self._breakers = breakers or AsyncCircuitBreakerFactory()

    async def breaker_state(self) -> str:
        breaker = await self._breaker()
        return breaker.context.state

    async def _breaker(self):  # noqa: ANN202 - purgatory's type
        return await self._breakers.get_breaker(
            self.name,
            threshold=self._limits.breaker_threshold,
            ttl=self._limits.breaker_reset_s,
            exclude=[(PermanentSourceError, _counts_for_breaker)],
        )

    async def request(self, method: str, url: str, *, parse: Parser | None = None, **kwargs: Any) -> Any:
        """Send with retries and the breaker; with `parse`, a body it rejects is retried too."""
        breaker = await self._breaker()
        try:
            async with breaker:
                return await self._with_retries(method, url, parse, **kwargs)
        except OpenedState as err:
            raise CircuitOpen(self.name, "circuit open after repeated failures; try again later") from err

    async def _with_retries(self, method: str, url: str, parse: Parser | None, **kwargs: Any) -> Any:
        limits = self._limits
        async for attempt in stamina.retry_context(
            on=_backoff_hook,
            attempts=limits.attempts,
            timeout=limits.retry_budget_s,
            wait_initial=limits.wait_initial_s,
            wait_max=limits.wait_max_s,
            wait_jitter=limits.wait_jitter_s,
        ):
            with attempt:
                response = await self._once(method, url, **kwargs)
                return parse(self.name, response) if parse else response
        raise AssertionError("unreachable: stamina re-raises the last error")

    async def _once(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async with self._per_minute, self._per_hour:
            try:
                response = await self._client.request(method, url, timeout=self._limits.timeout_s, **kwargs)
            except httpx.TimeoutException as err:
                raise TransientSourceError(self.name, f"timeout ({type(err).__name__})") from err
            except httpx.TransportError as err:
                raise TransientSourceError(self.name, f"network error ({type(err).__name__})") from err
        classify(self.name, response)
        return response

    async def get_json(self, url: str, **kwargs: Any) -> Any:
        return await self.request("GET", url, parse=decode_json, **kwargs)

    async def get_text(self, url: str, **kwargs: Any) -> str:
        response = await self.request("GET", url, **kwargs)
        return response.text


def decode_json(source: str, response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as err:
        # Truncated or garbled bodies are usually a transport hiccup; let the caller's retry see it.
        raise TransientSourceError(source, f"malformed JSON ({err.__class__.__name__})") from err

