"""Alert rules said the way people say them, for the text platforms (console, Telegram).

'/alert add charizard ex 151 down 15% in 7 days' means the rule the confirmation then describes as
"down 15% within 7 days": a reply's own wording must be accepted back as input. The canonical words
('below 95', 'pct_move -15 7', 'n_day_low 30') keep working through the command's ordinary parser;
this module only recognises the natural phrasing at the end of the text and returns the same args."""
from __future__ import annotations

import re

from core.alert_service import take_condition_at_end
from core.models import take_finish

_PRICE = r"[$€£]?\d+(?:,\d{3})*(?:\.\d+)?"
_I = re.IGNORECASE

_MOVE = re.compile(
    r"(?P<dir>down|drops?|dips?|falls?|up|rises?|jumps?|climbs?|gains?)\s+(?:by\s+)?(?P<pct>\d+(?:\.\d+)?)\s*%"
    r"(?:\s+(?:(?:in|within|over)\s+)?(?P<days>\d{1,3})\s*(?:d|days?))?$", _I)
_IN_DAYS = r"(?:(?:in|within|over|for)\s+)?(?:the\s+)?(?:last\s+)?(?P<{}>\d{{1,3}})\s*(?:d|days?)"
_LOW = re.compile(
    r"(?:(?:a\s+)?new\s+(?:(?P<days>\d{1,3})[\s-]?(?:d|days?)[\s-]+)?low"  # new low, a new 30-day low
    r"|(?:a\s+)?new\s+low\s+" + _IN_DAYS.format("low_days") +  # new low in 30 days, new low 30d
    r"|(?P<bare_days>\d{1,3})[\s-]?(?:d|days?)[\s-]+low"  # 30-day low
    r"|lowest\s+(?:price\s+)?" + _IN_DAYS.format("in_days") + r")$", _I)  # lowest in 30 days
_LINE = re.compile(
    r"(?:(?:drops?|falls?|dips?|goes|gets|is|rises?|climbs?|jumps?)\s+)?"  # 'drops below 80', 'goes over 300'
    r"(?P<word>under|below|less\s+than|at\s+or\s+below|<=?|over|above|more\s+than|at\s+or\s+above|>=?)"
    r"\s*(?P<price>" + _PRICE + r")"
    r"(?:\s+(?P<currency>[a-z]{3}))?$", _I)
_FALLING = ("down", "drop", "drops", "dip", "dips", "fall", "falls")
_BELOW = ("under", "below", "less than", "at or below", "<", "<=")


def read_alert_words(text: str) -> tuple[str, dict[str, str]] | None:
    """(card text, args) when `text` ends in a natural alert phrase, or in one followed by the grade or
    finish ('sv8 238 below 80 psa 10': the grade goes back to the card text, where /price reads it too);
    None leaves it to the command parser."""
    text = text.strip()
    found = _read_phrase(text)
    if found is not None:
        return found
    rest, tail = _take_qualifiers(text)
    if tail and (found := _read_phrase(rest)) is not None:
        return f"{found[0]} {tail}", found[1]
    return None


def _take_qualifiers(text: str) -> tuple[str, str]:
    """A finish and a grade or condition typed at the end, in either order: (text before them, them)."""
    tail: list[str] = []
    for take in (take_finish, take_condition_at_end, take_finish):
        rest, found = take(text)
        if found is not None:
            tail.insert(0, text[len(rest):].strip())  # the words as typed; `rest` is a prefix of `text`
            text = rest
    return text, " ".join(tail)


def _read_phrase(text: str) -> tuple[str, dict[str, str]] | None:
    for pattern, make in ((_MOVE, _move_args), (_LOW, _low_args), (_LINE, _line_args)):
        for word in re.finditer(r"\S+", text):  # the phrase starts at a word, after some card text
            match = pattern.match(text, word.start())
            if match and word.start() > 0:
                return text[:word.start()].strip(), make(match)
    return None


def _move_args(m: re.Match) -> dict[str, str]:
    sign = "-" if m["dir"].lower() in _FALLING else ""
    return {"kind": "pct_move", "value": f"{sign}{m['pct']}", **({"window": m["days"]} if m["days"] else {})}


def _low_args(m: re.Match) -> dict[str, str]:
    days = m["days"] or m["low_days"] or m["bare_days"] or m["in_days"]
    return {"kind": "n_day_low", **({"value": days} if days else {})}


def _line_args(m: re.Match) -> dict[str, str]:
    word = re.sub(r"\s+", " ", m["word"].lower())
    return {"kind": "below" if word in _BELOW else "above", "value": m["price"],
            **({"currency": m["currency"]} if m["currency"] else {})}
