"""What a collection run hands to storage, and what storage reports back. Pure data."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from core.mapping import Match
from core.prices import Quote


@dataclass(frozen=True, slots=True)
class Observation:
    """One source product (and sub-type) as seen in a snapshot, with the mapper's verdict."""

    external_id: str
    sub_type: str
    product_name: str
    group_ref: str
    match: Match
    quote: Quote | None  # None: the product was listed without any price


@dataclass
class IngestUnit:
    """A piece of a snapshot stored in one transaction (a TCGplayer group, a page of cards ...)."""

    source: str
    unit: str
    snapshot_ts: datetime
    observations: list[Observation]
    force: bool = False  # re-apply a unit the ledger says is done (backfill, corrections)


@dataclass
class IngestCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    unmatched: int = 0
    skipped_units: int = 0
    units: int = 0
    alerts_fired: int = 0
    feed_events: int = 0
    reasons: Counter = field(default_factory=Counter)

    def add(self, other: IngestCounts) -> IngestCounts:
        for name in ("inserted", "updated", "unchanged", "invalid", "unmatched", "skipped_units", "units",
                     "alerts_fired", "feed_events"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.reasons.update(other.reasons)
        return self

    def as_dict(self) -> dict[str, object]:
        data = {k: getattr(self, k) for k in ("units", "skipped_units", "inserted", "updated", "unchanged", "invalid",
                                              "unmatched", "alerts_fired", "feed_events")}
        data["reasons"] = dict(self.reasons.most_common(20))
        return data
