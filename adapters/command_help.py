"""'/help alert': how to use a command — what to type, each option, and examples that work as typed.

The one-line list (`/help`) says what exists; people then ask how: the examples here are the phrasings
the parsers accept (tests run every one against the sample catalog), so copying one never fails."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from adapters.replies import ErrorReply, ListReply, Reply

if TYPE_CHECKING:
    from adapters.command_base import Command

EXAMPLES: dict[str, tuple[str, ...]] = {
    "price": ("/price pikachu 238", "/price sv3pt5 199 psa 10", "/price charmander 151 reverse holo"),
    "card": ("/card pikachu 238", "/card OP05-119 p1"),
    "chart": ("/chart sv3pt5 199 1y", "/chart OP05-119 p1 3m light", "/chart charmander 151 reverse holo 30d"),
    "search": ("/search luffy sec op05", "/search umbreon vmax"),
    "watch": ("/watch moonbreon", "/watch charmander 151 reverse holo"),
    "unwatch": ("/unwatch 3", "/unwatch pikachu 238"),
    "alert add": ("/alert add sv3pt5 199 below 95", "/alert add pikachu 238 down 15% in 7 days",
                  "/alert add OP05-119 p1 below 150 EUR", "/alert add sv8 238 new 30-day low"),
    "alert remove": ("/alert remove 12",),
    "alert history": ("/alert history", "/alert history 12"),
    "trending": ("/trending onepiece 30d losers", "/trending pokemon 7d most_watched"),
    "sets": ("/sets onepiece",),
    "link": ("/link (then /link CODE on the other platform)",),
    "feed add": ("/feed add pokemon 15", "/feed add onepiece 10 5.00 digest"),
    "feed remove": ("/feed remove 2",),
    "apikey create": ("/apikey create spreadsheet",),
    "apikey revoke": ("/apikey revoke 2",),
    "report": ("/report sv3pt5 199 — the price is the jumbo's", "/report OP05-119 p1 priced as the base print"),
    "forget": ("/forget confirm",),
    "help": ("/help alert",),
}


def usage(command: Command) -> str:
    """'/alert add card kind [value] [currency] [window]': required words bare, optional ones bracketed."""
    words = [p.name if p.required else f"[{p.name}]" for p in command.params]
    return " ".join([f"/{command.name}", *words])


def command_help(catalog: Iterable[Command], topic: str) -> Reply:
    """The list of commands, or how to use the ones a topic names ('alert' covers /alert add, list ...)."""
    catalog = tuple(catalog)
    topic = " ".join(topic.strip().lstrip("/").lower().split())
    if not topic:
        rows = tuple(f"/{c.name} — {c.help}" for c in catalog)
        return ListReply(title="Commands", rows=(*rows, "/help COMMAND shows what to type, e.g. /help alert"),
                         ephemeral=True)
    chosen = [c for c in catalog if c.name == topic or c.name.startswith(f"{topic} ")]
    if not chosen:
        return ErrorReply(message=f"No command /{topic}. /help lists them.")
    rows: list[str] = []
    for command in chosen:
        rows.append(f"{usage(command)} — {command.help}")
        rows.extend(f"    {p.name}: {p.help}" for p in command.params)
        rows.extend(f"    e.g. {example}" for example in EXAMPLES.get(command.name, ()))
    return ListReply(title=f"/{topic}", rows=tuple(rows), ephemeral=True)
