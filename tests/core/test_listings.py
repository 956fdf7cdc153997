"""The listing-title parser on real marketplace titles (../shared/data/titles) and hostile input."""
from __future__ import annotations

import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.identity.listings import identify, parse_title
from tests.conftest import shared


def _titles(*path):
    with shared("titles", *path).open(encoding="utf-8") as handle:
        return [row.get("title_html_unescaped") or row["title"] for row in csv.DictReader(handle)]


# Facts stated in real titles: (title start, number, total, language, grader, grade)
STATED = [
    ("2024 POKEMON JPN TERASTAL FEST EX ART RARE #205/187", "205", "187", "ja", "CGC", 10.0),
    ("2024 POKEMON JPN SV8A-TERASTAL FEST EX SPECIAL ART RARE #200 LEAFEON EX PSA 8", "200", None, "ja", "PSA", 8.0),
    ("Latios 203/191 Sv08: Surging Sparks Holo", "203", "191", "en", None, None),
    ("PSA 10 Hydreigon ex 240/191", "240", "191", "en", "PSA", 10.0),
    ("2024 POKEMON SSP EN-SURGING SPARKS ILLUSTRATION RARE #203 LATIOS PSA 9", "203", None, "en", "PSA", 9.0),
    ("Bulbasaur 166/165 Sv: Scarlet & Violet 151 Holo PSA 9", "166", "165", "en", "PSA", 9.0),
    ("Umbreon VMAX 215/203 Alt Art Evolving Skies (TAG 8 NM)", "215", "203", "en", "TAG", 8.0),
    ("Darkrai V-STAR GG50/GG70", "GG50", "GG70", "en", "TAG", 10.0),
    ("Muk & Alolan Muk GX TAG grading 9 61/214", "61", "214", "en", "TAG", 9.0),
    ("Pokemon Japanese 151 Charmander 168/165 Art Rare (TAG 10 PRISTINE)", "168", "165", "ja", "TAG", 10.0),
    # no language word: the Japanese-only set names say it
    ("Leafeon ex SAR Terastal Festival 200/187", "200", "187", "ja", "TAG", 10.0),
    ("VMAX Climax Character Rare 170/184 Kingdra", "170", "184", "ja", "TAG", 10.0),
    ("2023 Scarlet Ex #082/078", "082", "078", "ja", "TAG", 10.0),
]


@pytest.mark.shared_data
@pytest.mark.parametrize(("start", "number", "total", "language", "grader", "grade"), STATED)
def test_stated_number_language_and_grade_are_extracted(start, number, total, language, grader, grade):
    titles = _titles("kortiz001_pokemon-ebay-tracker", "ebay_saved_items.csv") + _titles(
        "Veeeetzzzz_tag-sales-scraper", "best_offers_accepted_titles.csv")
    title = next(t for t in titles if t.startswith(start))
    parsed = parse_title(title)
    assert (parsed.number, parsed.total, parsed.language, parsed.grader, parsed.grade) == (number, total, language, grader, grade)


@pytest.mark.shared_data
def test_real_lots_sealed_and_other_games_are_rejected():
    pokemon = _titles("MAW92_products", "ebay_seller_listings_pokemon.csv")
    sealed = [parse_title(t) for t in pokemon if "Booster Pack" in t]
    assert sealed and all(p.kind == "sealed" and not p.usable for p in sealed)
    everything = _titles("MAW92_products", "ebay_seller_listings_all_ccg.csv")
    yugioh = [parse_title(t) for t in everything if t.lower().startswith("yugioh")]
    assert len(yugioh) > 100 and all(not p.usable and p.kind == "other" for p in yugioh)


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Pokemon card lot 50 cards", "lot"),
        ("Pokemon Bulk Lot 100+ Commons Uncommons", "lot"),
        ("Custom Charizard proxy card", "other"),
        ("Pokemon Cards - Choose Your Card! Surging Sparks singles", "other"),
        ("Surging Sparks Booster Box Factory Sealed", "sealed"),
        ("Pokemon Elite Trainer Box Prismatic Evolutions ETB", "sealed"),
        ("Ultra Pro Pokemon Card Sleeves 65 count", "accessory"),
        ("Charizard Gold Metal Card 4/102", "other"),
    ],
)
def test_non_singles_are_never_used(title, kind):
    parsed = parse_title(title)
    assert parsed.kind == kind and not parsed.usable and parsed.reason


def test_a_slab_without_a_readable_grade_is_not_raw():
    parsed = parse_title("TAG Magikarp Holo 006/032 CLK Classic Collection GEM MINT")
    assert not parsed.usable and parsed.grader is None


@pytest.mark.parametrize(("title", "language"), [
    ("Charizard VMAX SSR 308/190 Shiny Star V PSA 10", "ja"),
    ("Umbreon ex SAR 217/187 Terastal Fest", "ja"),
    ("Pikachu ex SAR 132/106 Super Electric Breaker", "ja"),
    ("Koraidon ex 247/198 Scarlet & Violet ex SIR", "en"),  # the English base set, not Japan's "Scarlet ex"
    ("Charizard ex 223/197 Obsidian Flames", "en"),
    ("Pikachu ex 238/191 Surging Sparks PSA 10", "en"),
])
def test_a_japanese_only_set_name_makes_a_japanese_listing(title, language):
    assert parse_title(title).language == language


def test_identify_pins_the_card_or_says_why(real_index):
    used = identify(parse_title("PSA 10 Hydreigon ex 240/191 Surging Sparks SIR"), real_index)
    assert used.usable and used.card_id == "sv8-240"
    japanese = identify(parse_title("2024 POKEMON JPN SV8A #205/187 VAPOREON EX PSA 10"), real_index)
    assert not japanese.usable and "English only" in japanese.reason


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_parser_never_raises(text):
    parsed = parse_title(text)
    assert parsed.kind in {"single", "lot", "sealed", "accessory", "other"}
