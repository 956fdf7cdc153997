"""Pure price maths. Asking-price aggregation for marketplace listings lives here; series statistics
(change, ATH/ATL, volatility, trend) join it with the history issue."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from statistics import median

MIN_SAMPLE = 3


@dataclass(frozen=True, slots=True)
class AskingStats:
    median: Decimal
    low: Decimal
    high: Decimal
    sample_size: int  # listings kept after trimming
    discarded: int  # outliers removed
    confidence: str  # low, medium, high

    @property
    def thin(self) -> bool:
        return self.confidence == "low"


def _quantile(ordered: list[Decimal], q: float) -> Decimal:
    """Linear interpolation between closest ranks (the 'inclusive' method)."""
    position = (len(ordered) - 1) * q
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    fraction = Decimal(str(position - lower))
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction


def asking_price_stats(prices: list[Decimal], min_sample: int = MIN_SAMPLE) -> AskingStats | None:
    """Median of listings after dropping Tukey outliers (outside 1.5 IQR); None below the minimum sample.

    Listings are asking prices, not sales: one absurd listing must not move the number."""
    ordered = sorted(p for p in prices if p is not None and p > 0)
    if len(ordered) < min_sample:
        return None
    q1, q3 = _quantile(ordered, 0.25), _quantile(ordered, 0.75)
    spread = (q3 - q1) * Decimal("1.5")
    kept = [p for p in ordered if q1 - spread <= p <= q3 + spread]
    if len(kept) < min_sample:
        return None
    confidence = "low" if len(kept) < 5 else "medium" if len(kept) < 10 else "high"
    middle = Decimal(median(kept)).quantize(Decimal("0.01"))
    return AskingStats(middle, kept[0], kept[-1], len(kept), len(ordered) - len(kept), confidence)
