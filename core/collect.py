"""Collection use case: pull a snapshot from a source, map every product, store it unit by unit."""
from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Awaitable, Callable, Protocol

from core.ingest import IngestCounts, IngestUnit, Observation
from core.mapping import Match, match_group, match_product
from core.models import Game
from core.prices import Quote
from core.search import CatalogIndex
from core.identity.text import fold
from core.sources.http import CircuitOpen, SourceError
from core.sources.tcgplayer_shapes import Parsed, TcgGroup, TcgProduct, parse_products_and_prices_csv

log = logging.getLogger(__name__)
GAME_BY_CATEGORY = {3: Game.POKEMON, 68: Game.ONE_PIECE}


class PriceStore(Protocol):
    async def ingest(self, unit: IngestUnit) -> IngestCounts: ...


class TcgplayerLike(Protocol):
    """tcgcsv and the TCGplayer API: groups, then products and prices per group."""

    name: str
    currency: str

    async def snapshot_time(self) -> datetime: ...

    async def groups(self, game: Game) -> list[TcgGroup]: ...

    async def group_data(self, game: Game, group: TcgGroup) -> tuple[Parsed, Parsed]: ...


@dataclass
class CollectReport:
    source: str
    counts: IngestCounts = field(default_factory=IngestCounts)
    errors: list[str] = field(default_factory=list)
    snapshot: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        return {"source": self.source, "snapshot": self.snapshot.isoformat() if self.snapshot else None,
                **self.counts.as_dict(), "errors": self.errors}


def build_unit(
    source: str, currency: str, game: Game, group: TcgGroup, set_codes: list[str], products: Parsed,
    prices: Parsed, ts: datetime, index: CatalogIndex,
) -> IngestUnit:
    """Pure: a group's products and prices -> observations with the mapper's verdict on each."""
    by_id: dict[int, TcgProduct] = {p.product_id: p for p in products.items}
    observations: list[Observation] = []
    priced: set[int] = set()
    for row in prices.items:
        product = by_id.get(row.product_id)
        priced.add(row.product_id)
        if product is None:
            match, name = Match.unmatched("price for a product the group does not list"), ""
        else:
            match, name = match_product(product, row.sub_type, set_codes, index, game), product.name
        quote = Quote(source, ts, currency, market=row.market, low=row.low, mid=row.mid, high=row.high,
                      direct_low=row.direct_low)
        observations.append(Observation(str(row.product_id), row.sub_type, name, str(group.group_id), match, quote))
    for product in products.items:
        if product.product_id not in priced:  # listed without a price: still recorded, with its mapping
            match = match_product(product, "Normal", set_codes, index, game)
            observations.append(Observation(str(product.product_id), "", product.name, str(group.group_id), match, None))
    return IngestUnit(source, f"{game.value}:group:{group.group_id}", ts, observations)


async def collect_tcgplayer_like(
    source: TcgplayerLike, store: PriceStore, index: CatalogIndex, games: list[Game],
    group_overrides: dict[int, str] | None = None, only_groups: set[int] | None = None, force: bool = False,
    stop: asyncio.Event | None = None,
) -> CollectReport:
    """One snapshot: every group of every game is its own transaction, so a failure (or a stop) loses
    one group at most; the ledger lets the next run pick up where this one stopped."""
    report = CollectReport(source.name)
    ts = await source.snapshot_time()
    report.snapshot = ts
    for game in games:
        for group in await source.groups(game):
            if stop is not None and stop.is_set():
                report.errors.append("stopped before the snapshot was complete; the next run resumes it")
                return report
            if only_groups and group.group_id not in only_groups:
                continue
            set_codes = match_group(group, index, game, group_overrides)
            try:
                products, prices = await source.group_data(game, group)
            except CircuitOpen:
                raise
            except SourceError as err:  # one broken group must not cost the rest of the snapshot
                report.errors.append(f"group {group.group_id} ({group.name}): {err}")
                continue
            unit = build_unit(source.name, source.currency, game, group, set_codes, products, prices, ts, index)
            unit.force = force
            counts = await store.ingest(unit)
            counts.invalid += products.bad + prices.bad
            if products.bad + prices.bad:
                counts.reasons["invalid: unreadable record"] += products.bad + prices.bad
            report.counts.add(counts)
    return report


