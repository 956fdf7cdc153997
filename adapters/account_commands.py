"""A person's account and a channel's settings: linking, channel feeds, API keys, price reports, export and forget."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from adapters.command_base import Invocation, Services, game_arg, id_arg, resolve
from adapters.replies import ErrorReply, FileReply, ListReply, Reply, TextReply
from core.alert_service import FeedSpec
from core.alerts import RuleError
from core.api_keys import ApiKeyService
from core.models import Game


async def run_link(services: Services, call: Invocation) -> Reply:
    code = call.args.get("code")
    if code:
        await services.alerts.finish_link(call.caller, code)
        return TextReply(text="Linked: your watchlist and alerts are now shared across both platforms.", ephemeral=True)
    new_code = await services.alerts.start_link(call.caller)
    minutes = services.alerts.settings.link_code_minutes
    return TextReply(text=f"Your link code: {new_code} — send /link {new_code} on the other platform within {minutes} minutes.",
                     ephemeral=True)


async def run_feed_add(services: Services, call: Invocation) -> Reply:
    caller = call.caller
    try:
        move = Decimal(call.args.get("min_move", "10").rstrip("%"))
        price = Decimal(call.args["min_price"].lstrip("$€£")) if call.args.get("min_price") else None
    except InvalidOperation as err:
        raise RuleError("Write the move as a percent (10) and the price as an amount (5.00).") from err
    if not move.is_finite() or not 0 < move <= 100:
        raise RuleError(f"The move is a percent above 0 and at most 100, e.g. 10 (not “{call.args.get('min_move')}”).")
    if price is not None and (not price.is_finite() or price < 0):
        raise RuleError("The minimum price cannot be negative.")
    direction = call.args.get("direction", "down")
    digest = (call.args.get("digest") or "").lower() in ("digest", "true", "yes", "1")
    game = game_arg(call.args.get("game"))
    spec = FeedSpec(caller.platform, caller.channel_id or "", caller.guild_id, game.value if game else None,
                    call.args.get("set"), call.args.get("rarity"), int(price * 100) if price is not None else None,
                    int(move * 100), direction, digest=digest)
    feed_id = await services.alerts.add_feed(caller, spec)
    return TextReply(text=f"Feed #{feed_id} posts here: {', '.join(_feed_terms(spec))}.")


def _feed_terms(feed) -> list[str]:  # noqa: ANN001 - a FeedSpec or a channel_subscriptions row
    """What a feed posts, the same words on /feed add and /feed list: game, set, rarity, move, price, cap, digest."""
    way = {"down": "down", "up": "up", "both": "either way"}.get(feed.direction, feed.direction)
    terms = [Game(feed.game).label if feed.game else "all games"]
    terms += [f"set {feed.set_code}"] if feed.set_code else []
    terms += [f"rarity {feed.rarity}"] if feed.rarity else []
    terms.append(f"moves of {(feed.min_move_bp or 0) / 100:g}% or more {way}")
    terms += [f"prices from {feed.min_price_cents / 100:,.2f}"] if feed.min_price_cents else []
    terms.append(f"at most {feed.hourly_cap} posts an hour")
    terms += ["a daily gainers/losers digest"] if feed.digest else []
    return terms


async def run_feed_list(services: Services, call: Invocation) -> Reply:
    feeds = await services.alerts.feeds(call.caller)
    rows = tuple(f"#{f.id} " + " · ".join(_feed_terms(f)) + (f" · paused: {f.paused_reason}" if not f.active else "")
                 for f in feeds)
    return ListReply(title="Price feeds in this channel", rows=rows, empty="No feeds here. Admins add one with /feed add.")


async def run_feed_remove(services: Services, call: Invocation) -> Reply:
    feed_id = id_arg(call)
    if feed_id is None:
        return ErrorReply(message="Give the feed number from /feed list.")
    await services.alerts.remove_feed(call.caller, feed_id)
    return TextReply(text=f"Feed #{feed_id} removed.")


async def run_export(services: Services, call: Invocation) -> Reply:
    data = await services.alerts.export(call.caller)
    return FileReply(filename="tcgtracker-export.json", data=data,
                     caption="Everything we keep about you: accounts, watchlist, alerts and their history.")


async def run_forget(services: Services, call: Invocation) -> Reply:
    if (call.args.get("confirm") or "").lower() != "confirm":
        return TextReply(text="This deletes your linked accounts, watchlist, alerts and their history for good. "
                              "Send /forget confirm to go ahead.", ephemeral=True)
    await services.alerts.forget(call.caller)
    return TextReply(text="Done: everything we kept about you is deleted.", ephemeral=True)


def _keys(services: Services) -> ApiKeyService:
    if services.keys is None:
        raise RuleError("This bot does not offer the HTTP API.")
    return services.keys


# '/report sv3pt5 199 price is the jumbo's': on text platforms the note starts at a dash between spaces, or at the
# first word that can only be the note's (none is a word of a card name in either catalog). Not at a colon:
# "Type: Null" is a Pokémon.
_NOTE_START = re.compile(r"\s+[-—–]+\s+|\s+(?=(?:price|prices|priced|pricing|wrong|shows|showing|looks|seems|"
                         r"mapped|listed)\b)", re.IGNORECASE)


def read_report_words(text: str) -> tuple[str, dict[str, str]] | None:
    found = _NOTE_START.search(text)
    if found is None or not text[:found.start()].strip() or not text[found.end():].strip():
        return None
    return text[:found.start()].strip(), {"note": text[found.end():].strip()}


async def run_report(services: Services, call: Invocation) -> Reply:
    """A price that looks wrong (most often the wrong printing priced), for the operators to check."""
    if services.reports is None:
        raise RuleError("This bot does not take price reports; tell its operators.")
    card = await resolve(services, call.args.get("card"), "report")
    if isinstance(card, Reply):
        return card
    report_id, new = await services.reports.report(call.caller, card, call.args.get("note"))
    what = f"{card.name} ({card.canonical_id})"
    if not new:
        return TextReply(text=f"You reported {what} already (report #{report_id}, still open)"
                              + ("; your note is updated." if call.args.get("note") else "."), ephemeral=True)
    hint = "" if call.args.get("note") else " Saying what looks wrong helps: /report CARD — the price is the jumbo's."
    return TextReply(text=f"Thanks: report #{report_id} on {what} is with the operators, who check which products "
                          f"are priced as this card.{hint}", ephemeral=True)


async def run_apikey_create(services: Services, call: Invocation) -> Reply:
    key_id, key = await _keys(services).create(call.caller, call.args.get("name"))
    return TextReply(text=f"API key #{key_id}: {key}\nKeep it secret: it is shown only this once and acts as you "
                          "(your watchlist and alerts). Send it as the X-API-Key header. Revoke it with "
                          f"/apikey revoke {key_id}.", ephemeral=True)


async def run_apikey_list(services: Services, call: Invocation) -> Reply:
    keys = await _keys(services).list(call.caller)
    rows = tuple(f"#{k.id} {k.name} · {k.hint} · created {k.created_at:%Y-%m-%d} · "
                 + (f"last used {k.last_used_at:%Y-%m-%d %H:%M} UTC" if k.last_used_at else "never used") for k in keys)
    return ListReply(title="Your API keys", rows=rows, empty="No API keys. Create one with /apikey create.",
                     ephemeral=True)


async def run_apikey_revoke(services: Services, call: Invocation) -> Reply:
    key_id = id_arg(call)
    if key_id is None:
        return ErrorReply(message="Give the key number from /apikey list, e.g. /apikey revoke 2.")
    await _keys(services).revoke(call.caller, key_id)
    return TextReply(text=f"API key #{key_id} revoked: it stops working now.", ephemeral=True)
