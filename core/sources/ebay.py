"""eBay Browse API: active listings for watched printings -> robust asking-price stats.

Asking prices are not sales: titles are parsed, lots/sealed/proxies/other languages dropped, graded and
raw kept apart, outliers trimmed, and a minimum sample required before a number is stored."""
from __future__ import annotations

import base64
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.identity.listings import identify, parse_title
from core.ingest import IngestUnit, Observation
from core.mapping import Match, PrintingKey
from core.models import Card, Finish, Game
from core.prices import Quote, condition_code, condition_label, to_decimal
from core.pricing import asking_price_stats
from core.sources.auth import ClientCredentialsToken
from core.sources.http import AuthExpired, SourceHttp

BASE_URL = "https://api.ebay.com"
SCOPE = "https://api.ebay.com/oauth/api_scope"
CCG_SINGLES_CATEGORY = "183454"  # Toys & Hobbies > Collectible Card Games > CCG Individual Cards


@dataclass(frozen=True, slots=True)
class Listing:
    item_id: str
    title: str
    price: Decimal
    currency: str
    url: str | None
    condition: str | None


def parse_item_summaries(payload: Any) -> tuple[list[Listing], int]:
    """Browse `item_summary/search` -> listings with a price; returns (listings, unusable records)."""
    items = payload.get("itemSummaries") if isinstance(payload, dict) else None
    listings, bad = [], 0
    for raw in items or []:
        price = raw.get("price") if isinstance(raw, dict) else None
        value = to_decimal(price.get("value")) if isinstance(price, dict) else None
        if value is None or not raw.get("title") or not price.get("currency"):
            bad += 1
            continue
        listings.append(Listing(str(raw.get("itemId", "")), str(raw["title"]), value, str(price["currency"]),
                                raw.get("itemWebUrl"), raw.get("condition")))
    return listings, bad


def search_query(card: Card, printed_total: int | None) -> str:
    if card.game is Game.ONE_PIECE:
        return f"{card.number} {card.name}"
    number = f"{card.number}/{printed_total}" if printed_total and card.number.isdigit() else card.number
    return f"{card.name} {number}"


def listings_unit(key: PrintingKey, listings: list[Listing], index: Any, ts: datetime) -> IngestUnit:
    """Keep the listings whose title pins down exactly this card (and a compatible finish), per grade."""
    groups: dict[tuple[int, str], list[Decimal]] = defaultdict(list)
    for listing in listings:
        parsed = identify(parse_title(listing.title), index)
        if not parsed.usable or parsed.card_id != key.card_id:
            continue
        if parsed.finish not in (None, key.finish) and not (parsed.finish is Finish.HOLOFOIL and key.finish is not Finish.REVERSE_HOLOFOIL):
            continue
        code = condition_code(grader=parsed.grader, grade=parsed.grade) if parsed.grader else condition_code()
        groups[(code, listing.currency)].append(listing.price)
    observations = []
    for (code, currency), prices in sorted(groups.items()):
        stats = asking_price_stats(prices)
        label = condition_label(code)
        match = Match(key, 1.0, "ebay-title")
        quote = None if stats is None else Quote("ebay", ts, currency, code, market=stats.median, low=stats.low,
                                                 high=stats.high, sample_size=stats.sample_size)
        observations.append(Observation(f"{key.card_id}:{key.finish.value}", f"{label} {currency}", "", "search",
                                         match, quote))
    return IngestUnit("ebay", f"{key.card_id}:{key.finish.value}:{key.variant}"[:64], ts, observations)


class EbaySource:
    name = "ebay"

    def __init__(self, http: SourceHttp, client_id: str, client_secret: str, base_url: str = BASE_URL,
                 marketplace: str = "EBAY_US") -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._marketplace = marketplace
        self.token = ClientCredentialsToken(self._fetch_token, refresh_margin_s=600)

    async def _fetch_token(self) -> tuple[str, float]:
        response = await self._http.request(
            "POST", f"{self._base}/identity/v1/oauth2/token",
            headers={"Authorization": f"Basic {self._basic}", "Content-Type": "application/x-www-form-urlencoded"},
            data={"grant_type": "client_credentials", "scope": SCOPE},
        )
        body = response.json()
        return str(body["access_token"]), float(body.get("expires_in", 7200))

    async def search(self, query: str, limit: int = 100) -> tuple[list[Listing], int]:
        params = {"q": query, "category_ids": CCG_SINGLES_CATEGORY, "limit": limit,
                  "filter": "buyingOptions:{FIXED_PRICE}"}
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {await self.token.get()}",
                       "X-EBAY-C-MARKETPLACE-ID": self._marketplace}
            try:
                body = await self._http.get_json(f"{self._base}/buy/browse/v1/item_summary/search",
                                                 params=params, headers=headers)
                return parse_item_summaries(body)
            except AuthExpired:
                if attempt == 2:
                    raise
                self.token.invalidate()
        raise AssertionError("unreachable")
