"""pokemontcg.io: card objects carry TCGplayer USD prices per variant and Cardmarket EUR averages."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any, AsyncIterator

from core.ingest import IngestUnit, Observation
from core.mapping import Match, PrintingKey
from core.models import Finish, likely_pokemon_finish
from core.prices import Quote, day_start, to_decimal
from core.sources.http import SourceHttp

BASE_URL = "https://api.pokemontcg.io/v2"
PAGE_SIZE = 250
TCGPLAYER_SOURCE = "pokemontcg"  # TCGplayer prices as pokemontcg.io republishes them
CARDMARKET_SOURCE = "cardmarket"

VARIANT_FINISH = {
    "normal": Finish.NORMAL,
    "holofoil": Finish.HOLOFOIL,
    "reverseHolofoil": Finish.REVERSE_HOLOFOIL,
    "1stEdition": Finish.FIRST_EDITION,
    "1stEditionNormal": Finish.FIRST_EDITION,
    "1stEditionHolofoil": Finish.FIRST_EDITION_HOLOFOIL,
    "unlimited": Finish.UNLIMITED,
    "unlimitedNormal": Finish.UNLIMITED,
    "unlimitedHolofoil": Finish.UNLIMITED_HOLOFOIL,
}


def _day(raw: Any, fallback: datetime) -> datetime:
    try:
        return day_start(datetime.strptime(str(raw), "%Y/%m/%d").replace(tzinfo=timezone.utc))
    except ValueError:
        return day_start(fallback)


def tcgplayer_observations(card: dict[str, Any], now: datetime) -> list[Observation]:
    """One observation per priced variant; the card id is the catalog id, so the match is exact."""
    block = card.get("tcgplayer") or {}
    ts = _day(block.get("updatedAt"), now)
    out = []
    for variant, prices in (block.get("prices") or {}).items():
        finish = VARIANT_FINISH.get(variant)
        if not isinstance(prices, dict):
            continue
        match = (Match(PrintingKey(card["id"], finish), 1.0, "pokemontcg-id") if finish
                 else Match.unmatched(f"unknown variant {variant!r}"))
        quote = Quote(TCGPLAYER_SOURCE, ts, "USD", market=to_decimal(prices.get("market")),
                      low=to_decimal(prices.get("low")), mid=to_decimal(prices.get("mid")),
                      high=to_decimal(prices.get("high")), direct_low=to_decimal(prices.get("directLow")))
        out.append(Observation(card["id"], variant, card.get("name", ""), card["id"].rsplit("-", 1)[0], match, quote))
    return out


def cardmarket_observations(card: dict[str, Any], now: datetime) -> list[Observation]:
    """Cardmarket's trend is the market figure; reverse-holo fields price the reverse holo printing."""
    block = card.get("cardmarket") or {}
    prices = block.get("prices") or {}
    if not prices:
        return []
    ts = _day(block.get("updatedAt"), now)
    tcg_variants = set((card.get("tcgplayer") or {}).get("prices") or {})
    if tcg_variants:
        main = Finish.HOLOFOIL if "holofoil" in tcg_variants and "normal" not in tcg_variants else Finish.NORMAL
    else:  # nothing to tell (a new set): the finish its rarity is printed in, not Normal for an SIR
        main = likely_pokemon_finish(card.get("rarity"))
    rows = [("main", main, "trendPrice", "lowPrice", "averageSellPrice"),
            ("reverse", Finish.REVERSE_HOLOFOIL, "reverseHoloTrend", "reverseHoloLow", "reverseHoloSell")]
    out = []
    for label, finish, market, low, mid in rows:
        amounts = [to_decimal(prices.get(k)) for k in (market, low, mid)]
        if not any(a for a in amounts):  # Cardmarket writes 0 for "no data"
            continue
        quote = Quote(CARDMARKET_SOURCE, ts, "EUR", market=amounts[0] or None, low=amounts[1] or None,
                      mid=amounts[2] or None)
        match = Match(PrintingKey(card["id"], finish), 1.0, "pokemontcg-id")
        out.append(Observation(card["id"], label, card.get("name", ""), card["id"].rsplit("-", 1)[0], match, quote))
    return out


def units_from_cards(cards: list[dict[str, Any]], set_code: str, now: datetime) -> list[IngestUnit]:
    """Split by source and by price date: each stored point keeps the day the source priced it."""
    grouped: dict[tuple[str, datetime], list[Observation]] = defaultdict(list)
    for card in cards:
        if not isinstance(card, dict) or not card.get("id"):
            continue
        for obs in tcgplayer_observations(card, now) + cardmarket_observations(card, now):
            grouped[(obs.quote.source, obs.quote.ts)].append(obs)
    return [IngestUnit(source, f"set:{set_code}", ts, items) for (source, ts), items in sorted(grouped.items())]


class PokemontcgSource:
    name = "pokemontcg"

    def __init__(self, http: SourceHttp, api_key: str | None = None, base_url: str = BASE_URL) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"X-Api-Key": api_key} if api_key else {}

    async def set_cards(self, set_code: str) -> AsyncIterator[list[dict[str, Any]]]:
        page = 1
        while True:
            body = await self._http.get_json(
                f"{self._base}/cards",
                params={"q": f"set.id:{set_code}", "page": page, "pageSize": PAGE_SIZE},
                headers=self._headers,
            )
            data = body.get("data") if isinstance(body, dict) else None
            if not data:
                return
            yield data
            if page * PAGE_SIZE >= int(body.get("totalCount", 0)):
                return
            page += 1
