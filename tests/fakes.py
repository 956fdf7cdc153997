"""Fakes that record what happened (preferred over mocks)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.alerts import AlertMessage


class FakeNotifier:
    """Records what it sent; `fail_next` holds exceptions to raise on the next sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, AlertMessage]] = []
        self.fail_next: list[Exception] = []

    async def send(self, target_id: str, message: AlertMessage) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.sent.append((target_id, message))


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 27, 12, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
