"""One Piece card ids: OP05-119, ST01-001, EB01-012, PRB01-001, P-001, parallels OP05-119_p1."""
from __future__ import annotations

import re
from dataclasses import dataclass

_ID = re.compile(
    r"(?<![A-Za-z0-9])(?:(?P<series>OP|ST|EB|PRB)-?(?P<setno>\d{1,2})|(?P<promo>P))-(?P<num>\d{3})"
    # the print: OP05-119_p1 as the official list writes it, and as people type it (OP05-119 p1, OP05-119p1,
    # OP05-119 parallel 1, OP05-119 (reprint 1))
    r"(?:[_\s-]?(?P<vkind>[pr])(?P<vnum>\d{1,2})(?![0-9A-Za-z])"
    r"|\s*\(?(?P<vword>parallel|reprint)\s*(?P<vwnum>\d{1,2})\)?(?![0-9A-Za-z]))?(?![0-9])",
    re.I,
)
_SET = re.compile(r"(?<![A-Za-z0-9])(?P<series>OP|ST|EB|PRB)-?(?P<setno>\d{1,2})(?![0-9])", re.I)


@dataclass(frozen=True, slots=True)
class OnePieceId:
    set_code: str  # OP05, ST01, P
    number: int
    variant: str | None = None  # p1, r1

    @property
    def base_id(self) -> str:
        sep = "-"
        return f"{self.set_code}{sep}{self.number:03d}"

    @property
    def canonical_id(self) -> str:
        return f"{self.base_id}_{self.variant}" if self.variant else self.base_id


def normalize_set_code(series: str, number: str | int) -> str:
    """'OP', '5' -> 'OP05' (the seed writes OP-05 too)."""
    return f"{series.upper()}{int(number):02d}"


def find_ids(text: str) -> list[OnePieceId]:
    """Every One Piece card id mentioned in text, in order."""
    found = []
    for match in _ID.finditer(text):
        if match["promo"]:
            set_code = "P"
        else:
            set_code = normalize_set_code(match["series"], match["setno"])
        if match["vkind"]:
            variant = print_code(match["vkind"], match["vnum"])
        elif match["vword"]:
            variant = print_code(match["vword"], match["vwnum"])
        else:
            variant = None
        found.append(OnePieceId(set_code, int(match["num"]), variant))
    return found


PRINT_WORDS = ("parallel", "reprint")


def print_code(kind: str, number: str) -> str:
    """A print as the official list codes it: ('P', '01'), ('parallel', '1') -> 'p1'; ('reprint', '1') -> 'r1'."""
    return f"{kind[0].lower()}{int(number)}"


def parse_id(text: str) -> OnePieceId | None:
    ids = find_ids(text)
    return ids[0] if ids else None


def find_set_codes(text: str) -> list[str]:
    """Set codes mentioned without a card number: 'op05', 'OP-05', 'st01'."""
    without_ids = _ID.sub(" ", text)
    return [normalize_set_code(m["series"], m["setno"]) for m in _SET.finditer(without_ids)]


def split_canonical(canonical_id: str) -> tuple[str, str | None]:
    """'OP05-119_p1' -> ('OP05-119', 'p1')."""
    base, _, variant = canonical_id.partition("_")
    return base, (variant or None)
