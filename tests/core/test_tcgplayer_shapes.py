"""TCGplayer-shaped payloads (tcgcsv caches, the API, CSV dumps), parsed from the real samples."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from core.sources.tcgplayer_shapes import (
    FormatError,
    parse_groups,
    parse_prices,
    parse_products,
    parse_products_and_prices_csv,
)
from tests.conftest import SAMPLE_DIR, shared

TCGCSV = ("api_samples", "tcgcsv")


@pytest.mark.shared_data
def test_real_me_promo_csv_keeps_every_row_despite_crlf_and_multiline_fields():
    raw = shared(*TCGCSV, "real_csv_dumps", "cat3_group24451_MEMegaEvolutionPromo_ProductsAndPrices.csv").read_bytes()
    assert b"\r\n" in raw
    products, prices = parse_products_and_prices_csv(raw)
    assert (len(products.items), products.bad, len(prices.items)) == (38, 0, 38)
    meganium = next(p for p in products.items if p.product_id == 654594)
    assert (meganium.name, meganium.number, meganium.rarity, meganium.group_id) == ("Meganium - 001", "001", "Promo", 24451)
    row = next(p for p in prices.items if p.product_id == 654594)
    assert (row.sub_type, row.market, row.low, row.direct_low) == ("Normal", Decimal("25.6"), Decimal("23.0"), None)


@pytest.mark.shared_data
def test_real_sealed_csv_has_products_without_card_numbers():
    raw = shared(*TCGCSV, "real_csv_dumps", "MEAscendedHeroesProductsAndPrices.csv").read_bytes()
    products, _ = parse_products_and_prices_csv(raw)
    assert len(products.items) == 15 and all(p.number is None for p in products.items)


@pytest.mark.shared_data
def test_real_one_piece_products_and_prices():
    fixtures = json.loads(shared(*TCGCSV, "onepiece_cat68_group23462_products_prices_fixtures.json").read_text())["fixtures"]
    manga = parse_products([fixtures["manga"]]).items[0]
    assert (manga.name, manga.number, manga.rarity) == ("Silvers Rayleigh (Parallel) (Manga)", "OP08-118", "SEC")
    booster = parse_products(fixtures["non_card_product"]).items[0]
    assert booster.number is None
    prices = parse_prices(fixtures["price_response"])
    assert prices.bad == 0 and {p.sub_type for p in prices.items} <= {"Normal", "Foil"}
    assert next(p for p in prices.items if p.product_id == 558022).market == Decimal("28.15")


def test_bundled_sample_follows_the_tcgcsv_layout():
    root = SAMPLE_DIR / "tcgcsv" / "tcgplayer"
    groups = parse_groups(json.loads((root / "3" / "groups").read_text()))
    assert {g.group_id for g in groups.items} >= {23237, 23651, 604}
    products = parse_products(json.loads((root / "3" / "23237" / "products").read_text()))
    assert any(p.number == "199/165" for p in products.items)


def test_bad_records_are_counted_not_fatal():
    payload = {"success": True, "results": [{"productId": "x"}, {"groupId": 1}, "junk", {"productId": 5, "groupId": 7, "name": "A"}]}
    assert (len(parse_products(payload).items), parse_products(payload).bad) == (1, 3)
    prices = parse_prices({"results": [{"productId": 1, "marketPrice": "abc", "subTypeName": "Normal"}, {}]})
    assert prices.items[0].market is None and prices.bad == 1


@pytest.mark.parametrize("payload", [None, 42, "text", {"success": False, "errors": ["nope"], "results": []}])
def test_payloads_in_no_known_shape_raise_format_error(payload):
    with pytest.raises(FormatError):
        parse_groups(payload)


def test_csv_without_product_column_is_refused():
    with pytest.raises(FormatError):
        parse_products_and_prices_csv(b"a,b\r\n1,2\r\n")
