"""Read models the services hand to adapters and the CLI."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.models import Finish, Money


@dataclass(frozen=True, slots=True)
class LatestPrice:
    card_id: str
    finish: Finish
    variant: str
    source: str
    condition: int
    currency: str
    as_of: datetime
    market_cents: int | None
    low_cents: int | None
    mid_cents: int | None
    high_cents: int | None
    sample_size: int | None
    prev_cents: int | None = None  # the point before the newest (for "change since last snapshot")
    prev_as_of: datetime | None = None

    @property
    def change_percent(self) -> float | None:
        if not self.prev_cents or self.market_cents is None:
            return None
        return (self.market_cents - self.prev_cents) / self.prev_cents * 100

    def money(self, cents: int | None) -> Money | None:
        return None if cents is None else Money.from_cents(cents, self.currency)

    def age(self, now: datetime) -> timedelta:
        return now - self.as_of


@dataclass(frozen=True, slots=True)
class UnmatchedProduct:
    source: str
    external_id: str
    sub_type: str
    product_name: str
    group_ref: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class SourceHealth:
    name: str
    enabled: bool
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    circuit_state: str
    last_snapshot_at: datetime | None
