"""Per-key request quotas in fixed windows (1000 an hour with a 100-a-minute burst by default).

Fixed windows aligned to the clock make every number a client sees exact and predictable: the
101st request in a minute is refused, `Reset` is the second the window ends. Refused requests do
not count, so a client that backs off as told is served as soon as the window turns."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int  # of the window closest to exhaustion (the one a client must watch)
    remaining: int
    reset: int  # epoch second when that window ends
    retry_after: int  # seconds; 0 when allowed
    policy: str  # every window, e.g. "1000;w=3600, 100;w=60"


class FixedWindowLimiter:
    """In-process counters: exact for one API process (the api role runs once; it is async)."""

    def __init__(self, windows: list[Window]) -> None:
        if not windows or any(w.limit < 1 or w.seconds < 1 for w in windows):
            raise ValueError("every rate-limit window needs a positive limit and length")
        self.windows = sorted(windows, key=lambda w: -w.seconds)
        self.policy = ", ".join(f"{w.limit};w={w.seconds}" for w in self.windows)
        self._counts: dict[tuple[object, int], tuple[int, int]] = {}  # (key, window idx) -> (window start, count)

    def hit(self, key: object, now: float) -> Decision:
        """Count one request for `key` at `now` (epoch seconds) if every window has room."""
        states = []
        for index, window in enumerate(self.windows):
            start = math.floor(now / window.seconds) * window.seconds
            started, count = self._counts.get((key, index), (start, 0))
            states.append((index, window, start, count if started == start else 0))
        full = [(w, start) for _, w, start, count in states if count >= w.limit]
        if full:
            window, start = max(full, key=lambda item: item[1] + item[0].seconds)
            reset = start + window.seconds
            return Decision(False, window.limit, 0, reset, max(1, math.ceil(reset - now)), self.policy)
        for index, _, start, count in states:
            self._counts[(key, index)] = (start, count + 1)
        index, window, start, count = min(states, key=lambda s: (s[1].limit - s[3] - 1, -s[1].seconds))
        return Decision(True, window.limit, window.limit - count - 1, start + window.seconds, 0, self.policy)

    def forget_idle(self, now: float) -> None:
        """Drop counters of windows that have ended (keeps memory bounded by active keys)."""
        for (key, index), (start, _) in list(self._counts.items()):
            if start + self.windows[index].seconds <= now:
                del self._counts[(key, index)]
