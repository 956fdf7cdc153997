"""Source product -> exact printing. Pure: a product, its sub-type and the catalog in; a Match out.

The rule that matters most: a special product (staff or prerelease stamp, Cosmos Holo, Pokémon Center
exclusive, jumbo, anything in brackets we do not know) never maps to the plain printing."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, NamedTuple

from rapidfuzz import fuzz

from core.identity import onepiece
from core.identity.pokemon import parse_number
from core.identity.text import fold
from core.models import Card, Finish, Game
from core.search import CatalogIndex
from core.sources.tcgplayer_shapes import TcgGroup, TcgProduct

SUBTYPE_FINISH = {
    "normal": Finish.NORMAL,
    "holofoil": Finish.HOLOFOIL,
    "reverse holofoil": Finish.REVERSE_HOLOFOIL,
    "1st edition": Finish.FIRST_EDITION,
    "1st edition normal": Finish.FIRST_EDITION,
    "1st edition holofoil": Finish.FIRST_EDITION_HOLOFOIL,
    "unlimited": Finish.UNLIMITED,
    "unlimited normal": Finish.UNLIMITED,
    "unlimited holofoil": Finish.UNLIMITED_HOLOFOIL,
    "foil": Finish.FOIL,
}
# Bracketed words that describe the card itself (its number already says which card), not a product variant.
_DESCRIPTIVE_TAGS = {
    "full art", "alternate full art", "secret", "shiny", "gold", "rainbow", "hyper rare", "illustration rare",
    "special illustration rare", "trainer gallery", "galarian gallery", "radiant", "shiny vault",
    "classic collection", "delta species", "holo", "ex", "gx", "v", "vmax", "vstar", "prime", "legend",
    "alternate art", "alternate art secret", "full art secret", "secret rare", "character rare", "art rare",
}
_ONEPIECE_PARALLEL_TAGS = {"parallel", "alternate art", "alt art", "manga", "sp", "treasure rare", "tr"}
_TAG = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")
_TRAILING_NUMBER = re.compile(r"\s+-\s+\S*\d\S*$")
NAME_AGREEMENT = 70.0


class PrintingKey(NamedTuple):
    """A tuple so that hashing and comparing (millions of times in a daily ingest) stays in C; since
    Finish is a StrEnum, a plain (card_id, "holofoil", "") row tuple from the database equals it."""

    card_id: str  # canonical id
    finish: Finish
    variant: str = ""  # "" = the plain printing; else e.g. "staff", "prerelease+staff", "cosmos_holo"


@dataclass(frozen=True, slots=True)
class Match:
    key: PrintingKey | None
    confidence: float
    method: str
    reason: str | None = None

    @classmethod
    def unmatched(cls, reason: str) -> Match:
        return cls(None, 0.0, "unmatched", reason)


def finish_of(sub_type: str) -> Finish | None:
    return SUBTYPE_FINISH.get(fold(sub_type).replace(" ", " "))


def split_name(name: str) -> tuple[str, list[str]]:
    """'Ceruledge (Prerelease) [Staff]' -> ('Ceruledge', ['prerelease', 'staff'])."""
    tags = ["jumbo" if "jumbo" in t else t for t in (fold(a or b) for a, b in _TAG.findall(name))]
    base = _TAG.sub(" ", name)
    base = _TRAILING_NUMBER.sub("", base.strip())
    if re.search(r"\bjumbo\b", name, re.I) and "jumbo" not in tags:
        tags.append("jumbo")
    return " ".join(base.split()), [t for t in tags if t]


def variant_of(tags: Iterable[str], game: Game) -> str:
    """Tags that make a product a different printing, as one stable string."""
    ignored = _DESCRIPTIVE_TAGS | (_ONEPIECE_PARALLEL_TAGS if game is Game.ONE_PIECE else set())
    kept = sorted({t.replace(" ", "_") for t in tags if t not in ignored and not t.isdigit()})
    return "+".join(kept)


def match_group(group: TcgGroup, index: CatalogIndex, game: Game, overrides: dict[int, str] | None = None) -> list[str]:
    """TCGplayer group -> catalog set codes ('SV: Scarlet & Violet 151' -> sv3pt5)."""
    if overrides and group.group_id in overrides:
        return [overrides[group.group_id]]
    if game is Game.ONE_PIECE:
        codes = onepiece.find_set_codes(f"{group.abbreviation or ''} {group.name}")
        if codes:
            return list(dict.fromkeys(codes))
    sets = index.list_sets(game)
    names = {_group_name(group.name), _group_name(group.name.split(":", 1)[-1])}
    exact = [s.code for s in sets if fold(s.name) in names]
    if exact:
        return exact
    name = _group_name(group.name.split(":", 1)[-1])
    abbreviation = fold(group.abbreviation or "")
    by_code = [s for s in sets if abbreviation and abbreviation in (fold(s.ptcgo_code or ""), fold(s.code))]
    if len(by_code) == 1:
        return [by_code[0].code]
    suffix = sorted((s for s in sets if fold(s.name) and name.endswith(" " + fold(s.name))), key=lambda s: -len(s.name))
    return [suffix[0].code] if suffix else [s.code for s in by_code]


def _group_name(raw: str) -> str:
    name = fold(raw)
    return name[: -len(" set")] if name.endswith(" set") else name


def match_product(product: TcgProduct, sub_type: str, set_codes: list[str], index: CatalogIndex, game: Game) -> Match:
    finish = finish_of(sub_type)
    if finish is None:
        return Match.unmatched(f"unknown finish {sub_type!r}")
    if not product.number:
        return Match.unmatched("not a single card (no card number: sealed product, code card or accessory)")
    base_name, tags = split_name(product.name)
    if game is Game.ONE_PIECE:
        return _match_onepiece(product, base_name, tags, finish, set_codes, index)
    return _match_pokemon(product, base_name, tags, finish, set_codes, index)


def _names_agree(product_name: str, card: Card) -> bool:
    return fuzz.WRatio(fold(product_name), fold(card.name)) >= NAME_AGREEMENT


def _match_pokemon(
    product: TcgProduct, base_name: str, tags: list[str], finish: Finish, set_codes: list[str], index: CatalogIndex
) -> Match:
    if not set_codes:
        return Match.unmatched("product group does not match any catalog set")
    parsed = parse_number(product.number or "")
    printed = f"{parsed.prefix}{parsed.value}" if parsed else (product.number or "")
    candidates = [c for code in set_codes for c in index.cards_at(code, printed)]
    if not candidates:
        return Match.unmatched(f"no card {product.number} in {', '.join(set_codes)}")
    agreeing = [c for c in candidates if _names_agree(base_name, c)]
    if not agreeing:
        return Match.unmatched(f"{product.number} in {set_codes[0]} is {candidates[0].name!r}, product says {base_name!r}")
    card = max(agreeing, key=lambda c: fuzz.WRatio(fold(base_name), fold(c.name)))
    variant = variant_of(tags, Game.POKEMON)
    confidence = 1.0 if len(agreeing) == 1 else 0.8
    return Match(PrintingKey(card.canonical_id, finish, variant), confidence, "set+number+name")


def _match_onepiece(
    product: TcgProduct, base_name: str, tags: list[str], finish: Finish, set_codes: list[str], index: CatalogIndex
) -> Match:
    parsed = onepiece.parse_id(product.number or "")
    if parsed is None:
        return Match.unmatched(f"not a One Piece card number: {product.number!r}")
    group = index.onepiece_group(parsed.base_id)
    if not group:
        return Match.unmatched(f"no card {parsed.base_id} in the catalog")
    if not _names_agree(base_name, group[0]):
        return Match.unmatched(f"{parsed.base_id} is {group[0].name!r}, product says {base_name!r}")
    variant = variant_of(tags, Game.ONE_PIECE)
    parallel_tags = [t for t in tags if t in _ONEPIECE_PARALLEL_TAGS]
    if not parallel_tags:
        base = next((c for c in group if c.variant is None), None)
        if base is None:
            return Match.unmatched(f"{parsed.base_id} has no base print in the catalog")
        return Match(PrintingKey(base.canonical_id, finish, variant), 1.0, "onepiece-id")
    return _pick_parallel(group, parallel_tags, set_codes, finish, variant, parsed.base_id)


def _pick_parallel(
    group: list[Card], tags: list[str], set_codes: list[str], finish: Finish, variant: str, base_id: str
) -> Match:
    """TCGplayer names parallels, not _pN numbers: pick the one released in this product's set."""
    parallels = [c for c in group if (c.variant or "").startswith("p")]
    in_pack = [c for c in parallels if set(c.packs) & set(set_codes)] or parallels
    if "sp" in tags:
        in_pack = [c for c in in_pack if c.rarity == "SP"] or in_pack
    if "treasure rare" in tags or "tr" in tags:
        in_pack = [c for c in in_pack if c.rarity == "TR"] or in_pack
    if not in_pack:
        return Match.unmatched(f"{base_id}: product is a parallel but the catalog lists none")
    chosen = in_pack[-1] if "manga" in tags else in_pack[0]
    if len(in_pack) == 1:
        return Match(PrintingKey(chosen.canonical_id, finish, variant), 1.0, "onepiece-id+parallel")
    return Match(PrintingKey(chosen.canonical_id, finish, variant), 0.7, "onepiece-id+parallel(heuristic)")
