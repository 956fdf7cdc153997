"""Domain values shared by every room: games, sets, cards, printings, money."""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal


class Game(enum.StrEnum):
    POKEMON = "pokemon"
    ONE_PIECE = "onepiece"

    @property
    def label(self) -> str:
        return "Pokémon" if self is Game.POKEMON else "One Piece"


class Finish(enum.StrEnum):
    """A printing's finish (TCGplayer calls it subTypeName)."""

    NORMAL = "normal"
    HOLOFOIL = "holofoil"
    REVERSE_HOLOFOIL = "reverse_holofoil"
    FIRST_EDITION = "1st_edition"
    FIRST_EDITION_HOLOFOIL = "1st_edition_holofoil"
    UNLIMITED = "unlimited"
    UNLIMITED_HOLOFOIL = "unlimited_holofoil"
    FOIL = "foil"

    @property
    def label(self) -> str:
        return _FINISH_LABELS[self]


_FINISH_LABELS = {
    Finish.NORMAL: "Normal",
    Finish.HOLOFOIL: "Holofoil",
    Finish.REVERSE_HOLOFOIL: "Reverse Holofoil",
    Finish.FIRST_EDITION: "1st Edition",
    Finish.FIRST_EDITION_HOLOFOIL: "1st Edition Holofoil",
    Finish.UNLIMITED: "Unlimited",
    Finish.UNLIMITED_HOLOFOIL: "Unlimited Holofoil",
    Finish.FOIL: "Foil",
}


F = Finish
# How collectors write a finish, and the values themselves ("reverse_holofoil"): one table for options
# and for a finish typed after the card ('/watch charmander 151 reverse holo').
FINISH_WORDS: dict[str, Finish] = {
    **{f.value: f for f in Finish}, **{f.value.replace("_", " "): f for f in Finish},
    "non holo": F.NORMAL, "nonholo": F.NORMAL, "holo": F.HOLOFOIL, "reverse": F.REVERSE_HOLOFOIL,
    "reverse holo": F.REVERSE_HOLOFOIL, "rev holo": F.REVERSE_HOLOFOIL, "reverse foil": F.REVERSE_HOLOFOIL,
    "1st": F.FIRST_EDITION, "1st ed": F.FIRST_EDITION, "first edition": F.FIRST_EDITION,
    "1st edition holo": F.FIRST_EDITION_HOLOFOIL, "1st ed holo": F.FIRST_EDITION_HOLOFOIL,
    "first edition holo": F.FIRST_EDITION_HOLOFOIL, "unlimited holo": F.UNLIMITED_HOLOFOIL,
}
del F
_FINISH_AT_END = re.compile(  # a space in a phrase also matches "-" or "_" ("non-holo", "reverse_holofoil")
    r"(?:^|\s)(?P<words>" + "|".join(re.escape(w).replace("_", r"[\s_-]+").replace(r"\ ", r"[\s_-]+")
                                      for w in sorted(FINISH_WORDS, key=len, reverse=True)) + r")\s*$",
    re.IGNORECASE)


def parse_finish(raw: str) -> Finish:
    """'reverse holo', 'Reverse Holofoil', '1st edition', 'non-holo' -> the finish; ValueError when none."""
    key = " ".join(raw.strip().lower().replace("-", " ").replace("_", " ").split())
    for words in (key, key.replace(" ", "_")):
        if words in FINISH_WORDS:
            return FINISH_WORDS[words]
    raise ValueError(raw)


def take_finish(query: str) -> tuple[str, Finish | None]:
    """A finish typed at the end of a card query: 'charmander 151 reverse holo' -> ('charmander 151',
    REVERSE_HOLOFOIL). Only at the end, and only with some card text before it."""
    found = _FINISH_AT_END.search(query)
    if found is None or not query[:found.start()].strip():
        return query, None
    return query[:found.start()].strip(), parse_finish(found["words"])


