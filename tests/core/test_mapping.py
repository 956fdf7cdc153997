"""Source product -> printing on the real catalog: special products never become the plain card."""
from __future__ import annotations

import json

import pytest

from core.mapping import finish_of, match_group, match_product, split_name, variant_of
from core.models import Finish, Game
from core.sources.tcgplayer_shapes import TcgGroup, parse_products, parse_products_and_prices_csv
from tests.conftest import shared

pytestmark = pytest.mark.shared_data


def test_name_tags_and_variants():
    assert split_name("Ceruledge (Prerelease) [Staff]") == ("Ceruledge", ["prerelease", "staff"])
    assert split_name("Alakazam - 009 (Pokemon Center Exclusive)") == ("Alakazam", ["pokemon center exclusive"])
    assert variant_of(["prerelease", "staff"], Game.POKEMON) == "prerelease+staff"
    assert variant_of(["alternate art secret"], Game.POKEMON) == ""
    assert variant_of(["parallel", "manga"], Game.ONE_PIECE) == ""
    assert split_name("Charizard ex - 199/165 (Jumbo Card)")[1] == ["jumbo"]
    assert finish_of("Reverse Holofoil") is Finish.REVERSE_HOLOFOIL and finish_of("Shiny") is None


@pytest.mark.parametrize(
    ("group_name", "abbreviation", "expected"),
    [
        ("SV: Scarlet & Violet 151", "MEW", ["sv3pt5"]),
        ("SV08: Surging Sparks", "SSP", ["sv8"]),
        ("SWSH12: Silver Tempest", "SWSH12", ["swsh12"]),
        ("SWSH09: Brilliant Stars Trainer Gallery", "SWSH09", ["swsh9tg"]),
        ("Crown Zenith: Galarian Gallery", "CRZ", ["swsh12pt5gg"]),
        ("ME: Mega Evolution Promo", "MEP", ["mep"]),
        ("Base Set", "BS", ["base1"]),
    ],
)
def test_tcgplayer_groups_map_to_catalog_sets(real_index, group_name, abbreviation, expected):
    assert match_group(TcgGroup(1, group_name, abbreviation, 3), real_index, Game.POKEMON) == expected


def test_group_override_wins(real_index):
    group = TcgGroup(99, "Something Odd", None, 3)
    assert match_group(group, real_index, Game.POKEMON, {99: "sv8"}) == ["sv8"]


def test_real_me_promo_special_products_never_map_to_the_plain_card(real_index):
    raw = shared("api_samples", "tcgcsv", "real_csv_dumps",
                 "cat3_group24451_MEMegaEvolutionPromo_ProductsAndPrices.csv").read_bytes()
    products, prices = parse_products_and_prices_csv(raw)
    by_id = {p.product_id: p for p in products.items}
    codes = match_group(TcgGroup(24451, "ME: Mega Evolution Promo", None, 3), real_index, Game.POKEMON)
    results = {pid: match_product(by_id[pid], row.sub_type, codes, real_index, Game.POKEMON)
               for pid, row in ((r.product_id, r) for r in prices.items)}
    special = [pid for pid, p in by_id.items() if any(t in p.name for t in ("Staff", "Prerelease", "Cosmos", "Pokemon Center"))]
    assert len(special) == 19  # 3 Pokémon Center, 4 staff, 8 prerelease (4 staff), 4 Cosmos Holo
    for pid in special:
        match = results[pid]
        assert match.key is None or match.key.variant != "", f"{by_id[pid].name} mapped to the plain card"
    # The catalog has mep-001, 010, 017 and 020: their specials become distinct printings.
    assert results[656800].key.variant == "staff" and results[656800].key.card_id == "mep-001"
    assert results[663194].key.variant == "prerelease+staff" and results[663194].key.card_id == "mep-017"
    assert results[664055].key.variant == "cosmos_holo" and results[664055].key.card_id == "mep-020"
    assert results[656262].key.variant == "pokemon_center_exclusive"
    assert results[654594].key.variant == "" and results[654594].key.finish is Finish.NORMAL
    assert "no card 002 in mep" in results[654596].reason  # not in this catalog snapshot: reported, not guessed


def test_real_one_piece_parallel_and_manga_map_to_parallel_cards(real_index):
    fixtures = json.loads(shared("api_samples", "tcgcsv", "onepiece_cat68_group23462_products_prices_fixtures.json")
                          .read_text())["fixtures"]
    codes = match_group(TcgGroup(23462, "Two Legends", "OP08", 68), real_index, Game.ONE_PIECE)
    assert codes == ["OP08"]

    def key_of(name):
        product = parse_products([fixtures[name]]).items[0]
        return match_product(product, "Foil", codes, real_index, Game.ONE_PIECE).key

    assert key_of("base_leader").card_id == "OP08-001"
    assert key_of("parallel_leader").card_id == "OP08-001_p1"  # _p2 was released in EB-02, not OP08
    manga = key_of("manga")
    assert manga.card_id.startswith("OP08-118_p")
    sp = key_of("sp_character")
    assert sp.card_id.startswith("OP02-013_p") and real_index.get(sp.card_id).rarity == "SP"
    assert "OP08" in real_index.get(sp.card_id).packs


def test_name_disagreement_is_unmatched_not_guessed(real_index):
    product = parse_products([{"productId": 1, "groupId": 2, "name": "Totally Different - 199/165", "extendedData": [
        {"name": "Number", "value": "199/165"}]}]).items[0]
    match = match_product(product, "Holofoil", ["sv3pt5"], real_index, Game.POKEMON)
    assert match.key is None and "Charizard ex" in match.reason
