"""Reply -> Telegram HTML (parse_mode=HTML); everything from users or the catalog is escaped."""
from __future__ import annotations

import html

from adapters.replies import CardReply, ChartReply, ChoiceReply, ErrorReply, ListReply, Reply, TextReply
from core.alerts import AlertMessage
from core.models import Card

MAX_TEXT = 4096
PAGE_SIZE = 10
CHOICE_BUTTONS = 10  # candidate buttons under one message: more would bury the chat


def e(text: object) -> str:
    return html.escape(str(text), quote=False)


def clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


BUTTON_TEXT = 60


def button_label(card: Card) -> str:
    """A choice button: the name gives way first, so the set, number and parallel always show."""
    tail = f" · {card.set_code} · {card.display_number}"
    room = BUTTON_TEXT - len(tail)
    name = card.name if len(card.name) <= room else card.name[: max(room - 1, 1)] + "…"
    return (name + tail)[:BUTTON_TEXT]


def card_html(reply: CardReply) -> str:
    card = reply.card
    set_name = reply.card_set.name if reply.card_set else card.set_code
    lines = [f"<b>{e(card.name)}</b> · {e(set_name)} · {e(card.display_number)}" + (f" · <i>{e(card.rarity)}</i>" if card.rarity else "")]
    for line in reply.lines:
        lines.append(f"• {e(line.printing)} · {e(line.source)} · {e(line.condition)}: <b>{e(line.market or '–')}</b>"
                     + (f" {e(line.change)}" if line.change else "")
                     + f" (low {e(line.low or '–')}, high {e(line.high or '–')}) — {e(line.as_of[:10])}, {e(line.age)}")
    if not reply.lines:
        lines.append("No prices collected for this card yet.")
    if reply.stats:
        change = ", ".join(f"{k} {v}" for k, v in reply.stats["change"].items())
        lines.append(f"📈 {e(change)}; ATH {e(reply.stats['ath'])}, ATL {e(reply.stats['atl'])}, trend {e(reply.stats['trend'])}")
        if reply.stats.get("thin market"):
            lines.append(f"<i>thin market: {e(reply.stats['thin market'])}</i>")
    lines.extend(f"<i>{e(note)}</i>" for note in reply.notes)
    lines.append(f"<code>{e(card.canonical_id)}</code>")
    return clip("\n".join(lines))


def list_pages(reply: ListReply) -> list[str]:
    rows = list(reply.rows)
    if not rows:
        return [e(reply.empty)]
    chunks = [rows[i:i + PAGE_SIZE] for i in range(0, len(rows), PAGE_SIZE)]
    pages = []
    for number, chunk in enumerate(chunks, 1):
        head = f"<b>{e(reply.title)}</b>" + (f" ({number}/{len(chunks)})" if len(chunks) > 1 else "")
        pages.append(clip("\n".join([head, *(e(r) for r in chunk)])))
    return pages


def text_of(reply: Reply) -> str:
    if isinstance(reply, ErrorReply):
        text = f"⚠️ {e(reply.message)}"
        if reply.suggestions:
            text += "\nDid you mean: " + ", ".join(f"{e(c.name)} (<code>{e(c.canonical_id)}</code>)"
                                                  for c in reply.suggestions[:5])
        return clip(text)
    if isinstance(reply, ChoiceReply):
        heading = reply.heading_showing(min(len(reply.choices), CHOICE_BUTTONS))
        return e(heading) + ("" if len(reply.choices) == 1 else " Which one?")
    if isinstance(reply, CardReply):
        return card_html(reply)
    if isinstance(reply, ChartReply):
        return clip(e(reply.caption), 1024)
    if isinstance(reply, ListReply):
        return list_pages(reply)[0]
    if isinstance(reply, TextReply):
        return clip(e(reply.text))
    return clip(e(reply))


def alert_html(message: AlertMessage) -> str:
    if message.kind == "digest":
        return clip("\n".join([f"📊 <b>{e(message.headline)}</b> · {e(message.set_name)}",
                               *(e(line) for line in message.extra.get("lines", []))]))
    move = f"{e(message.old_price)} → <b>{e(message.new_price)}</b>" if message.old_price else f"<b>{e(message.new_price)}</b>"
    link = f'\n<a href="{html.escape(message.link, quote=True)}">Open on TCGplayer</a>' if message.link else ""
    return clip(
        f"🔔 <b>{e(message.card_name)}</b> {e(message.headline)}\n{move}"
        + (f" ({e(message.percent)})" if message.percent else "")
        + f"\n{e(message.set_name)} · {e(message.number)} · {e(message.printing)} · {e(message.condition)}"
        + f"\n{e(message.source)}, price as of {e(message.as_of[:16].replace('T', ' '))} UTC{link}"
    )
