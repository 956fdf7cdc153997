"""Delivery: drain the outbox through the notifiers, mark sent only after the platform accepted it.

At-least-once: a deliverer that dies between sending and marking leaves the row leased; when the lease
expires another deliverer sends it again. A deliverer claims only rows for the platforms it has a
notifier for (the chat adapters running in its process); the rest wait, untouched, for one that can.
Notifiers get the message's dedup key so a platform that can (Discord's enforced message nonce) drops
the duplicate; otherwise the user may see one repeat, never a loss."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Protocol

from core.alerts import AlertMessage
from core.models import utcnow

log = logging.getLogger(__name__)


class DeliveryRefused(Exception):
    """Permanent: the user blocked the bot, closed DMs, the channel is gone or forbidden."""


class DeliveryFailed(Exception):
    """Transient: try again later (after `retry_after` seconds when the platform said so)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Notifier(Protocol):
    async def send(self, target_id: str, message: AlertMessage) -> None: ...


class OutboxPort(Protocol):
    async def claim(self, batch: int, lease: timedelta, now: datetime, platforms: list[str]) -> list: ...
    async def mark_sent(self, item, now: datetime, detail: str | None = None) -> None: ...  # noqa: ANN001
    async def mark_retry(self, item, error: str, next_at: datetime, now: datetime) -> None: ...  # noqa: ANN001
    async def mark_failed(self, item, error: str, now: datetime) -> None: ...  # noqa: ANN001


class PausePort(Protocol):
    async def pause_for_delivery(self, rule_id: int | None, feed_id: int | None, reason: str) -> None: ...


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    paused: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DeliveryPolicy:
    batch: int = 100
    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_max: timedelta = timedelta(hours=1)


class Deliverer:
    def __init__(self, outbox: OutboxPort, pauses: PausePort, notifiers: dict[str, Notifier],
                 policy: DeliveryPolicy = DeliveryPolicy(), clock: Callable[[], datetime] = utcnow) -> None:
        self._outbox = outbox
        self._pauses = pauses
        self.notifiers = notifiers
        self._policy = policy
        self._clock = clock

    async def drain_once(self) -> DeliveryReport:
        """One batch. Call again while it returns work; the scheduler does."""
        report = DeliveryReport()
        platforms = list(self.notifiers)  # a chat adapter running in this process registers its notifier
        for item in await self._outbox.claim(self._policy.batch, self._policy.lease, self._clock(), platforms):
            await self._deliver(item, report)
        return report

    async def drain(self, max_batches: int = 1000) -> DeliveryReport:
        total = DeliveryReport()
        for _ in range(max_batches):
            report = await self.drain_once()
            total.sent += report.sent
            total.retried += report.retried
            total.failed += report.failed
            total.paused += report.paused
            if not (report.sent or report.retried or report.failed):
                break
        return total

    async def _deliver(self, item, report: DeliveryReport) -> None:  # noqa: ANN001 - OutboxItem
        notifier = self.notifiers.get(item.platform)
        if notifier is None:  # its adapter stopped after the claim: wait, do not drop
            await self._retry(item, f"no {item.platform} notifier running", None, report)
            return
        try:
            await notifier.send(item.target_id, AlertMessage.from_json(item.payload))
        except DeliveryRefused as err:
            reason = f"delivery refused by {item.platform}: {err}"
            await self._outbox.mark_failed(item, reason, self._clock())
            await self._pauses.pause_for_delivery(item.rule_id, item.feed_id, reason)
            report.failed += 1
            report.paused.append(reason)
        except Exception as err:  # noqa: BLE001 - anything else is worth another try
            retry_after = err.retry_after if isinstance(err, DeliveryFailed) else None
            await self._retry(item, f"{type(err).__name__}: {err}", retry_after, report)
        else:
            await self._outbox.mark_sent(item, self._clock())
            report.sent += 1

    async def _retry(self, item, error: str, retry_after: float | None, report: DeliveryReport) -> None:  # noqa: ANN001
        now = self._clock()
        if item.attempts >= self._policy.max_attempts:
            await self._outbox.mark_failed(item, f"gave up after {item.attempts} attempts: {error}", now)
            report.failed += 1
            return
        delay = self._policy.backoff_base * (2 ** (item.attempts - 1))
        if retry_after is not None:
            delay = max(delay, timedelta(seconds=retry_after))
        await self._outbox.mark_retry(item, error, now + min(delay, self._policy.backoff_max), now)
        report.retried += 1


class ConsoleNotifier:
    """Prints alerts; the console adapter and the offline demo use it."""

    def __init__(self, write: Callable[[str], None] = print, clock: Callable[[], datetime] = utcnow) -> None:
        self._write = write
        self._clock = clock

    async def send(self, target_id: str, message: AlertMessage) -> None:
        self._write(message.plain_text(self._clock()))
