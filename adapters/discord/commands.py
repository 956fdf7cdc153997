"""The shared catalog as Discord slash commands: thin bindings, one per catalog command."""
from __future__ import annotations

import logging

import discord
from discord import app_commands

from adapters.commands import COMMANDS, Invocation, Services, choice_invocation, dispatch
from adapters.discord.render import Outgoing, render
from adapters.discord.views import CardChoice, Pager
from adapters.replies import ErrorReply
from core.alert_service import Caller
from core.models import Finish
from core.prices import CURRENCIES
from core.pricing import PeriodError, parse_period
from core.search import Resolved, SearchFilters

log = logging.getLogger(__name__)
GAMES = [app_commands.Choice(name="Pokémon", value="pokemon"), app_commands.Choice(name="One Piece", value="onepiece")]
PERIODS = [app_commands.Choice(name=p, value=p) for p in ("7d", "30d", "3m", "1y", "all")]
WINDOWS = [app_commands.Choice(name=p, value=p) for p in ("24h", "7d", "30d")]
KINDS = [app_commands.Choice(name=k.replace("_", " "), value=k) for k in ("below", "above", "pct_move", "n_day_low",
                                                                         "availability")]
CURRENCY_CHOICES = [app_commands.Choice(name=c, value=c) for c in CURRENCIES]
FINISHES = [app_commands.Choice(name=f.label, value=f.value) for f in Finish]
THEMES = [app_commands.Choice(name=t, value=t) for t in ("dark", "light")]
LISTS = [app_commands.Choice(name=k.replace("_", " "), value=k) for k in ("gainers", "losers", "most_watched")]


def _t(text: str) -> app_commands.locale_str:
    """Localizable text: a Translator set on the tree can render it per user locale."""
    return app_commands.locale_str(text)


def caller_of(interaction: discord.Interaction) -> Caller:
    user = interaction.user
    in_guild = interaction.guild_id is not None
    return Caller("discord", str(user.id), getattr(user, "global_name", None) or user.name,
                  channel_id=str(interaction.channel_id) if in_guild and interaction.channel_id else None,
                  guild_id=str(interaction.guild_id) if in_guild else None,
                  is_channel_admin=in_guild and interaction.permissions.manage_guild)


class Binder:
    """Runs catalog commands for Discord interactions and sends what they answer."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run(self, interaction: discord.Interaction, name: str, /, **args: object) -> None:
        clean = {k: str(v) for k, v in args.items() if v is not None and str(v).strip() != ""}
        reply = await dispatch(self.services, COMMANDS[name], Invocation(caller_of(interaction), clean))
        await self.send(interaction, render(reply), name)

    async def run_slow(self, interaction: discord.Interaction, name: str, /, **args: object) -> None:
        """Charts take a moment: acknowledge first (errors found before that stay private)."""
        card = str(args.get("card") or "")
        outcome = (await self.services.catalog.search(card, SearchFilters())).outcome if card else None
        try:
            parse_period(str(args.get("period") or "30d"))
        except PeriodError:
            outcome = None
        if not isinstance(outcome, Resolved):
            await self.run(interaction, name, **args)
            return
        await interaction.response.defer(thinking=True)
        clean = {k: str(v) for k, v in args.items() if v is not None}
        reply = await dispatch(self.services, COMMANDS[name], Invocation(caller_of(interaction), clean))
        out = render(reply)
        await interaction.followup.send(**{k: v for k, v in out.kwargs().items() if k != "ephemeral"})

    async def send(self, interaction: discord.Interaction, out: Outgoing, name: str) -> None:
        view = await self.view_for(interaction, out, name)
        kwargs = out.kwargs()
        if view is not None:
            kwargs["view"] = view
        if interaction.response.is_done():
            await interaction.followup.send(**kwargs)
        else:
            await interaction.response.send_message(**kwargs)

    async def view_for(self, interaction: discord.Interaction, out: Outgoing, name: str) -> discord.ui.View | None:
        if len(out.pages) > 1:
            return Pager(interaction.user.id, out.pages)
        if out.choices:
            index = await self.services.catalog.index()
            names = {c.set_code: (index.set_of(c).name if index.set_of(c) else c.set_code) for c in out.choices}

            async def rerun(choice_interaction: discord.Interaction, card_id: str) -> None:
                reply = await dispatch(self.services, COMMANDS[out.command],
                                       choice_invocation(caller_of(choice_interaction), card_id, out.keep))
                chosen = render(reply)
                edit = {"content": chosen.content, "embeds": chosen.embeds, "view": None}
                if chosen.file is not None:
                    edit["attachments"] = [chosen.file]
                await choice_interaction.response.edit_message(**edit)

            return CardChoice(interaction.user.id, out.choices, names, rerun)
        return None

    async def card_choices(self, _interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Autocomplete: up to 25 exact cards, labelled name · set · number · rarity, valued by canonical id."""
        if len(current.strip()) < 2:
            return []
        index = await self.services.catalog.index()
        result = index.search(current)
        choices = []
        for card in result.ranked[:25]:
            card_set = index.set_of(card)
            label = f"{card.name} · {card_set.name if card_set else card.set_code} · {card.display_number} · {card.rarity or ''}"
            choices.append(app_commands.Choice(name=label.strip(" ·")[:100], value=card.canonical_id))
        return choices


