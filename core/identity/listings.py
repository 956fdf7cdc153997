"""Marketplace listing titles -> what is for sale. Pure; `identify` adds the catalog card when possible.

Only a single card, with a known language and (if graded) a known grader and grade, may become a price.
Lots, sealed product, accessories, proxies/customs and "choose your card" listings never do."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from core.identity import onepiece
from core.identity.text import fold, strip_unprintable
from core.models import Finish, Game

_OTHER_GAMES = re.compile(r"\b(yu-?gi-?oh|yugioh|magic the gathering|mtg|digimon|dragon ?ball|lorcana|funko|"
                          r"weiss|flesh and blood|sports? cards?|topps chrome)\b", re.I)
_PROXY = re.compile(r"\b(proxy|proxies|custom|orica|fan ?art|replica|fake|unofficial|metal card|gold metal|"
                    r"art card|handmade|3d print)\b", re.I)
_CHOOSE = re.compile(r"\b(choose|pick|select) (your|a|any) (card|cards|pokemon|single)\b|\byou (pick|choose)\b|"
                     r"\bcomplete your (set|collection)\b|\bmulti ?listing\b", re.I)
_LOT = re.compile(r"\b(lot|lots|bundle|bulk|job ?lot|mystery|grab ?bag|binder collection)\b|\b\d{2,4}\s*\+?\s*"
                  r"(x\s*)?(pokemon\s+|one piece\s+)?cards\b|\bx\s?\d{2,}\b|\bcollection of\b", re.I)
_SEALED = re.compile(r"\b(booster (pack|box|bundle|display)|elite trainer box|etb|blister|tin|collection box|"
                     r"premium collection|display box|booster|factory sealed|sealed (pack|box|case)|case of|"
                     r"build (and|&) battle|starter deck|theme deck)\b", re.I)
_ACCESSORY = re.compile(r"\b(sleeves?|binder|playmat|play mat|deck box|toploaders?|top loaders?|card saver|"
                        r"magnetic holder|display case|storage box|dice|coin|pin)\b", re.I)
_POKEMON = re.compile(r"\b(pok[eé]mon|pkmn|ptcg)\b", re.I)
_ONE_PIECE = re.compile(r"\bone piece\b|\bOPTCG\b", re.I)
_GRADE = re.compile(
    r"\b(?P<grader>PSA|BGS|CGC|SGC|TAG|BECKETT)\b(?:\s+(?:grade[ds]?|grading|gem mint|gem mt|pristine|mint|"
    r"black label|perfect))*\s*(?P<grade>10|[1-9](?:\.5)?)\b", re.I)
_GRADE_BEFORE = re.compile(r"\b(?P<grade>10|[1-9](?:\.5)?)\s+(?P<grader>PSA|BGS|CGC|SGC|TAG)\b", re.I)
_GRADED_WORD = re.compile(r"\b(graded|slab|slabbed|gem mint|gem mt)\b", re.I)
_GRADER_WORD = re.compile(r"\b(PSA|BGS|CGC|SGC|TAG|BECKETT)\b")
_NUM_TOTAL = re.compile(r"#?\b(?P<num>[A-Z]{0,4}\d{1,4}[a-z]?)\s*/\s*(?P<total>[A-Z]{0,4}-?[A-Z]?\d{1,4}|S-P)\b", re.I)
_NUM_HASH = re.compile(r"(?:#|\bno\.\s?)\s?(?P<num>[A-Z]{0,4}\d{1,4})\b", re.I)
_YEAR = re.compile(r"\b(19[89]\d|20[0-4]\d)\b")
_LANG = [
    ("ja", re.compile(r"\b(japanese|japan|jpn|jp|jap)\b", re.I)),
    ("ko", re.compile(r"\b(korean|kor)\b", re.I)),
    ("zh", re.compile(r"\b(chinese|s-chinese|t-chinese|simplified chinese)\b", re.I)),
    ("de", re.compile(r"\b(german|deutsch)\b", re.I)),
    ("fr", re.compile(r"\b(french|francais)\b", re.I)),
    ("it", re.compile(r"\b(italian|italiano)\b", re.I)),
    ("es", re.compile(r"\b(spanish|espanol)\b", re.I)),
    ("en", re.compile(r"\b(english|eng)\b|\ben-", re.I)),
]
_JP_SET_CODE = re.compile(r"\bs(v|m)?\d{1,2}[a-z]\b|\bcl[kfl]\b", re.I)  # SV8a, SM12a, S8b, CLK: Japanese-only sets
# Japanese-only expansions by name: a title naming one is a Japanese card even when it says no language
# ("VMAX Climax Character Rare 170/184 Kingdra", "2023 Scarlet Ex #082/078"). Only names no English set shares,
# and not "Violet ex": "Scarlet & Violet ex ..." is how English titles name the English base set.
_JP_SET_NAME = re.compile(
    r"\b(vmax climax|shiny star v|vstar universe|shiny treasure ex|terastal fest(ival)?|eevee heroes|blue sky stream|"
    r"skyscraping perfection|fusion arts|star birth|battle region|time gazer|space juggler|dark phantasma|lost abyss|"
    r"incandescent arcana|paradigm trigger|triplet beat|snow hazard|clay burst|ruler of the black flame|raging surf|"
    r"ancient roar|future flash|wild force|cyber judge|crimson haze|mask of change|night wanderer|stellar miracle|"
    r"paradise dragona|super electric breaker|battle partners|tag all stars|dream league|gx ultra shiny|"
    r"pokemon card 151|scarlet ex)\b", re.I)
_FINISH = [
    (Finish.REVERSE_HOLOFOIL, re.compile(r"\breverse\s*holo", re.I)),
    (Finish.FIRST_EDITION_HOLOFOIL, re.compile(r"\b1st\s*ed(ition)?\b.*\bholo|\bholo\b.*\b1st\s*ed(ition)?\b", re.I)),
    (Finish.FIRST_EDITION, re.compile(r"\b1st\s*ed(ition)?\b|\bfirst edition\b", re.I)),
    (Finish.HOLOFOIL, re.compile(r"\bholo(foil)?\b", re.I)),
]


@dataclass(frozen=True)
class ListingParse:
    title: str
    kind: str  # single, lot, sealed, accessory, other
    usable: bool
    reason: str
    game: Game | None = None
    language: str | None = None
    number: str | None = None
    total: str | None = None
    onepiece_id: str | None = None
    grader: str | None = None
    grade: float | None = None
    finish: Finish | None = None
    name_words: tuple[str, ...] = ()
    card_id: str | None = None
    flags: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["game"] = self.game.value if self.game else None
        data["finish"] = self.finish.value if self.finish else None
        data["name_words"] = list(self.name_words)
        data["flags"] = list(self.flags)
        return data


def parse_title(raw: object) -> ListingParse:
    """Total: any input gives a ListingParse."""
    title = strip_unprintable(raw if isinstance(raw, str) else "")[:300]
    if not title:
        return ListingParse("", "other", False, "empty title")
    game = _game(title)
    rejection = _rejection(title)
    grader, grade = _grade(title)
    language = _language(title)
    op_ids = onepiece.find_ids(title) if game is not Game.POKEMON else []
    if op_ids and game is None:
        game = Game.ONE_PIECE
    number, total = _number(title) if not op_ids else (None, None)
    common = dict(game=game, language=language, number=number, total=total,
                  onepiece_id=op_ids[0].canonical_id if op_ids else None, grader=grader, grade=grade,
                  finish=_finish(title), name_words=_name_words(title))
    if rejection:
        kind, reason = rejection
        return ListingParse(title, kind, False, reason, flags=(kind,), **common)
    if grader is None and (_GRADED_WORD.search(title) or _GRADER_WORD.search(title)):
        # A slab with an unreadable grade must never feed the raw price.
        return ListingParse(title, "single", False, "graded, but grader or grade not stated", flags=("graded?",), **common)
    if not (number or op_ids):
        return ListingParse(title, "single" if game else "other", False, "no card number in the title", **common)
    state = f"{grader} {grade:g}" if grader else "raw"
    return ListingParse(title, "single", True, f"single card, {language}, {state}", **common)


def _game(title: str) -> Game | None:
    if _ONE_PIECE.search(title):
        return Game.ONE_PIECE
    if _POKEMON.search(title):
        return Game.POKEMON
    return None


def _rejection(title: str) -> tuple[str, str] | None:
    checks = (
        (_OTHER_GAMES, "other", "another game ({})"),
        (_PROXY, "other", "proxy, custom or replica ({})"),
        (_CHOOSE, "other", "'choose your card' listing ({})"),
        (_LOT, "lot", "lot of several cards ({})"),
        (_ACCESSORY, "accessory", "accessory ({})"),
        (_SEALED, "sealed", "sealed product ({})"),
    )
    for pattern, kind, reason in checks:
        match = pattern.search(title)
        if match and not (kind == "accessory" and match.group(0).lower() in ("coin", "pin") and _NUM_TOTAL.search(title)):
            return kind, reason.format(match.group(0).strip())
    return None


def _grade(title: str) -> tuple[str | None, float | None]:
    match = _GRADE.search(title) or _GRADE_BEFORE.search(title)
    if not match:
        return None, None
    grader = match["grader"].upper()
    return ("BGS" if grader == "BECKETT" else grader), float(match["grade"])


def _language(title: str) -> str:
    for code, pattern in _LANG:
        if pattern.search(title):
            return code
    return "ja" if _JP_SET_CODE.search(title) or _JP_SET_NAME.search(title) else "en"


def _number(title: str) -> tuple[str | None, str | None]:
    without_grades = _GRADE.sub(" ", title)
    match = _NUM_TOTAL.search(without_grades)
    if match:
        return match["num"].upper(), match["total"].upper()
    match = _NUM_HASH.search(without_grades)
    return (match["num"].upper(), None) if match else (None, None)


def _finish(title: str) -> Finish | None:
    for finish, pattern in _FINISH:
        if pattern.search(title):
            return finish
    return None


_NOISE = {"pokemon", "pokémon", "card", "cards", "tcg", "nm", "mint", "gem", "near", "holo", "rare", "graded",
          "psa", "bgs", "cgc", "sgc", "tag", "jpn", "japanese", "english", "en", "jp", "pristine", "the", "and"}


def _name_words(title: str) -> tuple[str, ...]:
    text = _YEAR.sub(" ", _GRADE.sub(" ", _NUM_TOTAL.sub(" ", title)))
    words = [w for w in fold(text).split() if w not in _NOISE and not w.isdigit()]
    return tuple(words[:8])


def identify(parsed: ListingParse, index: Any) -> ListingParse:
    """Add the catalog card id when the title pins down one English card (index: core.search.CatalogIndex)."""
    from dataclasses import replace

    from core.search import Resolved

    if parsed.kind != "single":
        return parsed
    if parsed.language != "en":
        return replace(parsed, usable=False, reason=f"{parsed.language} printing; the catalog is English only")
    if parsed.onepiece_id:
        card = index.get(parsed.onepiece_id)
        group = index.onepiece_group(parsed.onepiece_id.split("_")[0])
        if card is None and len(group) == 1:
            card = group[0]
        if card is None:
            return replace(parsed, usable=False, reason=f"{parsed.onepiece_id}: base print or which parallel is unclear")
        return replace(parsed, card_id=card.canonical_id, game=Game.ONE_PIECE)
    if not parsed.number:
        return parsed
    number = f"{parsed.number}/{parsed.total}" if parsed.total else parsed.number
    outcome = index.search(" ".join((*parsed.name_words, number))).outcome
    if isinstance(outcome, Resolved):
        return replace(parsed, card_id=outcome.card.canonical_id, game=outcome.card.game)
    return replace(parsed, usable=False, reason=f"{number}: the title does not pin down one catalog card")
