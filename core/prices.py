"""Price values: compact codes for storage, source quotes, validation. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from core.models import Condition

PRICE_SOURCES = ("tcgcsv", "tcgplayer", "pokemontcg", "cardmarket", "ebay")  # names price points carry
# Sources whose products say their finish (TCGplayer's sub-types). Cardmarket's one figure per card and eBay's
# searches for a watched printing take the finish we give them: no evidence of which finish a card sells in.
FINISH_EVIDENCE_SOURCES = ("tcgcsv", "tcgplayer", "pokemontcg")
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
MAX_CENTS = int(MAX_PRICE * 100)
CENT = Decimal("0.01")


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


def quote_cents(quote: Quote) -> tuple[int | None, ...] | str:
    """(market, low, mid, high, direct_low) in integer cents, or why the quote must not be stored.

    The ingest hot path (60k quotes a snapshot): one pass, and checks on ints rather than Decimals; the
    Decimal is consulted only where rounding to a cent could hide a sign or cross the maximum."""
    if quote.currency not in CURRENCIES:
        return f"unknown currency {quote.currency!r}"
    if quote.ts.tzinfo is None:
        return "timestamp without timezone"
    cents = []
    present = nonzero = False
    for amount in (quote.market, quote.low, quote.mid, quote.high, quote.direct_low):
        if amount is None:
            cents.append(None)
            continue
        value = round(amount * 100)  # Decimal rounding: half to even
        if value <= 0 and (value < 0 or amount < 0):
            return "negative price"
        if value >= MAX_CENTS and amount > MAX_PRICE:
            return "absurd price"
        present, nonzero = True, nonzero or value != 0
        cents.append(value)
    if not present:
        return "no price"
    if not nonzero:
        return "zero price"
    return tuple(cents)


def cents_str(value: Decimal | None) -> str | None:
    """'281.30', not '281.3' (a price read back from cents): an amount to the cent as an exact decimal string."""
    return None if value is None else str(value.quantize(CENT))


def epoch(ts: datetime) -> int:
    return int(ts.astimezone(timezone.utc).timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def day_start(ts: datetime) -> datetime:
    """Daily sources stamp a snapshot with its UTC day, so re-running a day changes nothing."""
    utc = ts.astimezone(timezone.utc)
    return utc.replace(hour=0, minute=0, second=0, microsecond=0)

