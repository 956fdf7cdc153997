"""Structured replies: what a command answers, before any platform turns it into markup."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.models import Card, CardSet


@dataclass(frozen=True)
class Reply:
    ephemeral: bool = False  # only the asker sees it (Discord); errors always are


@dataclass(frozen=True)
class TextReply(Reply):
    text: str = ""


@dataclass(frozen=True)
class ErrorReply(Reply):
    message: str = ""
    suggestions: tuple[Card, ...] = ()
    ephemeral: bool = True


@dataclass(frozen=True)
class ChoiceReply(Reply):
    """Several cards match: the platform offers them (buttons, select menu, numbered list)."""

    query: str = ""
    command: str = ""  # re-run this command with the chosen card id
    choices: tuple[Card, ...] = ()
    keep: dict[str, str] = field(default_factory=dict)  # the other options asked for (period, kind, value ...)
    matching: tuple[Card, ...] = ()  # every matching card, when there are more than `choices` holds

    @property
    def heading(self) -> str:
        return self.heading_showing(len(self.choices))

    def heading_showing(self, shown: int) -> str:
        """What to say above the first `shown` choices. A lone candidate is a guess to confirm (a weak name
        match is never priced silently), not a list; when more cards match than fit, the user learns how
        many and how to narrow them down, or the one they want (often the oldest) is just missing."""
        if len(self.choices) == 1:
            return f"Did you mean this card for “{self.query}”?"
        every = self.matching or self.choices
        if len(every) <= shown:
            return f"Several cards match “{self.query}”."
        example = every[-1]  # best and newest first: the last is often the oldest, the one people miss
        words = self.query.lower().split()
        narrower = example.number if example.set_code.lower() in words else example.set_code.lower()
        return (f"{len(every)} cards match “{self.query}”, here are {shown}. For another, add its set or number, "
                f"e.g. “{self.query} {narrower}”.")


@dataclass(frozen=True)
class PriceLine:
    printing: str
    source: str
    condition: str
    market: str | None
    low: str | None
    high: str | None
    as_of: str
    age: str
    change: str | None = None  # "+3.20% since 2026-11-19"


@dataclass(frozen=True)
class CardReply(Reply):
    card: Card | None = None
    card_set: CardSet | None = None
    lines: tuple[PriceLine, ...] = ()
    notes: tuple[str, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)  # change/ATH/ATL/trend of the primary series


@dataclass(frozen=True)
class ChartReply(Reply):
    card: Card | None = None
    png: bytes = b""
    caption: str = ""


@dataclass(frozen=True)
class ListReply(Reply):
    title: str = ""
    rows: tuple[str, ...] = ()
    empty: str = "Nothing here yet."


@dataclass(frozen=True)
class FileReply(Reply):
    """A file for the asker (an export); platforms attach it, the console writes it."""

    filename: str = ""
    data: bytes = b""
    caption: str = ""
    ephemeral: bool = True
