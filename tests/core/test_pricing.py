"""Robust asking-price aggregation, checked by hand."""
from __future__ import annotations

from decimal import Decimal as D

from core.pricing import asking_price_stats


def test_median_after_tukey_trim():
    # q1 = 11, q3 = 14.5 (inclusive quartiles), fences 5.75 and 19.75: 1 and 95 are dropped.
    stats = asking_price_stats([D(x) for x in ("1", "10", "12", "13", "14", "15", "95")])
    assert (stats.median, stats.low, stats.high, stats.sample_size, stats.discarded) == (D("13.00"), D("10"), D("15"), 5, 2)
    assert stats.confidence == "medium"


def test_too_few_listings_give_no_number():
    assert asking_price_stats([D("10"), D("11")]) is None
    assert asking_price_stats([D("0"), D("-1"), D("5")]) is None


def test_confidence_grows_with_sample_size():
    assert asking_price_stats([D(10)] * 3).confidence == "low"
    assert asking_price_stats([D(10)] * 12).confidence == "high"