class Condition(enum.StrEnum):
    NEAR_MINT = "near_mint"
    LIGHTLY_PLAYED = "lightly_played"
    MODERATELY_PLAYED = "moderately_played"
    HEAVILY_PLAYED = "heavily_played"
    DAMAGED = "damaged"


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency; never a float."""

    amount: Decimal
    currency: str

    @classmethod
    def from_cents(cls, cents: int, currency: str) -> Money:
        return cls((Decimal(cents) / 100).quantize(Decimal("0.01")), currency)

    @property
    def cents(self) -> int:
        return int((self.amount * 100).to_integral_value(rounding=ROUND_HALF_UP))

    def __str__(self) -> str:
        return f"{self.amount.quantize(Decimal('0.01')):,} {self.currency}"


def format_cents(cents: int | None, currency: str) -> str | None:
    """Stored integer cents as users read them: '1,234.50 USD'; None stays None."""
    return None if cents is None else str(Money.from_cents(cents, currency))


@dataclass(frozen=True, slots=True)
class CardSet:
    game: Game
    code: str  # pokemontcg.io set id (sv3pt5) or One Piece set code (OP05)
    name: str
    series: str = ""
    release_date: date | None = None
    printed_total: int | None = None
    total: int | None = None
    ptcgo_code: str | None = None
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Card:
    """One catalog entry: a distinct printed card (One Piece parallels are cards of their own)."""

    game: Game
    canonical_id: str  # sv3pt5-199, OP05-119_p1
    set_code: str
    number: str  # printed number without the total: 199, TG05, OP05-119
    name: str
    rarity: str | None = None
    supertype: str | None = None
    image_url: str | None = None
    language: str = "en"
    variant: str | None = None  # One Piece: p1, p2, r1 ...
    packs: tuple[str, ...] = field(default=())  # One Piece: set codes of the packs it was released in

    @property
    def display_number(self) -> str:
        """The number as a collector tells prints apart: 'OP05-119 (parallel 2)'; a base print's is its number."""
        return display_number(self.number, self.variant)


_VARIANT_KINDS = {"p": "parallel", "r": "reprint"}


def variant_label(variant: str | None) -> str | None:
    """One Piece id suffixes in words: 'p1' -> 'parallel 1', 'r1' -> 'reprint 1'; None for anything else."""
    if not variant or variant[0] not in _VARIANT_KINDS or not variant[1:].isdigit():
        return None
    return f"{_VARIANT_KINDS[variant[0]]} {int(variant[1:])}"


def printing_label(finish: str, variant: str | None) -> str:
    """'Holofoil', 'Holofoil (pokemon center exclusive)': a printing as replies and messages name it."""
    return Finish(finish).label + (f" ({variant.replace('_', ' ')})" if variant else "")


def display_number(number: str, variant: str | None) -> str:
    label = variant_label(variant)
    return f"{number} ({label})" if label else number


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# Rarities whose cards are printed only without foil; the rest (holo rares, ex, V, illustration and secret
# rares, gold) are foil. One Piece prints C, UC and base leaders plain, everything rarer in foil.
_PLAIN_POKEMON_RARITIES = frozenset({"common", "uncommon", "rare", ""})
_PLAIN_ONEPIECE_RARITIES = frozenset({"c", "uc", "l", ""})


def likely_finish(card: Card) -> Finish:
    """The finish a card most likely sells in, from its rarity: the printing a watch or alert takes before any
    source has priced the card (a new set). TCGplayer's sub-types for such cards are Normal (commons, with a
    Reverse Holofoil beside) and Holofoil (Pokémon), Normal and Foil (One Piece)."""
    if card.game is Game.ONE_PIECE:
        plain = (card.rarity or "").strip().lower() in _PLAIN_ONEPIECE_RARITIES and not (card.variant or "").startswith("p")
        return Finish.NORMAL if plain else Finish.FOIL
    return likely_pokemon_finish(card.rarity)


def likely_pokemon_finish(rarity: str | None) -> Finish:
    """`likely_finish` of a Pokémon card from its pokemontcg.io rarity alone."""
    return Finish.NORMAL if (rarity or "").strip().lower() in _PLAIN_POKEMON_RARITIES else Finish.HOLOFOIL


def settled_finish(guessed: Finish, priced: dict[Finish, int]) -> Finish | None:
    """Where a watch or alert whose printing was guessed (`likely_finish`, no prices then) belongs once its card
    has prices: its own finish when that is priced, else the plain finish priced most recently (`priced`: the
    latest price's epoch per finish); None while none is. A guess that was wrong would wait forever otherwise."""
    if not priced:
        return None
    if guessed in priced:
        return guessed
    return max(priced, key=lambda finish: (priced[finish], finish.value))
