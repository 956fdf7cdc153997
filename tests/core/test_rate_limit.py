"""Per-key quotas: exact at the window edges, refusals do not count, headers tell the truth."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.rate_limit import FixedWindowLimiter, Window

HOUR_START = 1_800_000_000 - 1_800_000_000 % 3600  # an epoch second on an hour boundary


def limiter() -> FixedWindowLimiter:
    return FixedWindowLimiter([Window(1000, 3600), Window(100, 60)])


def test_the_101st_request_in_a_minute_is_refused_until_the_minute_turns():
    lim = limiter()
    decisions = [lim.hit("k", HOUR_START + 10 + i * 0.1) for i in range(101)]
    assert all(d.allowed for d in decisions[:100])
    assert decisions[99].remaining == 0 and decisions[99].limit == 100
    refused = decisions[100]
    assert not refused.allowed and refused.limit == 100 and refused.remaining == 0
    assert refused.reset == HOUR_START + 60 and refused.retry_after == 40  # at :20.0, the minute ends at :60
    assert lim.hit("k", HOUR_START + 60).allowed  # a new minute


def test_the_1001st_request_in_an_hour_is_refused_until_the_hour_turns():
    lim = limiter()
    for minute in range(10):
        assert all(lim.hit("k", HOUR_START + minute * 60 + i * 0.5).allowed for i in range(100))
    refused = lim.hit("k", HOUR_START + 600)
    assert not refused.allowed and refused.limit == 1000 and refused.remaining == 0
    assert refused.reset == HOUR_START + 3600 and refused.retry_after == 3000
    assert lim.hit("k", HOUR_START + 3600).allowed


def test_headers_follow_the_window_closest_to_exhaustion():
    lim = limiter()
    first = lim.hit("k", HOUR_START + 5)
    assert (first.limit, first.remaining, first.reset) == (100, 99, HOUR_START + 60)
    for minute in range(1, 10):
        for i in range(100):
            lim.hit("k", HOUR_START + minute * 60 + i * 0.1)
    late = lim.hit("k", HOUR_START + 600)  # the hour's 902nd request, the minute's first
    assert (late.limit, late.remaining, late.reset) == (1000, 98, HOUR_START + 3600)


def test_refused_requests_do_not_use_up_the_quota_and_keys_are_separate():
    lim = limiter()
    for i in range(100):
        lim.hit("a", HOUR_START + i * 0.01)
    for _ in range(50):
        assert not lim.hit("a", HOUR_START + 30).allowed
    assert lim.hit("b", HOUR_START + 30).allowed
    for minute in range(1, 10):
        for i in range(100):
            assert lim.hit("a", HOUR_START + minute * 60 + i * 0.01).allowed  # the 50 refusals cost nothing


def test_idle_counters_are_forgotten():
    lim = limiter()
    lim.hit("a", HOUR_START)
    lim.forget_idle(HOUR_START + 3600)
    assert lim._counts == {}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=7200, allow_nan=False), min_size=1, max_size=400))
def test_no_window_ever_serves_more_than_its_limit(offsets):
    lim = FixedWindowLimiter([Window(20, 3600), Window(5, 60)])
    served = [HOUR_START + t for t in sorted(offsets) if lim.hit("k", HOUR_START + t).allowed]
    for seconds, limit in ((60, 5), (3600, 20)):
        per_window: dict[int, int] = {}
        for t in served:
            per_window[int(t // seconds)] = per_window.get(int(t // seconds), 0) + 1
        assert max(per_window.values()) <= limit