def bind(tree: app_commands.CommandTree, services: Services) -> Binder:
    """Register every catalog command on the tree (the parity test checks none is missing)."""
    binder = Binder(services)
    cards = binder.card_choices

    @tree.command(name="price", description=_t(COMMANDS["price"].help))
    @app_commands.describe(card=_t("a card name, set + number (sv3pt5 199) or id (OP05-119)"),
                           finish=_t("only this finish"), condition=_t("only this condition or grade (NM, PSA 10)"))
    @app_commands.autocomplete(card=cards)
    @app_commands.choices(finish=FINISHES)
    async def price(interaction: discord.Interaction, card: str, finish: str | None = None,
                    condition: str | None = None) -> None:
        await binder.run(interaction, "price", card=card, finish=finish, condition=condition)

    @tree.command(name="card", description=_t(COMMANDS["card"].help))
    @app_commands.describe(card="a card name, set + number (sv3pt5 199) or id (OP05-119)")
    @app_commands.autocomplete(card=cards)
    async def card_(interaction: discord.Interaction, card: str) -> None:
        await binder.run(interaction, "card", card=card)

    @tree.command(name="chart", description=_t(COMMANDS["chart"].help))
    @app_commands.describe(card="the card", period="how far back", source="only this source",
                           condition="raw (the market price) unless you say: NM, LP ... or a grade like PSA 10",
                           theme="dark or light (the server's default unless you say)",
                           finish="only this printing (every finish unless you say)")
    @app_commands.autocomplete(card=cards)
    @app_commands.choices(period=PERIODS, theme=THEMES, finish=FINISHES)
    async def chart(interaction: discord.Interaction, card: str, period: str = "30d", source: str | None = None,
                    condition: str | None = None, theme: str | None = None, finish: str | None = None) -> None:
        await binder.run_slow(interaction, "chart", card=card, period=period, source=source, condition=condition,
                              theme=theme, finish=finish)

    @tree.command(name="search", description=_t(COMMANDS["search"].help))
    @app_commands.describe(query="what to look for", game="only this game", set="set id or code", rarity="rarity")
    @app_commands.choices(game=GAMES)
    async def search(interaction: discord.Interaction, query: str, game: str | None = None, set: str | None = None,
                     rarity: str | None = None) -> None:
        await binder.run(interaction, "search", query=query, game=game, set=set, rarity=rarity)

    @tree.command(name="watch", description=_t(COMMANDS["watch"].help))
    @app_commands.describe(card="the card", condition="raw, NM, LP ... or a grade like PSA 10",
                           finish="the printing (the card's usual one unless you say)")
    @app_commands.autocomplete(card=cards)
    @app_commands.choices(finish=FINISHES)
    async def watch(interaction: discord.Interaction, card: str, condition: str | None = None,
                    finish: str | None = None) -> None:
        await binder.run(interaction, "watch", card=card, condition=condition, finish=finish)

    @tree.command(name="unwatch", description=_t(COMMANDS["unwatch"].help))
    async def unwatch(interaction: discord.Interaction, id: int) -> None:  # noqa: A002 - the option users see
        await binder.run(interaction, "unwatch", id=id)

    @tree.command(name="watchlist", description=_t(COMMANDS["watchlist"].help))
    async def watchlist(interaction: discord.Interaction) -> None:
        await binder.run(interaction, "watchlist")

    alert = app_commands.Group(name="alert", description="price alerts")

    @alert.command(name="add", description=_t(COMMANDS["alert add"].help))
    @app_commands.describe(card="the card", kind="when to tell you",
                           value="price (below/above), percent (pct move: -15 is down 15%) or days (n day low)",
                           currency="USD unless you say; Cardmarket prices are EUR",
                           condition="raw (the market price) unless you say: NM, LP ... or a grade like PSA 10",
                           days="pct move: the days the move may take (7 unless you say)",
                           finish="the printing (the card's usual one unless you say)")
    @app_commands.autocomplete(card=cards)
    @app_commands.choices(kind=KINDS, currency=CURRENCY_CHOICES, finish=FINISHES)
    async def alert_add(interaction: discord.Interaction, card: str, kind: str, value: str | None = None,
                        currency: str | None = None, condition: str | None = None,
                        days: app_commands.Range[int, 1, 365] | None = None, finish: str | None = None) -> None:
        await binder.run(interaction, "alert add", card=card, kind=kind, value=value, currency=currency,
                         condition=condition, window=days, finish=finish)

    @alert.command(name="list", description=_t(COMMANDS["alert list"].help))
    async def alert_list(interaction: discord.Interaction) -> None:
        await binder.run(interaction, "alert list")

    @alert.command(name="remove", description=_t(COMMANDS["alert remove"].help))
    async def alert_remove(interaction: discord.Interaction, id: int) -> None:  # noqa: A002
        await binder.run(interaction, "alert remove", id=id)

    @alert.command(name="history", description=_t(COMMANDS["alert history"].help))
    async def alert_history(interaction: discord.Interaction, id: int | None = None) -> None:  # noqa: A002
        await binder.run(interaction, "alert history", id=id)

    tree.add_command(alert)

    @tree.command(name="trending", description=_t(COMMANDS["trending"].help))
    @app_commands.choices(game=GAMES, period=WINDOWS, kind=LISTS)
    async def trending(interaction: discord.Interaction, game: str = "pokemon", period: str = "7d",
                       kind: str = "gainers") -> None:
        await binder.run(interaction, "trending", game=game, period=period, kind=kind)

    @tree.command(name="sets", description=_t(COMMANDS["sets"].help))
    @app_commands.choices(game=GAMES)
    async def sets(interaction: discord.Interaction, game: str | None = None) -> None:
        await binder.run(interaction, "sets", game=game)

    @tree.command(name="link", description=_t(COMMANDS["link"].help))
    async def link(interaction: discord.Interaction, code: str | None = None) -> None:
        await binder.run(interaction, "link", code=code)

    feed = app_commands.Group(name="feed", description="price-drop feeds for this channel", guild_only=True,
                              default_permissions=discord.Permissions(manage_guild=True))

    @feed.command(name="add", description=_t(COMMANDS["feed add"].help))
    @app_commands.describe(min_move="smallest move in %", min_price="ignore cheaper cards")
    @app_commands.choices(game=GAMES)
    async def feed_add(interaction: discord.Interaction, game: str | None = None, min_move: float = 10.0,
                       min_price: float | None = None, digest: bool = False) -> None:
        await binder.run(interaction, "feed add", game=game, min_move=min_move, min_price=min_price,
                         digest="digest" if digest else None)

    @feed.command(name="list", description=_t(COMMANDS["feed list"].help))
    async def feed_list(interaction: discord.Interaction) -> None:
        await binder.run(interaction, "feed list")

    @feed.command(name="remove", description=_t(COMMANDS["feed remove"].help))
    async def feed_remove(interaction: discord.Interaction, id: int) -> None:  # noqa: A002
        await binder.run(interaction, "feed remove", id=id)

    tree.add_command(feed)

    apikey = app_commands.Group(name="apikey", description="keys for the HTTP API")

    @apikey.command(name="create", description=_t(COMMANDS["apikey create"].help))
    @app_commands.describe(name="what it is for, e.g. spreadsheet")
    async def apikey_create(interaction: discord.Interaction, name: str | None = None) -> None:
        await binder.run(interaction, "apikey create", name=name)

    @apikey.command(name="list", description=_t(COMMANDS["apikey list"].help))
    async def apikey_list(interaction: discord.Interaction) -> None:
        await binder.run(interaction, "apikey list")

    @apikey.command(name="revoke", description=_t(COMMANDS["apikey revoke"].help))
    async def apikey_revoke(interaction: discord.Interaction, id: int) -> None:  # noqa: A002
        await binder.run(interaction, "apikey revoke", id=id)

    tree.add_command(apikey)

    @tree.command(name="report", description=_t(COMMANDS["report"].help))
    @app_commands.describe(card="the card whose price looks wrong", note="what looks wrong, e.g. the price is the jumbo's")
    @app_commands.autocomplete(card=cards)
    async def report(interaction: discord.Interaction, card: str, note: app_commands.Range[str, 0, 300] | None = None) -> None:
        await binder.run(interaction, "report", card=card, note=note)

    @tree.command(name="export", description=_t(COMMANDS["export"].help))
    async def export(interaction: discord.Interaction) -> None:
        await binder.run(interaction, "export")

    @tree.command(name="forget", description=_t(COMMANDS["forget"].help))
    @app_commands.choices(confirm=[app_commands.Choice(name="confirm: delete everything", value="confirm")])
    async def forget(interaction: discord.Interaction, confirm: str | None = None) -> None:
        await binder.run(interaction, "forget", confirm=confirm)

    @tree.command(name="help", description=_t(COMMANDS["help"].help))
    @app_commands.describe(command="a command to explain, e.g. alert")
    async def help_(interaction: discord.Interaction, command: str | None = None) -> None:
        await binder.run(interaction, "help", command=command)

    @tree.error
    async def on_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        log.exception("command failed", exc_info=error)
        reply = render(ErrorReply(message="Something went wrong on our side; it has been logged. Try again soon."))
        if interaction.response.is_done():
            await interaction.followup.send(**reply.kwargs())
        else:
            await interaction.response.send_message(**reply.kwargs())

    return binder


def bound_names(tree: app_commands.CommandTree) -> set[str]:
    names = set()
    for command in tree.get_commands():
        if isinstance(command, app_commands.Group):
            names.update(f"{command.name} {sub.name}" for sub in command.commands)
        else:
            names.add(command.name)
    return names
