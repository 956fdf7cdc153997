"""Sources against recorded shapes: token handling (TCGplayer, eBay), pokemontcg.io and eBay parsing."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest

from core.mapping import PrintingKey
from core.models import Finish, Game
from core.sources.auth import ClientCredentialsToken
from core.sources.ebay import EbaySource, Listing, listings_unit, parse_item_summaries
from core.sources.http import SourceHttp
from core.sources.pokemontcg import cardmarket_observations, units_from_cards
from core.sources.tcgplayer import TcgplayerSource
from tests.conftest import shared
from tests.core.test_http import FAST

NOW = datetime(2026, 11, 27, 12, tzinfo=timezone.utc)


class FakeTcgplayer:
    """A TCGplayer API that issues tokens and expires the first one early."""

    def __init__(self):
        self.tokens_issued = 0
        self.valid = set()
        self.calls = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path))
        if request.url.path == "/token":
            form = parse_qs(request.content.decode())
            assert form["grant_type"] == ["client_credentials"] and form["client_id"] == ["pub"]
            self.tokens_issued += 1
            token = f"t{self.tokens_issued}"
            self.valid.add(token)
            return httpx.Response(200, json={"access_token": token, "token_type": "bearer", "expires_in": 1209599})
        token = request.headers.get("Authorization", "").split()[-1]
        if token not in self.valid:
            return httpx.Response(401, json={"errors": ["expired"]})
        return httpx.Response(200, json={"success": True, "errors": [], "totalItems": 1,
                                         "results": [{"groupId": 1, "name": "SV08: Surging Sparks", "abbreviation": "SSP"}]})


async def test_tcgplayer_refreshes_an_expired_token_once_and_succeeds():
    api = FakeTcgplayer()
    http = SourceHttp("tcgplayer", httpx.AsyncClient(transport=httpx.MockTransport(api)), FAST)
    source = TcgplayerSource(http, "pub", "priv", "https://api.test")
    assert [g.name for g in await source.groups(Game.POKEMON)] == ["SV08: Surging Sparks"]
    assert api.tokens_issued == 1
    api.valid.clear()  # the server forgets the token: 401 once, then a fresh token works
    assert len(await source.groups(Game.POKEMON)) == 1
    assert api.tokens_issued == 2
    assert [c for c in api.calls if c[1] == "/token"] == [("POST", "/token"), ("POST", "/token")]


async def test_token_is_cached_until_shortly_before_expiry():
    now = [0.0]
    issued = []

    async def fetch():
        issued.append(now[0])
        return f"tok{len(issued)}", 7200

    token = ClientCredentialsToken(fetch, refresh_margin_s=300, clock=lambda: now[0])
    assert await token.get() == "tok1"
    now[0] = 6800
    assert await token.get() == "tok1"
    now[0] = 6901  # inside the margin: refresh early
    assert await token.get() == "tok2" and len(issued) == 2


async def test_ebay_token_uses_basic_auth_and_refreshes_after_401():
    seen = {"tokens": 0, "searches": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            assert request.headers["Authorization"].startswith("Basic ")
            seen["tokens"] += 1
            return httpx.Response(200, json={"access_token": f"e{seen['tokens']}", "expires_in": 7200})
        seen["searches"] += 1
        if request.headers["Authorization"] == "Bearer e1":
            return httpx.Response(401, json={"errors": [{"message": "Invalid access token"}]})
        assert request.url.params["category_ids"] == "183454"
        return httpx.Response(200, json={"total": 1, "itemSummaries": [
            {"itemId": "v1|1|0", "title": "Pikachu ex 238/191 Surging Sparks", "price": {"value": "280.00", "currency": "USD"}}]})

    http = SourceHttp("ebay", httpx.AsyncClient(transport=httpx.MockTransport(handler)), FAST)
    listings, bad = await EbaySource(http, "id", "secret", "https://ebay.test").search("pikachu ex 238/191")
    assert [l.price for l in listings] == [Decimal("280.00")] and bad == 0
    assert seen == {"tokens": 2, "searches": 2}


@pytest.mark.shared_data
def test_real_ebay_browse_responses_parse():
    for name in ("browse_item_summary_search_iphone_sample_response_100.json",
                 "browse_item_summary_search_iphone_sample_response_100_best_match.json"):
        payload = json.loads(shared("api_samples", "ebay", name).read_text())
        listings, bad = parse_item_summaries(payload)
        assert len(listings) + bad == len(payload["itemSummaries"]) == 100
        assert all(l.price > 0 and len(l.currency) == 3 and l.title for l in listings)


def test_ebay_listings_become_separate_raw_and_graded_points(sample_index):
    key = PrintingKey("sv8-238", Finish.HOLOFOIL)
    titles = [
        ("Pikachu ex 238/191 Surging Sparks SIR", "280"), ("Pikachu ex 238/191 Surging Sparks NM", "290"),
        ("Pikachu ex 238/191 SIR Surging Sparks Pokemon", "300"), ("Pikachu ex 238/191 Surging Sparks", "2900"),
        ("PSA 10 Pikachu ex 238/191 Surging Sparks", "700"), ("PSA 10 Pikachu ex 238/191 SSP", "720"),
        ("PSA 10 Pikachu ex 238/191 Surging Sparks Gem Mint", "710"),
        ("Pokemon card lot 50 cards pikachu ex 238/191", "40"), ("Custom Pikachu ex 238/191 proxy", "5"),
        ("Pikachu ex 238/191 Japanese", "150"), ("Pikachu ex 057/191 Surging Sparks", "3"),
    ]
    listings = [Listing(str(i), t, Decimal(p), "USD", None, None) for i, (t, p) in enumerate(titles)]
    unit = listings_unit(key, listings, sample_index, NOW)
    quotes = {o.quote.condition: o.quote for o in unit.observations}
    raw, psa10 = quotes[0], quotes[1120]
    # 2,900 is outside 1.5 IQR of (280, 290, 300, 2900): trimmed, so the median of the rest stands.
    assert (raw.market, raw.low, raw.high, raw.sample_size) == (Decimal("290.00"), Decimal("280"), Decimal("300"), 3)
    assert psa10.market == Decimal("710.00") and psa10.sample_size == 3
    assert all(o.match.key == key for o in unit.observations)


@pytest.mark.shared_data
def test_real_pokemontcg_card_gives_usd_variants_and_eur_cardmarket():
    card = json.loads(shared("api_samples", "pokemontcg_io", "recent_card_objects",
                             "sv3pt5-3_with_tcgplayer_and_cardmarket_2025-02-25.json").read_text())
    units = {u.source: u for u in units_from_cards([card], "sv3pt5", NOW)}
    usd = units["pokemontcg"].observations
    assert [(o.match.key.finish, o.quote.market, o.quote.currency) for o in usd] == [(Finish.HOLOFOIL, Decimal("1"), "USD")]
    assert units["pokemontcg"].snapshot_ts == datetime(2025, 2, 25, tzinfo=timezone.utc)
    eur = units["cardmarket"].observations
    assert [(o.match.key.finish, o.quote.market, o.quote.currency) for o in eur] == [(Finish.HOLOFOIL, Decimal("3.37"), "EUR")]


def test_cardmarket_prices_of_a_card_tcgplayer_has_not_priced_take_the_finish_its_rarity_is_printed_in():
    """A new set: Cardmarket often prices a card before TCGplayer does. Its single figure went to Normal, so an
    SIR's first price was a Normal one, and the watches and alerts following the card's first prices moved there."""
    def card(rarity):  # noqa: ANN001, ANN202
        return {"id": "sv10-200", "name": "Ethan's Ho-Oh ex", "rarity": rarity,
                "cardmarket": {"updatedAt": "2025/11/27", "prices": {"trendPrice": 40.5, "lowPrice": 35.0}}}
    finishes = {rarity: [o.match.key.finish for o in cardmarket_observations(card(rarity), NOW)]
                for rarity in ("Special Illustration Rare", "Common")}
    assert finishes == {"Special Illustration Rare": [Finish.HOLOFOIL], "Common": [Finish.NORMAL]}


@pytest.mark.shared_data
def test_real_pokemontcg_page_of_250_cards():
    page = json.loads(shared("api_samples", "pokemontcg_io", "dart_sdk_testdata", "cards.json").read_text())
    cards = page["data"] if isinstance(page, dict) else page
    units = units_from_cards(cards, "mixed", NOW)
    observations = [o for u in units if u.source == "pokemontcg" for o in u.observations]
    finishes = {o.match.key.finish for o in observations if o.match.key}
    assert {Finish.NORMAL, Finish.HOLOFOIL, Finish.REVERSE_HOLOFOIL} <= finishes
    assert all(o.quote.ts.tzinfo is not None for o in observations)
