"""Price values: compact codes for storage, source quotes, validation. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from core.models import Condition

PRICE_SOURCES = ("tcgcsv", "tcgplayer", "pokemontcg", "cardmarket", "ebay")  # names price points carry
CURRENCIES = {"USD": 1, "EUR": 2, "GBP": 3, "JPY": 4, "CAD": 5, "AUD": 6}
CURRENCY_BY_CODE = {v: k for k, v in CURRENCIES.items()}

# Condition codes: 0 = raw market price (any condition, what TCGplayer's market price is),
# 1-5 = raw by condition, 1000 + 100 * grader + 2 * grade = graded (PSA 10 -> 1120, BGS 9.5 -> 1219).
RAW_MARKET = 0
_CONDITION_CODES = {
    Condition.NEAR_MINT: 1,
    Condition.LIGHTLY_PLAYED: 2,
    Condition.MODERATELY_PLAYED: 3,
    Condition.HEAVILY_PLAYED: 4,
    Condition.DAMAGED: 5,
}
GRADERS = ("PSA", "BGS", "CGC", "SGC", "TAG")
MAX_PRICE = Decimal("2000000")  # anything above is a data error, not a card price


def condition_code(condition: Condition | None = None, grader: str | None = None, grade: float | None = None) -> int:
    if grader:
        if grader.upper() not in GRADERS or grade is None or not 1 <= grade <= 10 or (grade * 2) % 1:
            raise ValueError(f"unknown grade {grader} {grade}")
        return 1000 + 100 * (GRADERS.index(grader.upper()) + 1) + int(grade * 2)
    return _CONDITION_CODES[condition] if condition else RAW_MARKET


def condition_label(code: int) -> str:
    if code == RAW_MARKET:
        return "raw (market)"
    if code >= 1000:
        grader, half_grades = divmod(code - 1000, 100)
        grade = half_grades / 2
        return f"{GRADERS[grader - 1]} {grade:g}"
    names = {v: k for k, v in _CONDITION_CODES.items()}
    return names[code].value.replace("_", " ")


def is_graded(code: int) -> bool:
    return code >= 1000


def to_decimal(raw: object) -> Decimal | None:
    """Source number -> Decimal; None for missing, empty or non-numeric values."""
    if raw is None or raw == "" or isinstance(raw, bool):
        return None
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def to_cents(value: Decimal | None) -> int | None:
    return None if value is None else int(value.scaleb(2).to_integral_value())


@dataclass(frozen=True, slots=True)
class Quote:
    """One price observation from a source, before it is tied to a printing id."""

    source: str
    ts: datetime
    currency: str
    condition: int = RAW_MARKET
    market: Decimal | None = None
    low: Decimal | None = None
    mid: Decimal | None = None
    high: Decimal | None = None
    direct_low: Decimal | None = None
    sample_size: int | None = None

    @property
    def amounts(self) -> tuple[Decimal | None, ...]:
        return (self.market, self.low, self.mid, self.high, self.direct_low)


def invalid_reason(quote: Quote) -> str | None:
    """Why a quote must not be stored, or None when it is fine. (Hot path: one pass, no allocations.)"""
    if quote.currency not in CURRENCIES:
        return f"unknown currency {quote.currency!r}"
    if quote.ts.tzinfo is None:
        return "timestamp without timezone"
    present = nonzero = 0
    for amount in (quote.market, quote.low, quote.mid, quote.high, quote.direct_low):
        if amount is None:
            continue
        if amount < 0:
            return "negative price"
        if amount > MAX_PRICE:
            return "absurd price"
        present += 1
        nonzero += amount != 0
    if not present:
        return "no price"
    if not nonzero:
        return "zero price"
    return None


def epoch(ts: datetime) -> int:
    return int(ts.astimezone(timezone.utc).timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def day_start(ts: datetime) -> datetime:
    """Daily sources stamp a snapshot with its UTC day, so re-running a day changes nothing."""
    utc = ts.astimezone(timezone.utc)
    return utc.replace(hour=0, minute=0, second=0, microsecond=0)

