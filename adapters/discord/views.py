"""Buttons and select menus that only the person who asked may press."""
from __future__ import annotations

from typing import Awaitable, Callable

import discord

MENU_OPTIONS = 25  # Discord's limit on a select menu: the candidates it can offer
NOT_YOURS = "Only the person who ran the command can use these controls."


class OwnerOnly(discord.ui.View):
    def __init__(self, owner_id: int, timeout: float = 300) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(NOT_YOURS, ephemeral=True)
            return False
        return True


class Pager(OwnerOnly):
    """Prev/next through a long list; the page number is in each embed's footer."""

    def __init__(self, owner_id: int, pages: list[discord.Embed]) -> None:
        super().__init__(owner_id)
        self.pages = pages
        self.index = 0
        self._sync()

    def _sync(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    @discord.ui.button(label="◀ Previous", style=discord.ButtonStyle.secondary, custom_id="tcg:page:prev")
    async def previous(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        self.index = max(self.index - 1, 0)
        self._sync()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary, custom_id="tcg:page:next")
    async def next(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        self.index = min(self.index + 1, len(self.pages) - 1)
        self._sync()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)


Rerun = Callable[[discord.Interaction, str], Awaitable[None]]


class CardChoice(OwnerOnly):
    """Ambiguous card: a select menu of the candidates; picking one re-runs the command on it."""

    def __init__(self, owner_id: int, cards: list, set_names: dict[str, str], rerun: Rerun) -> None:
        super().__init__(owner_id)
        self.rerun = rerun
        options = [
            discord.SelectOption(label=f"{c.name} · {set_names.get(c.set_code, c.set_code)} · {c.display_number}"[:100],
                                 description=(c.rarity or "")[:100] or None, value=c.canonical_id)
            for c in cards[:MENU_OPTIONS]
        ]
        select = discord.ui.Select(placeholder="Which card?", options=options, custom_id="tcg:choose")
        select.callback = self._chosen
        self.select = select
        self.add_item(select)

    async def _chosen(self, interaction: discord.Interaction) -> None:
        await self.rerun(interaction, self.select.values[0])
