"""Catalog parsing: pokemontcg.io card/set JSON and the official One Piece card list -> domain values."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable

from core.identity import onepiece
from core.identity.text import display_name
from core.models import Card, CardSet, Game

log = logging.getLogger(__name__)


@dataclass
class CatalogBatch:
    """What one catalog source yielded, plus what we noticed while reading it."""

    game: Game
    sets: dict[str, CardSet] = field(default_factory=dict)
    cards: dict[str, Card] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: int = 0


class CatalogFormatError(ValueError):
    """A catalog file that is not in a shape we know."""


# ---------------------------------------------------------------- Pokémon (pokemontcg.io)


def _parse_date(raw: str | None) -> date | None:
    if not raw:
        return None
    for fmt in ("%Y/%m/%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


def pokemon_set(raw: dict[str, Any]) -> CardSet:
    return CardSet(
        game=Game.POKEMON,
        code=str(raw["id"]),
        name=str(raw.get("name") or raw["id"]),
        series=str(raw.get("series") or ""),
        release_date=_parse_date(raw.get("releaseDate")),
        printed_total=raw.get("printedTotal"),
        total=raw.get("total"),
        ptcgo_code=raw.get("ptcgoCode"),
    )


def pokemon_card(raw: dict[str, Any], set_code: str) -> Card:
    images = raw.get("images") or {}
    return Card(
        game=Game.POKEMON,
        canonical_id=str(raw["id"]),
        set_code=set_code,
        number=str(raw["number"]),
        name=str(raw["name"]),
        rarity=raw.get("rarity"),
        supertype=raw.get("supertype"),
        image_url=images.get("large") or images.get("small"),
    )


def _pokemon_card_files(path: Path) -> tuple[list[Path], Path | None]:
    """Accept the repo root, its cards/en folder, or one card file; find sets/en.json nearby."""
    if path.is_file():
        candidates = [path.parent.parent.parent / "sets" / "en.json"]
        return [path], next((c for c in candidates if c.is_file()), None)
    for cards_dir, sets_file in (
        (path / "cards" / "en", path / "sets" / "en.json"),
        (path, path.parent.parent / "sets" / "en.json"),
    ):
        files = sorted(cards_dir.glob("*.json")) if cards_dir.is_dir() else []
        if files:
            return files, sets_file if sets_file.is_file() else None
    raise CatalogFormatError(f"No pokemontcg.io card files under {path}")


def read_pokemon(path: Path) -> CatalogBatch:
    batch = CatalogBatch(Game.POKEMON)
    card_files, sets_file = _pokemon_card_files(path)
    if sets_file:
        for raw in json.loads(sets_file.read_text(encoding="utf-8")):
            card_set = pokemon_set(raw)
            batch.sets[card_set.code] = card_set
    for card_file in card_files:
        rows = json.loads(card_file.read_text(encoding="utf-8"))
        if not isinstance(rows, list):
            raise CatalogFormatError(f"{card_file} is not a list of pokemontcg.io card objects")
        for raw in rows:
            _add_pokemon_row(batch, raw, card_file.stem)
    return batch


def _add_pokemon_row(batch: CatalogBatch, raw: Any, file_stem: str) -> None:
    if not isinstance(raw, dict) or not raw.get("id") or not raw.get("name") or "number" not in raw:
        batch.skipped += 1
        return
    embedded = raw.get("set") if isinstance(raw.get("set"), dict) else None
    set_code = str(embedded["id"]) if embedded and embedded.get("id") else file_stem
    if set_code not in batch.sets:
        batch.sets[set_code] = pokemon_set(embedded or {"id": set_code})
        batch.notes.append(
            f"set {set_code} ({file_stem}.json) is missing from the sets file; imported with what its cards say"
        )
    card = pokemon_card(raw, set_code)
    batch.cards[card.canonical_id] = card


# ---------------------------------------------------------------- One Piece (official card list)

_OP_RARITY = {
    "Leader": "L",
    "Common": "C",
    "Uncommon": "UC",
    "Rare": "R",
    "SuperRare": "SR",
    "SecretRare": "SEC",
    "Special": "SP",
    "TreasureRare": "TR",
    "Promo": "P",
}


def onepiece_rarity(raw: str | None) -> str | None:
    """Official words (SuperRare) -> the short codes collectors use (SR)."""
    if raw is None:
        return None
    return _OP_RARITY.get(raw, raw)


def onepiece_pack_sets(packs: dict[str, Any]) -> tuple[dict[str, CardSet], dict[str, list[str]]]:
    """packs.json -> sets by code, and pack id -> the set codes its label names."""
    sets: dict[str, CardSet] = {}
    pack_codes: dict[str, list[str]] = {}
    for pack_id, pack in packs.items():
        parts = pack.get("title_parts") or {}
        label = parts.get("label") or ""
        title = display_name(parts.get("title") or pack.get("raw_title") or pack_id)
        series = display_name(parts.get("prefix") or "")
        codes = onepiece.find_set_codes(label)
        if not codes and "promotion" in title.lower():
            codes = ["P"]
        pack_codes[str(pack_id)] = codes
        for code in codes:
            sets.setdefault(code, CardSet(Game.ONE_PIECE, code, title, series))
    return sets, pack_codes


def onepiece_card(raw: dict[str, Any]) -> Card | None:
    parsed = onepiece.parse_id(str(raw.get("id", "")))
    if parsed is None or not raw.get("name"):
        return None
    return Card(
        game=Game.ONE_PIECE,
        canonical_id=parsed.canonical_id,
        set_code=parsed.set_code,
        number=parsed.base_id,
        name=display_name(str(raw["name"])),
        rarity=onepiece_rarity(raw.get("rarity")),
        supertype=raw.get("category"),
        image_url=raw.get("img_full_url"),
        variant=parsed.variant,
    )


def _onepiece_files(path: Path) -> tuple[list[Path], Path | None]:
    if path.is_file():
        packs = path.parent.parent / "packs.json"
        return [path], packs if packs.is_file() else None
    for root in (path / "english", path):
        data = root / "data"
        if data.is_dir():
            packs = root / "packs.json"
            return sorted(data.glob("*.json")), packs if packs.is_file() else None
    raise CatalogFormatError(f"No One Piece card list (packs.json + data/*.json) under {path}")


def read_onepiece(path: Path) -> CatalogBatch:
    batch = CatalogBatch(Game.ONE_PIECE)
    card_files, packs_file = _onepiece_files(path)
    pack_codes: dict[str, list[str]] = {}
    if packs_file:
        batch.sets, pack_codes = onepiece_pack_sets(json.loads(packs_file.read_text(encoding="utf-8")))
    for card_file in card_files:
        rows = json.loads(card_file.read_text(encoding="utf-8"))
        if not isinstance(rows, list):
            raise CatalogFormatError(f"{card_file} is not a list of One Piece card objects")
        _add_onepiece_rows(batch, rows, pack_codes)
    _fill_onepiece_sets(batch)
    return batch


def _add_onepiece_rows(batch: CatalogBatch, rows: Iterable[Any], pack_codes: dict[str, list[str]]) -> None:
    for raw in rows:
        card = onepiece_card(raw) if isinstance(raw, dict) else None
        if card is None:
            batch.skipped += 1
            continue
        pack_sets = tuple(pack_codes.get(str(raw.get("pack_id")), []))
        previous = batch.cards.get(card.canonical_id)
        if previous is not None:
            # The same printing listed in a second pack: one card, remember both packs.
            merged = tuple(dict.fromkeys(previous.packs + pack_sets))
            batch.cards[card.canonical_id] = _with_packs(previous, merged)
            continue
        batch.cards[card.canonical_id] = _with_packs(card, pack_sets)


def _with_packs(card: Card, extra: tuple[str, ...]) -> Card:
    return replace(card, packs=extra)


def _fill_onepiece_sets(batch: CatalogBatch) -> None:
    """Sets named only by card ids (no pack label) still get a row; totals count base prints."""
    totals: dict[str, int] = {}
    for card in batch.cards.values():
        if card.variant is None:
            totals[card.set_code] = totals.get(card.set_code, 0) + 1
        if card.set_code not in batch.sets:
            batch.sets[card.set_code] = CardSet(Game.ONE_PIECE, card.set_code, card.set_code)
    for code, card_set in list(batch.sets.items()):
        batch.sets[code] = replace(card_set, total=totals.get(code, 0), printed_total=totals.get(code, 0))
