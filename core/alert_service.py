"""Watchlists, alert rules, account linking and channel feeds: the use cases chat adapters call.

Adapters pass who is asking (platform + user id) and, for feeds, whether that person administers the
channel (Discord: Manage Server; Telegram: chat admin). The core enforces it."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, NamedTuple, Protocol

from core.alerts import RuleError, RuleSpec, make_rule
from core.mapping import PrintingKey
from core.models import Card, Condition, Finish, likely_finish, utcnow
from core.prices import FINISH_EVIDENCE_SOURCES, GRADERS, condition_code
from core.services_types import LatestPrice

LINK_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud without mistakes


class PermissionDenied(PermissionError):
    """The caller may not do this here; the message says who may."""


@dataclass(frozen=True)
class Caller:
    platform: str  # discord, telegram, console, api
    user_id: str
    display_name: str = ""
    channel_id: str | None = None
    guild_id: str | None = None
    is_channel_admin: bool = False


@dataclass(frozen=True)
class FeedSpec:
    """What a channel feed posts: price moves filtered by game, set, rarity, price and size of move."""

    platform: str
    channel_id: str
    guild_id: str | None = None
    game: str | None = None
    set_code: str | None = None
    rarity: str | None = None
    min_price_cents: int | None = None
    min_move_bp: int | None = 1000
    direction: str = "down"
    hourly_cap: int = 10
    digest: bool = False


@dataclass(frozen=True)
class AlertSettings:
    max_rules_per_user: int = 25
    default_cooldown_hours: int = 6
    rearm_margin_percent: float = 2.0
    confirm_snapshots: int = 1
    link_code_minutes: int = 10


@dataclass(frozen=True)
class WatchLine:
    item_id: int
    card_id: str
    finish: Finish
    variant: str
    condition: int
    prices: tuple[LatestPrice, ...]


class AccountsPort(Protocol):
    async def user_for(self, platform: str, platform_user_id: str, display_name: str = "") -> int: ...
    async def save_link_code(self, user_id: int, platform: str, code: str, lifetime: timedelta) -> None: ...
    async def redeem_link_code(self, code: str, platform: str, platform_user_id: str) -> int: ...
    async def watch(self, user_id: int, key: PrintingKey, condition: int, guessed: bool = False) -> bool: ...
    async def unwatch(self, user_id: int, item_id: int) -> None: ...
    async def watchlist(self, user_id: int) -> list[Any]: ...


class PrivacyPort(Protocol):
    async def export(self, user_id: int) -> dict: ...
    async def forget(self, user_id: int) -> None: ...


class RulesPort(Protocol):
    async def create(self, user_id: int, key: PrintingKey, condition: int, source: str | None, spec: RuleSpec,
                     target: tuple[str, str], limit: int, guessed: bool = False) -> int: ...
    async def list(self, user_id: int, rule_id: int | None = None) -> list[Any]: ...
    async def remove(self, user_id: int, rule_id: int) -> None: ...
    async def set_paused(self, user_id: int, rule_id: int, paused: bool) -> None: ...
    async def history(self, user_id: int, rule_id: int, limit: int = 50) -> list[Any]: ...
    async def create_feed(self, spec: Any, created_by: int | None) -> int: ...
    async def feeds(self, platform: str, channel_ids: list[str]) -> list[Any]: ...
    async def remove_feed(self, platform: str, channel_ids: list[str], feed_id: int) -> None: ...


class ChosenPrinting(NamedTuple):
    key: PrintingKey
    # No source that says a product's finish had priced the card: `key` is the finish its rarity is printed in,
    # and storage moves the watch or alert to the finish such prices first come in, when that is another
    # (storage/first_prices.py, core.models.settled_finish).
    guessed: bool = False


class PricesPort(Protocol):
    async def latest_prices(self, canonical_ids: list[str]) -> list[LatestPrice]: ...


class UnpricedPrinting(LookupError):
    """A finish the card is not priced in (the API answers 404: no such printing to watch)."""


CONDITION_WORDS = {"nm": Condition.NEAR_MINT, "near mint": Condition.NEAR_MINT, "lp": Condition.LIGHTLY_PLAYED,
                   "lightly played": Condition.LIGHTLY_PLAYED, "mp": Condition.MODERATELY_PLAYED,
                   "moderately played": Condition.MODERATELY_PLAYED, "hp": Condition.HEAVILY_PLAYED,
                   "heavily played": Condition.HEAVILY_PLAYED, "dmg": Condition.DAMAGED, "damaged": Condition.DAMAGED}


def parse_condition(raw: str | None) -> int:
    """'nm', 'near mint', 'PSA 10', 'bgs 9.5', None (= raw market) -> condition code."""
    if raw is None or not str(raw).strip():
        return condition_code()
    text = str(raw).strip().lower().replace("-", " ").replace("_", " ")
    if text in ("raw", "market", "any"):
        return condition_code()
    if text in CONDITION_WORDS:
        return condition_code(CONDITION_WORDS[text])
    parts = text.split()
    if len(parts) == 2:
        try:
            return condition_code(grader=parts[0], grade=float(parts[1]))
        except ValueError:
            pass
    raise RuleError(f"Unknown condition “{raw}”. Use raw, NM, LP, MP, HP, DMG or a grade like “PSA 10”.")


_CONDITION_IN_QUERY = re.compile(
    r"\b(?:(?P<grader>" + "|".join(GRADERS) + r")\s*-?\s*(?P<grade>10|[1-9](?:\.5)?)(?![.\d])"
    # the condition words, longest first; "hp" alone stays in the query: it is a Pokémon word
    r"|(?P<words>" + "|".join(sorted((w for w in CONDITION_WORDS if w != "hp"), key=len, reverse=True)) + r"))\b",
    re.IGNORECASE)


def take_condition(query: str) -> tuple[str, str | None]:
    """A grade or condition typed inside a card query, as collectors say it: 'charizard ex 151 psa 10' ->
    ('charizard ex 151', 'PSA 10'); ('sv3pt5 199 nm') -> ('sv3pt5 199', 'nm'). ('hp' stays: it is a Pokémon word.)"""
    found = _CONDITION_IN_QUERY.search(query)
    if found is None:
        return query, None
    rest = " ".join((query[:found.start()] + " " + query[found.end():]).split())
    return (rest, _said(found)) if rest else (query, None)


def take_condition_at_end(query: str) -> tuple[str, str | None]:
    """Like take_condition, for a grade or condition that ends the text ('sv8 238 below 80 psa 10')."""
    found = None
    for found in _CONDITION_IN_QUERY.finditer(query):
        pass
    if found is None or query[found.end():].strip() or not query[:found.start()].strip():
        return query, None
    return query[:found.start()].strip(), _said(found)


def _said(found: re.Match) -> str:
    return f"{found['grader'].upper()} {found['grade']}" if found["grader"] else found["words"].lower()


class AlertService:
    def __init__(self, accounts: AccountsPort, rules: RulesPort, prices: PricesPort,
                 settings: AlertSettings = AlertSettings(), clock: Callable[[], datetime] = utcnow,
                 privacy: PrivacyPort | None = None) -> None:
        self._accounts = accounts
        self._privacy = privacy
        self._rules = rules
        self._prices = prices
        self.settings = settings
        self._clock = clock

    async def user(self, caller: Caller) -> int:
        return await self._accounts.user_for(caller.platform, caller.user_id, caller.display_name)

    # ------------------------------------------------------------ linking

    async def start_link(self, caller: Caller) -> str:
        """A short single-use code to enter on the other platform."""
        code = "".join(secrets.choice(LINK_ALPHABET) for _ in range(8))
        await self._accounts.save_link_code(await self.user(caller), caller.platform, code,
                                            timedelta(minutes=self.settings.link_code_minutes))
        return code

    async def finish_link(self, caller: Caller, code: str) -> int:
        return await self._accounts.redeem_link_code(code, caller.platform, caller.user_id)

    # ------------------------------------------------------------ watchlists

    async def choose_printing(self, card: Card, finish: Finish | None) -> ChosenPrinting:
        """The plain printing asked for; without a finish, the one priced most recently, or before any source has
        priced the card, the finish its rarity is printed in (a rule on Normal for a holo card would wait for
        prices that never come). A finish the card is not priced in, while it is priced in others, is refused:
        a rule on it would never fire ('reverse holo' of a holo-only card)."""
        priced = [l for l in await self._prices.latest_prices([card.canonical_id]) if not l.variant]
        if finish is None:
            # Cardmarket's and eBay's finish is the one we gave them: until a TCGplayer source says, it is a guess
            said = [l for l in priced if l.source in FINISH_EVIDENCE_SOURCES]
            newest = max(said or priced, key=lambda l: l.as_of).finish if priced else likely_finish(card)
            return ChosenPrinting(PrintingKey(card.canonical_id, newest), guessed=not said)
        finishes = {l.finish for l in priced}
        if finishes and finish not in finishes:
            raise UnpricedPrinting(f"{card.name} ({card.canonical_id}) has no {finish.label} prices; it is priced as "
                                   f"{', '.join(sorted(f.label for f in finishes))}.")
        return ChosenPrinting(PrintingKey(card.canonical_id, finish))

    async def watch(self, caller: Caller, card: Card, finish: Finish | None = None, condition: str | None = None) -> bool:
        return await self.watch_printing(caller, await self.choose_printing(card, finish), condition)

    async def watch_printing(self, caller: Caller, chosen: ChosenPrinting, condition: str | None = None) -> bool:
        """Watch a printing already chosen by `choose_printing()` (callers that also show which one ask it once)."""
        return await self._accounts.watch(await self.user(caller), chosen.key, parse_condition(condition),
                                          guessed=chosen.guessed)

    async def unwatch(self, caller: Caller, item_id: int) -> None:
        await self._accounts.unwatch(await self.user(caller), item_id)

    async def watchlist(self, caller: Caller) -> list[WatchLine]:
        items = await self._accounts.watchlist(await self.user(caller))
        prices = await self._prices.latest_prices(sorted({i.card_id for i in items})) if items else []
        return [WatchLine(i.id, i.card_id, i.finish, i.variant, i.condition, tuple(
            p for p in prices if (p.card_id, p.finish, p.variant, p.condition) == (i.card_id, i.finish, i.variant, i.condition)))
            for i in items]

    # ------------------------------------------------------------ rules

    async def add_rule(self, caller: Caller, card: Card, kind: str, *, finish: Finish | None = None,
                       condition: str | None = None, source: str | None = None, currency: str = "USD",
                       threshold: object = None, percent: object = None, window_days: object = None,
                       cooldown_hours: object = None, confirm_snapshots: object = None) -> int:
        spec = make_rule(kind, currency, threshold=threshold, percent=percent, window_days=window_days,
                         cooldown_hours=self.settings.default_cooldown_hours if cooldown_hours is None else cooldown_hours,
                         confirm_snapshots=self.settings.confirm_snapshots if confirm_snapshots is None else confirm_snapshots,
                         rearm_margin_percent=self.settings.rearm_margin_percent)
        chosen = await self.choose_printing(card, finish)
        target = (caller.platform, caller.user_id)
        return await self._rules.create(await self.user(caller), chosen.key, parse_condition(condition), source, spec,
                                        target, self.settings.max_rules_per_user, guessed=chosen.guessed)

    async def rules(self, caller: Caller) -> list[Any]:
        return await self._rules.list(await self.user(caller))

    async def remove_rule(self, caller: Caller, rule_id: int) -> None:
        await self._rules.remove(await self.user(caller), rule_id)

    async def pause_rule(self, caller: Caller, rule_id: int, paused: bool = True) -> None:
        await self._rules.set_paused(await self.user(caller), rule_id, paused)

    async def rule_history(self, caller: Caller, rule_id: int | None) -> list[Any]:
        """One alert's deliveries, or (no id) those of all the caller's alerts, newest first."""
        return await self._rules.history(await self.user(caller), rule_id)

    # ------------------------------------------------------------ channel feeds

    def _require_admin(self, caller: Caller) -> None:
        if caller.channel_id is None:
            raise PermissionDenied("Feeds belong to a server channel or a group chat; run this there.")
        if not caller.is_channel_admin:
            who = "members with Manage Server" if caller.platform == "discord" else "chat administrators"
            raise PermissionDenied(f"Only {who} can configure price feeds here.")

    async def add_feed(self, caller: Caller, spec: Any) -> int:
        self._require_admin(caller)
        return await self._rules.create_feed(spec, await self.user(caller))

    async def feeds(self, caller: Caller) -> list[Any]:
        if caller.channel_id is None:
            raise PermissionDenied("Feeds belong to a server channel or a group chat; run this there.")
        return await self._rules.feeds(caller.platform, [caller.channel_id])

    async def remove_feed(self, caller: Caller, feed_id: int) -> None:
        self._require_admin(caller)
        await self._rules.remove_feed(caller.platform, [caller.channel_id], feed_id)


    # ------------------------------------------------------------ privacy

    async def export(self, caller: Caller) -> bytes:
        """Everything we keep about the caller, as JSON."""
        import json

        data = await self._privacy.export(await self.user(caller))
        data["exported_at"] = self._clock().isoformat()
        return json.dumps(data, default=str, indent=2, ensure_ascii=False).encode()

    async def forget(self, caller: Caller) -> None:
        await self._privacy.forget(await self.user(caller))
