"""Reply -> what discord.py sends: content, embeds, a PNG file, a view, ephemeral or not."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import discord

from adapters.discord.views import MENU_OPTIONS
from adapters.replies import CardReply, ChartReply, ChoiceReply, ErrorReply, FileReply, ListReply, Reply, TextReply
from core.alerts import AlertMessage

COLOUR = discord.Colour(0x5865F2)
WARN = discord.Colour(0xF0B232)
PAGE_SIZE = 10


@dataclass
class Outgoing:
    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    file: discord.File | None = None
    ephemeral: bool = False
    pages: list[discord.Embed] = field(default_factory=list)  # > 1: paginate with buttons
    choices: list[Any] = field(default_factory=list)  # cards for a select menu
    command: str = ""
    keep: dict[str, str] = field(default_factory=dict)  # the command's other options, for the re-run

    def kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ephemeral": self.ephemeral}
        if self.content:
            out["content"] = self.content[:2000]
        if self.embeds:
            out["embeds"] = self.embeds
        if self.file is not None:
            out["file"] = self.file
        return out


def render(reply: Reply) -> Outgoing:
    if isinstance(reply, ErrorReply):
        text = f"⚠️ {reply.message}"
        if reply.suggestions:
            text += "\nDid you mean: " + ", ".join(f"{c.name} ({c.canonical_id})" for c in reply.suggestions[:5])
        return Outgoing(content=text, ephemeral=True)
    if isinstance(reply, ChoiceReply):
        heading = reply.heading_showing(min(len(reply.choices), MENU_OPTIONS))
        return Outgoing(content=f"{heading} Pick {'it' if len(reply.choices) == 1 else 'one'}:",
                        choices=list(reply.choices),
                        command=reply.command, keep=reply.keep, ephemeral=True)
    if isinstance(reply, CardReply):
        return Outgoing(embeds=[card_embed(reply)], ephemeral=reply.ephemeral)
    if isinstance(reply, ChartReply):
        embed = discord.Embed(title=f"{reply.card.name} · {reply.card.canonical_id}", description=reply.caption,
                              colour=COLOUR)
        embed.set_image(url="attachment://chart.png")
        return Outgoing(embeds=[embed], file=discord.File(io.BytesIO(reply.png), filename="chart.png"),
                        ephemeral=reply.ephemeral)
    if isinstance(reply, FileReply):
        return Outgoing(content=reply.caption, file=discord.File(io.BytesIO(reply.data), filename=reply.filename),
                        ephemeral=True)
    if isinstance(reply, ListReply):
        pages = list_pages(reply)
        return Outgoing(embeds=pages[:1], pages=pages, ephemeral=reply.ephemeral)
    if isinstance(reply, TextReply):
        return Outgoing(content=reply.text, ephemeral=reply.ephemeral)
    return Outgoing(content=str(reply))


MAX_PRICE_FIELDS = 24  # of Discord's 25 per embed; one stays free for the history summary


def card_embed(reply: CardReply) -> discord.Embed:
    card = reply.card
    set_name = reply.card_set.name if reply.card_set else card.set_code
    embed = discord.Embed(title=f"{card.name} · {set_name} · {card.display_number}"[:256], description=card.rarity or None,
                          colour=COLOUR)
    if card.image_url:
        embed.set_thumbnail(url=card.image_url)
    for line in reply.lines[:MAX_PRICE_FIELDS]:
        embed.add_field(name=f"{line.printing} · {line.source} · {line.condition}"[:256],
                        value=f"**{line.market or '–'}**" + (f" ({line.change})" if line.change else "")
                        + f"\nlow {line.low or '–'} · high {line.high or '–'}", inline=True)
    if not reply.lines:
        embed.add_field(name="No prices yet", value="Collection has not seen this card.", inline=False)
    if reply.stats:
        change = " · ".join(f"{k} {v}" for k, v in reply.stats["change"].items())
        text = f"{change}\nATH {reply.stats['ath']} · ATL {reply.stats['atl']} · trend {reply.stats['trend']}"
        if reply.stats.get("thin market"):
            text += f"\nthin market: {reply.stats['thin market']}"
        embed.add_field(name=f"History · {reply.stats['series']}"[:256], value=text[:1024], inline=False)
    newest = max((l.as_of for l in reply.lines), default=None)
    footer = [f"{card.canonical_id}"]
    if newest:
        footer.append(f"as of {newest[:16].replace('T', ' ')} UTC ({next(l.age for l in reply.lines if l.as_of == newest)})")
    footer.extend(reply.notes)
    if len(reply.lines) > MAX_PRICE_FIELDS:  # Discord allows 25 fields; say what did not fit, never drop it silently
        footer.append(f"{len(reply.lines) - MAX_PRICE_FIELDS} more prices: narrow with the finish or condition option")
    embed.set_footer(text=" · ".join(footer)[:2048])
    return embed


def list_pages(reply: ListReply) -> list[discord.Embed]:
    rows = list(reply.rows) or [reply.empty]
    chunks = [rows[i:i + PAGE_SIZE] for i in range(0, len(rows), PAGE_SIZE)]
    pages = []
    for number, chunk in enumerate(chunks, 1):
        embed = discord.Embed(title=reply.title[:256], description="\n".join(chunk)[:4000], colour=COLOUR)
        if len(chunks) > 1:
            embed.set_footer(text=f"page {number}/{len(chunks)}")
        pages.append(embed)
    return pages


def alert_embed(message: AlertMessage) -> discord.Embed:
    if message.kind == "digest":
        return discord.Embed(title=f"📊 {message.headline} · {message.set_name}"[:256],
                             description="\n".join(message.extra.get("lines", []))[:4000], colour=COLOUR)
    move = f"{message.old_price} → **{message.new_price}**" if message.old_price else f"**{message.new_price}**"
    embed = discord.Embed(title=f"{message.card_name} {message.headline}"[:256], url=message.link,
                          description=f"{move}" + (f" ({message.percent})" if message.percent else ""),
                          colour=WARN if (message.percent or "").startswith("-") else COLOUR)
    embed.add_field(name="Card", value=f"{message.set_name} · {message.number} ({message.card_id})", inline=True)
    embed.add_field(name="Printing", value=f"{message.printing} · {message.condition}", inline=True)
    embed.add_field(name="Source", value=message.source, inline=True)
    if message.image_url:
        embed.set_thumbnail(url=message.image_url)
    embed.set_footer(text=f"price as of {message.as_of[:16].replace('T', ' ')} UTC")
    return embed