# ---------------------------------------------------------------- downloaded CSV dumps

def group_from_filename(name: str, category_id: int | None, group_id: int) -> TcgGroup:
    """tcgcsv CSV dumps carry no group name; their file names do ('MEMegaEvolutionPromoProductsAndPrices.csv')."""
    stem = re.sub(r"(?i)productsandprices$", "", name.rsplit(".", 1)[0])
    stem = re.sub(r"(?i)^cat\d+_group\d+_", "", stem).strip("_- ")
    return TcgGroup(group_id, stem, None, category_id)


def match_squashed_group(group: TcgGroup, index: CatalogIndex, game: Game) -> list[str]:
    """'MEMegaEvolutionPromo' -> the set whose name, without spaces, ends it (longest wins)."""
    squashed = re.sub(r"[^a-z0-9]", "", fold(group.name))
    best = sorted(
        (s for s in index.list_sets(game) if (n := re.sub(r"[^a-z0-9]", "", fold(s.name))) and squashed.endswith(n)),
        key=lambda s: -len(s.name),
    )
    return [best[0].code] if best else []


def csv_dump_unit(
    source: str, file_name: str, data: bytes, ts: datetime, index: CatalogIndex,
    group_overrides: dict[int, str] | None = None,
) -> IngestUnit:
    products, prices = parse_products_and_prices_csv(data)
    if not products.items:
        raise ValueError(f"{file_name}: no products in the file")
    first = products.items[0]
    game = GAME_BY_CATEGORY.get(first.category_id or 0)
    if game is None:
        raise ValueError(f"{file_name}: category {first.category_id} is not Pokémon (3) or One Piece (68)")
    group = group_from_filename(file_name, first.category_id, first.group_id)
    set_codes = match_group(group, index, game, group_overrides) if group_overrides and group.group_id in group_overrides \
        else match_squashed_group(group, index, game)
    unit = build_unit(source, "USD", game, group, set_codes, products, prices, ts, index)
    for _ in range(products.bad):
        unit.observations.append(Observation("?", "", "", str(group.group_id), Match.unmatched("unreadable row"), None))
    return unit


# ---------------------------------------------------------------- the use case with health and locking

class SourceRunner(Protocol):
    name: str

    async def run(self, index: CatalogIndex, force: bool, stop: asyncio.Event | None = None) -> CollectReport: ...

    async def breaker_state(self) -> str: ...


class HealthRecorder(Protocol):
    async def record_run(self, source: str, ok: bool, error: str | None, circuit_state: str,
                         snapshot: datetime | None = None) -> None: ...


class CollectService:
    """Runs a source once: never twice at a time in this process (other processes: the ingest ledger)."""

    def __init__(self, index: Callable[[], Awaitable[CatalogIndex]], health: HealthRecorder,
                 runners: dict[str, SourceRunner]) -> None:
        self._index = index
        self._health = health
        self.runners = runners
        self._locks = {name: asyncio.Lock() for name in runners}
        self.stopping = asyncio.Event()  # set on shutdown: runs end after their current unit

    async def wait_idle(self, timeout: float) -> bool:
        """After `stopping` is set: wait for running collections to finish their current unit."""
        async def idle() -> None:
            for lock in self._locks.values():
                async with lock:
                    pass

        try:
            await asyncio.wait_for(idle(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    async def collect(self, name: str, *, force: bool = False) -> CollectReport:
        if name not in self.runners:
            raise ValueError(f"unknown or disabled source {name!r}; known: {', '.join(sorted(self.runners)) or 'none'}")
        runner = self.runners[name]
        lock = self._locks[name]
        if lock.locked():
            report = CollectReport(name)
            report.errors.append("a run of this source is already in progress")
            return report
        async with lock:
            return await self._run(runner, force)

    async def _run(self, runner: SourceRunner, force: bool) -> CollectReport:
        index = await self._index()
        try:
            report = await runner.run(index, force, self.stopping)
        except SourceError as err:
            log.warning("collection from %s failed: %s", runner.name, err)
            await self._health.record_run(runner.name, False, str(err), await runner.breaker_state())
            report = CollectReport(runner.name)
            report.errors.append(str(err))
            return report
        await self._health.record_run(runner.name, True, None, await runner.breaker_state(), report.snapshot)
        return report
