"""Fault tests for the shared source HTTP layer, through a scripted httpx transport."""
from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from core.sources.http import (
    CircuitOpen,
    PermanentSourceError,
    SourceHttp,
    SourceLimits,
    TransientSourceError,
    retry_after_seconds,
)

FAST = SourceLimits(attempts=4, wait_initial_s=0.01, wait_max_s=0.02, wait_jitter_s=0.0, retry_budget_s=10,
                    breaker_threshold=3, breaker_reset_s=0.3, timeout_s=1.0)


class Script:
    """Answers requests from a list of steps; records every request it saw."""

    def __init__(self, *steps):
        self.steps = list(steps)
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        status, body, headers = step if len(step) == 3 else (*step, {})
        content = body if isinstance(body, bytes) else body.encode()
        return httpx.Response(status, content=content, headers=headers, request=request)


def gateway(script: Script, limits: SourceLimits = FAST) -> SourceHttp:
    return SourceHttp("test", httpx.AsyncClient(transport=httpx.MockTransport(script)), limits)


async def test_429_with_retry_after_waits_that_long_then_succeeds():
    script = Script((429, "slow down", {"Retry-After": "1"}), (200, '{"ok": 1}'))
    started = time.monotonic()
    assert await gateway(script).get_json("https://x/a") == {"ok": 1}
    assert time.monotonic() - started >= 0.95
    assert len(script.seen) == 2


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retried(status):
    script = Script((status, "boom"), (status, "boom"), (200, "[1]"))
    assert await gateway(script).get_json("https://x/a") == [1]
    assert len(script.seen) == 3


async def test_timeouts_are_retried():
    script = Script(httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow"), (200, "{}"))
    assert await gateway(script).get_json("https://x/a") == {}


@pytest.mark.parametrize("body", [b"{not json", b'{"results": [1, 2', b"\xff\xfe garbage"])
async def test_malformed_or_truncated_json_is_retried_then_reported(body):
    script = Script((200, body))
    with pytest.raises(TransientSourceError, match="malformed JSON"):
        await gateway(script).get_json("https://x/a")
    assert len(script.seen) == FAST.attempts


async def test_malformed_body_then_good_body_succeeds():
    script = Script((200, b'{"trunc'), (200, b'{"fine": true}'))
    assert await gateway(script).get_json("https://x/a") == {"fine": True}


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_client_errors_fail_fast_without_retry(status):
    script = Script((status, "no"))
    with pytest.raises(PermanentSourceError):
        await gateway(script).get_json("https://x/a")
    assert len(script.seen) == 1


async def test_breaker_opens_after_repeated_failures_half_opens_and_closes():
    script = Script((503, "down"))
    http = gateway(script, SourceLimits(**{**FAST.__dict__, "attempts": 1}))
    for _ in range(3):
        with pytest.raises(TransientSourceError):
            await http.get_json("https://x/a")
    assert await http.breaker_state() == "opened"
    calls = len(script.seen)
    with pytest.raises(CircuitOpen):
        await http.get_json("https://x/a")
    assert len(script.seen) == calls  # refused without touching the network
    await asyncio.sleep(0.35)
    script.steps = [(200, "{}")]
    assert await http.get_json("https://x/a") == {}
    assert await http.breaker_state() == "closed"


async def test_missing_resources_do_not_open_the_breaker():
    script = Script((404, "gone"))
    http = gateway(script, SourceLimits(**{**FAST.__dict__, "attempts": 1}))
    for _ in range(5):
        with pytest.raises(PermanentSourceError):
            await http.get_json("https://x/a")
    assert await http.breaker_state() == "closed"


def test_retry_after_accepts_seconds_and_http_dates():
    from datetime import datetime, timezone

    now = datetime(2026, 11, 27, 12, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Fri, 27 Nov 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("nonsense") is None and retry_after_seconds(None) is None
    assert retry_after_seconds("999999") == 300.0  # capped
