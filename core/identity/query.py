"""Split what a user typed into identity hints: One Piece ids, variant and rarity words, the rest."""
from __future__ import annotations

import re
from dataclasses import dataclass

from core.identity import onepiece
from core.identity.onepiece import OnePieceId
from core.identity.pokemon import KNOWN_PREFIXES, CardNumber, parse_number
from core.identity.text import fold
from core.models import Finish, Game

# Longest phrases first so "reverse holo" wins over "holo".
_FINISH_WORDS: dict[str, Finish] = {
    "reverse holofoil": Finish.REVERSE_HOLOFOIL,
    "reverse holo": Finish.REVERSE_HOLOFOIL,
    "reverse": Finish.REVERSE_HOLOFOIL,
    "rev holo": Finish.REVERSE_HOLOFOIL,
    "1st edition holo": Finish.FIRST_EDITION_HOLOFOIL,
    "1st edition": Finish.FIRST_EDITION,
    "first edition": Finish.FIRST_EDITION,
    "1st ed": Finish.FIRST_EDITION,
    "unlimited holo": Finish.UNLIMITED_HOLOFOIL,
    "unlimited": Finish.UNLIMITED,
    "holofoil": Finish.HOLOFOIL,
    "holo": Finish.HOLOFOIL,
    "foil": Finish.FOIL,
    "non holo": Finish.NORMAL,
    "normal": Finish.NORMAL,
}
_VARIANT_WORDS = {
    "alternate art": "parallel",
    "alt art": "parallel",
    "parallel": "parallel",
    "manga": "parallel",
    "aa": "parallel",
}
# Collectors' words -> the rarities the catalogs print (pokemontcg.io's "Rare Secret", One Piece's "SEC").
_RARITY_WORDS: dict[str, tuple[str, ...]] = {
    "special illustration rare": ("Special Illustration Rare",),
    "special art rare": ("Special Illustration Rare",),
    "sir": ("Special Illustration Rare",),
    "sar": ("Special Illustration Rare",),
    "illustration rare": ("Illustration Rare",),
    "ir": ("Illustration Rare",),
    "hyper rare": ("Hyper Rare",),
    "gold": ("Hyper Rare",),  # not "Rare Secret": before Scarlet & Violet that held far more than gold cards
    "ultra rare": ("Ultra Rare", "Rare Ultra"),
    "double rare": ("Double Rare",),
    "ace spec": ("ACE SPEC Rare",),
    "promo": ("Promo",),
    "secret rare": ("SEC", "Rare Secret"),
    "secret": ("SEC", "Rare Secret"),
    "sec": ("SEC", "Rare Secret"),
    "rainbow rare": ("Rare Rainbow",),
    "rainbow": ("Rare Rainbow",),
    "super rare": ("SR",),
    "sr": ("SR",),
    "sp": ("SP",),
    "treasure rare": ("TR",),
    "tr": ("TR",),
    "leader": ("L",),
}
_PHRASES = sorted(
    [(p, "finish") for p in _FINISH_WORDS] + [(p, "variant") for p in _VARIANT_WORDS]
    + [(p, "rarity") for p in _RARITY_WORDS],
    key=lambda item: -len(item[0].split()),
)
MAX_PHRASE_WORDS = 3


@dataclass(frozen=True, slots=True)
class QueryParts:
    text: str
    tokens: tuple[str, ...]  # folded words left after ids and hint words were taken out
    op_ids: tuple[OnePieceId, ...] = ()
    op_sets: tuple[str, ...] = ()
    finish: Finish | None = None
    parallel: bool = False
    rarities: frozenset[str] = frozenset()
    variant: str | None = None  # a One Piece print said outside an id: "luffy 119 p1", "... parallel 2"

    @property
    def game_hint(self) -> Game | None:
        return Game.ONE_PIECE if self.op_ids or self.op_sets else None


def parse_query(text: str) -> QueryParts:
    """Pure and total: any string gives a QueryParts (text is expected to be cleaned already)."""
    op_ids = tuple(onepiece.find_ids(text))
    op_sets = tuple(onepiece.find_set_codes(text))
    rest = onepiece._ID.sub(" ", text)
    rest = onepiece._SET.sub(" ", rest)
    tokens = _tokenize(rest)
    variant, tokens = _take_print(tokens)
    finish, parallel, rarities, tokens = _take_hint_words(tokens)
    return QueryParts(text, tuple(tokens), op_ids, op_sets, finish, parallel or bool(variant and variant[0] == "p"),
                      frozenset(rarities), variant)


_PRINT_TOKEN = re.compile(r"([pr])(\d{1,2})")


def _take_print(tokens: list[str]) -> tuple[str | None, list[str]]:
    """'p1' / 'r1' or 'parallel 2' / 'reprint 1': the print wanted, and the tokens without it."""
    for i, token in enumerate(tokens):
        if match := _PRINT_TOKEN.fullmatch(token):
            return onepiece.print_code(match[1], match[2]), tokens[:i] + tokens[i + 1:]
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in onepiece.PRINT_WORDS and following.isdigit() and 0 < int(following) < 10:  # 12: a card number
            return onepiece.print_code(token, following), tokens[:i] + tokens[i + 2:]
    return None, tokens


def _tokenize(text: str) -> list[str]:
    """Folded words, keeping printed numbers with totals ('199/165', 'tg05/tg30') whole."""
    text = re.sub(r"\s*/\s*", "/", text)
    tokens: list[str] = []
    for raw in text.split():
        stripped = raw.strip("#()[],.")
        if "/" in stripped and parse_number(stripped) is not None:
            tokens.append(stripped.lower())
        else:
            tokens.extend(fold(raw).split())
    return tokens


def _take_hint_words(tokens: list[str]) -> tuple[Finish | None, bool, set[str], list[str]]:
    finish: Finish | None = None
    parallel = False
    rarities: set[str] = set()
    kept: list[str] = []
    i = 0
    while i < len(tokens):
        for phrase, kind in _PHRASES:
            size = len(phrase.split())
            if " ".join(tokens[i : i + size]) != phrase:
                continue
            if kind == "finish":
                finish = finish or _FINISH_WORDS[phrase]
            elif kind == "variant":
                parallel = True
            else:
                rarities.update(_RARITY_WORDS[phrase])
            i += size
            break
        else:
            kept.append(tokens[i])
            i += 1
    return finish, parallel, rarities, kept


def take_numbers(tokens: list[str]) -> tuple[CardNumber | None, list[int], list[str]]:
    """Find a printed number ('199/165', 'tg05', 'svp 085') and bare integers among tokens."""
    number: CardNumber | None = None
    bare: list[int] = []
    kept: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.upper() in KNOWN_PREFIXES and i + 1 < len(tokens) and tokens[i + 1].isdigit():
            token = token + tokens[i + 1]
            i += 1
        parsed = parse_number(token)
        if parsed is not None and (number is None or (number.total is None and parsed.total is not None)):
            number = parsed  # '203/191' beats a stray 'sv08' read as a prefixed number
        elif token.isdigit() and len(token) <= 4:
            bare.append(int(token))
            kept.append(token)
        else:
            kept.append(token)
        i += 1
    return number, bare, kept
