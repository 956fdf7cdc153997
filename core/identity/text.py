"""Text hygiene for anything a user or a marketplace typed."""
from __future__ import annotations

import html
import re
import unicodedata

MAX_QUERY_CHARS = 200

_SPACES = re.compile(r"\s+")
_FOLD_PUNCT = re.compile(r"[.\-_'’`´:;,!?()\[\]{}\"“”#*+|\\/~^=<>@$%–—…]+")


class InputError(ValueError):
    """User input we refuse, with a message fit to show the user."""


def strip_unprintable(raw: str) -> str:
    """Drop control/format characters and emoji/symbols, keep letters with accents."""
    kept = []
    for ch in raw:
        cat = unicodedata.category(ch)
        if cat[0] == "C" or cat in ("So", "Sk", "Cs"):
            kept.append(" ")
        else:
            kept.append(ch)
    return _SPACES.sub(" ", "".join(kept)).strip()


def clean_query(raw: object, max_chars: int = MAX_QUERY_CHARS) -> str:
    """Validate a search query; raise InputError with a friendly message when unusable."""
    if not isinstance(raw, str):
        raise InputError("Type a card name, a set and number (sv3pt5 199) or an id like OP05-119.")
    if len(raw) > max_chars * 5:
        raise InputError(f"That query is too long: keep it under {max_chars} characters.")
    text = strip_unprintable(raw)
    if not text:
        raise InputError("Type a card name, a set and number (sv3pt5 199) or an id like OP05-119.")
    if len(text) > max_chars:
        raise InputError(f"That query is too long: keep it under {max_chars} characters.")
    return text


def fold(text: str) -> str:
    """Lowercase, strip accents and punctuation: 'Monkey.D.Luffy' -> 'monkey d luffy'; a star printing's ★
    reads "star" ('Charizard ★ δ' -> 'charizard star δ'), as collectors call them."""
    text = html.unescape(text).replace("&", " and ").replace("★", " star ").replace("☆", " star ")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_ish = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", _FOLD_PUNCT.sub(" ", ascii_ish.casefold())).strip()


def display_name(raw: str) -> str:
    """Names from the official One Piece site carry HTML entities (Ace &amp; Newgate)."""
    return html.unescape(raw).strip()
