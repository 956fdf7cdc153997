"""Build the enabled price sources from settings (composition root for collection)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Awaitable, Callable
import httpx
from purgatory import AsyncCircuitBreakerFactory

from bot.config import Secrets, Settings, SourceSettings
from core.collect import CollectReport, collect_tcgplayer_like
from core.mapping import PrintingKey
from core.models import Game, utcnow
from core.sources.ebay import EbaySource, listings_unit, search_query
from core.search import CatalogIndex
from core.sources.http import SourceHttp, SourceLimits
from core.sources.pokemontcg import PokemontcgSource, units_from_cards
from core.sources.tcgcsv import TcgcsvSource
from core.sources.tcgplayer import TcgplayerSource
from storage.price_repo import SqlPriceStore


SOURCE_NAMES = ("tcgcsv", "tcgplayer", "pokemontcg", "ebay")


def limits_of(cfg: SourceSettings) -> SourceLimits:
    return SourceLimits(
        per_minute=cfg.per_minute, per_hour=cfg.per_hour, timeout_s=cfg.timeout_s, attempts=cfg.attempts,
        retry_budget_s=cfg.retry_budget_s, wait_initial_s=cfg.wait_initial_s, wait_max_s=cfg.wait_max_s,
        breaker_threshold=cfg.breaker_threshold, breaker_reset_s=cfg.breaker_reset_s,
    )


def overrides_of(cfg: SourceSettings) -> dict[int, str]:
    return {int(k): v for k, v in cfg.group_overrides.items() if str(k).isdigit()}


@dataclass
class TcgplayerLikeRunner:
    name: str
    source: TcgcsvSource | TcgplayerSource
    http: SourceHttp
    store: SqlPriceStore
    cfg: SourceSettings

    async def run(self, index: CatalogIndex, force: bool, stop: asyncio.Event | None = None) -> CollectReport:
        games = [Game(g) for g in self.cfg.games]
        return await collect_tcgplayer_like(self.source, self.store, index, games, overrides_of(self.cfg), force=force,
                                            stop=stop)

    async def breaker_state(self) -> str:
        return await self.http.breaker_state()


@dataclass
class PokemontcgRunner:
    name: str
    source: PokemontcgSource
    http: SourceHttp
    store: SqlPriceStore
    cfg: SourceSettings

    async def run(self, index: CatalogIndex, force: bool, stop: asyncio.Event | None = None) -> CollectReport:
        report = CollectReport(self.name)
        sets = self.cfg.sets or [s.code for s in index.list_sets(Game.POKEMON)]
        now = utcnow()
        for set_code in sets:
            if stop is not None and stop.is_set():
                break
            page_no = 0
            async for page in self.source.set_cards(set_code):
                page_no += 1
                for unit in units_from_cards(page, f"{set_code}:p{page_no}", now):
                    unit.force = force
                    report.counts.add(await self.store.ingest(unit))
                    report.snapshot = max(report.snapshot or unit.snapshot_ts, unit.snapshot_ts)
        return report

    async def breaker_state(self) -> str:
        return await self.http.breaker_state()


@dataclass
class EbayRunner:
    name: str
    source: EbaySource
    http: SourceHttp
    store: SqlPriceStore
    targets: Callable[[], Awaitable[list[PrintingKey]]]

    async def run(self, index: CatalogIndex, force: bool, stop: asyncio.Event | None = None) -> CollectReport:
        """One search per watched printing; asking-price points stamped with the hour."""
        report = CollectReport(self.name)
        ts = utcnow().replace(minute=0, second=0, microsecond=0)
        report.snapshot = ts
        for key in await self.targets():
            if stop is not None and stop.is_set():
                break
            card = index.get(key.card_id)
            if card is None:
                continue
            card_set = index.set_of(card)
            listings, bad = await self.source.search(search_query(card, card_set.printed_total if card_set else None))
            unit = listings_unit(key, listings, index, ts)
            unit.force = force
            counts = await self.store.ingest(unit)
            counts.invalid += bad
            report.counts.add(counts)
        return report

    async def breaker_state(self) -> str:
        return await self.http.breaker_state()


def build_runners(
    settings: Settings, secrets: Secrets, client: httpx.AsyncClient, store: SqlPriceStore,
    breakers: AsyncCircuitBreakerFactory | None = None, only: set[str] | None = None,
    targets: Callable[[], Awaitable[list[PrintingKey]]] | None = None,
) -> dict[str, Any]:
    """Enabled sources (or the ones named in `only`, enabled or not) with their HTTP policy."""
    breakers = breakers or AsyncCircuitBreakerFactory()
    cfgs = settings.sources
    wanted = only if only is not None else {n for n in SOURCE_NAMES if getattr(cfgs, n).enabled}
    runners: dict[str, Any] = {}
    for name in sorted(wanted):
        cfg = getattr(cfgs, name, None)
        if cfg is None:
            continue
        http = SourceHttp(name, client, limits_of(cfg), breakers)
        if name == "tcgcsv":
            runners[name] = TcgplayerLikeRunner(name, TcgcsvSource(http, cfg.base_url), http, store, cfg)
        elif name == "tcgplayer":
            if not (secrets.tcgplayer_public_key and secrets.tcgplayer_private_key):
                raise ValueError("tcgplayer needs TCGTRACKER_TCGPLAYER_PUBLIC_KEY and _PRIVATE_KEY in the environment")
            source = TcgplayerSource(http, secrets.tcgplayer_public_key.get_secret_value(),
                                     secrets.tcgplayer_private_key.get_secret_value(), cfg.base_url)
            runners[name] = TcgplayerLikeRunner(name, source, http, store, cfg)
        elif name == "pokemontcg":
            key = secrets.pokemontcg_api_key.get_secret_value() if secrets.pokemontcg_api_key else None
            runners[name] = PokemontcgRunner(name, PokemontcgSource(http, key, cfg.base_url), http, store, cfg)
        elif name == "ebay":
            if not (secrets.ebay_client_id and secrets.ebay_client_secret):
                raise ValueError("ebay needs TCGTRACKER_EBAY_CLIENT_ID and _CLIENT_SECRET in the environment")
            source = EbaySource(http, secrets.ebay_client_id.get_secret_value(),
                                secrets.ebay_client_secret.get_secret_value(), cfg.base_url)
            if targets is None:
                raise ValueError("ebay needs a list of watched printings")
            runners[name] = EbayRunner(name, source, http, store, targets)
    return runners
