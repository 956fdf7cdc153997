"""Pokémon printed numbers and promo prefixes."""
from __future__ import annotations

import re
from dataclasses import dataclass

# Prefixed numbers that identify a promo set on their own (SWSH050 -> swshp).
PROMO_PREFIX_SETS = {
    "SWSH": "swshp",
    "SM": "smp",
    "XY": "xyp",
    "BW": "bwp",
    "HGSS": "hsp",
    "DP": "dpp",
    "SVP": "svp",
    "MEP": "mep",
}
# Prefixes of subsets inside a set (Trainer Gallery, Galarian Gallery, Shiny Vault, Radiant Collection).
SUBSET_PREFIXES = ("TG", "GG", "SV", "RC", "SH")
KNOWN_PREFIXES = tuple(sorted({*PROMO_PREFIX_SETS, *SUBSET_PREFIXES}, key=len, reverse=True))

_WITH_TOTAL = re.compile(
    r"^(?P<prefix>[a-z]{1,4})?(?P<num>\d{1,4})[a-z]?/(?P<tprefix>[a-z]{1,4})?(?P<total>\d{1,4})$", re.I
)
_PREFIXED = re.compile(r"^(?P<prefix>" + "|".join(KNOWN_PREFIXES) + r")\s?(?P<num>\d{1,4})$", re.I)


@dataclass(frozen=True, slots=True)
class CardNumber:
    """A printed number: prefix (TG, SWSH ...), its integer part and an optional printed total."""

    prefix: str
    value: int
    total: int | None = None

    @property
    def key(self) -> str:
        return number_key(f"{self.prefix}{self.value}")

    @property
    def promo_set(self) -> str | None:
        return PROMO_PREFIX_SETS.get(self.prefix)


def number_key(printed: str) -> str:
    """Comparable form of a printed number: 'SWSH050' -> 'SWSH50', '001' -> '1', '60a' stays."""
    match = re.fullmatch(r"([A-Za-z]*)0*(\d+)([A-Za-z]*)", printed.strip())
    if not match:
        return printed.strip().upper()
    prefix, digits, suffix = match.groups()
    return f"{prefix.upper()}{int(digits)}{suffix.upper()}"


def parse_number(token: str) -> CardNumber | None:
    """Parse '199/165', 'TG05/TG30', 'SWSH050', 'SVP 085'; None for anything else."""
    token = token.strip()
    if len(token) > 16:
        return None
    if match := _WITH_TOTAL.match(token):
        prefix = (match["prefix"] or "").upper()
        return CardNumber(prefix, int(match["num"]), int(match["total"]))
    if match := _PREFIXED.match(token):
        return CardNumber(match["prefix"].upper(), int(match["num"]))
    return None
