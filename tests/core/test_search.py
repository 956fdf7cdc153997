"""Search behaviour on the bundled sample: identity first, names second, never an exception."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.models import Game
from core.search import Ambiguous, NotFound, Resolved, SearchFilters


def ids(cards):
    return [c.canonical_id for c in cards]


def test_set_and_number_resolve(sample_index):
    assert sample_index.search("sv3pt5 199").outcome == Resolved(sample_index.get("sv3pt5-199"))
    assert sample_index.search("151 199").outcome == Resolved(sample_index.get("sv3pt5-199"))


def test_canonical_id_resolves(sample_index):
    assert sample_index.search("SV8-238").outcome == Resolved(sample_index.get("sv8-238"))


def test_name_with_set_name_offers_the_set_s_cards(sample_index):
    outcome = sample_index.search("pikachu ex surging sparks").outcome
    assert isinstance(outcome, Ambiguous)
    assert ids(outcome.choices) == ["sv8-57", "sv8-238", "sv8-247"]


def test_rarity_word_narrows_choices(sample_index):
    outcome = sample_index.search("charizard ex sir").outcome
    assert outcome == Resolved(sample_index.get("sv3pt5-199"))


def test_parallel_word_prefers_parallels(sample_index):
    outcome = sample_index.search("OP05-119 alt art").outcome
    assert isinstance(outcome, Ambiguous) and ids(outcome.choices) == ["OP05-119_p1", "OP05-119_p2"]


def test_a_bare_number_picks_the_one_piece_card_with_that_collector_number(sample_index):
    outcome = sample_index.search("luffy 119").outcome  # OP05-060 is a Luffy too, numbered 060
    assert isinstance(outcome, Ambiguous) and ids(outcome.choices) == ["OP05-119", "OP05-119_p1", "OP05-119_p2"]


def test_a_pokemon_name_and_its_number_pick_the_card_and_a_number_nobody_has_changes_nothing(sample_index):
    assert sample_index.search("pikachu 238").outcome == Resolved(sample_index.get("sv8-238"))  # Pikachu ex
    plain = sample_index.search("pikachu").outcome
    assert sample_index.search("pikachu 2023").outcome == plain  # no Pikachu is numbered 2023


@pytest.mark.parametrize(("query", "wanted"), [
    ("luffy 119 p1", "OP05-119_p1"), ("luffy 119 parallel 2", "OP05-119_p2"), ("luffy parallel 2 op05 119", "OP05-119_p2"),
])
def test_a_print_said_next_to_a_name_and_number_picks_that_print(sample_index, query, wanted):
    assert sample_index.search(query).outcome == Resolved(sample_index.get(wanted))


def test_filters_restrict_game_set_and_rarity(sample_index):
    result = sample_index.search("pikachu", SearchFilters(game=Game.POKEMON, set_code="sv3pt5"))
    assert set(ids(result.ranked)) <= {"sv3pt5-25", "sv3pt5-173"}
    result = sample_index.search("pikachu", SearchFilters(rarity="promo"))
    assert set(ids(result.ranked)) == {"svp-27", "svp-88"}
    assert isinstance(sample_index.search("luffy", SearchFilters(game=Game.POKEMON)).outcome, NotFound)


def test_unknown_one_piece_id_says_so_and_suggests_the_set(sample_index):
    outcome = sample_index.search("OP05-999").outcome
    assert isinstance(outcome, NotFound) and "OP05-999" in outcome.message
    assert outcome.suggestions and all(c.set_code == "OP05" for c in outcome.suggestions)


def test_a_weak_fuzzy_match_is_offered_never_silently_chosen(sample_index):
    outcome = sample_index.search("blastoyze ex mega").outcome
    assert not isinstance(outcome, Resolved)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_search_is_total(sample_index, text):
    result = sample_index.search(text)
    assert isinstance(result.outcome, (Resolved, Ambiguous, NotFound))
    if isinstance(result.outcome, NotFound):
        assert result.outcome.message


def test_repeated_searches_are_answered_from_a_bounded_cache(monkeypatch):
    from core import search
    from core.catalog import read_onepiece, read_pokemon
    from core.search import CatalogIndex
    from tests.conftest import SAMPLE_DIR

    poke, op = read_pokemon(SAMPLE_DIR / "pokemon"), read_onepiece(SAMPLE_DIR / "onepiece")
    index = CatalogIndex([*poke.sets.values(), *op.sets.values()], [*poke.cards.values(), *op.cards.values()])
    monkeypatch.setattr(search, "RESULT_CACHE_SIZE", 3)
    first = index.search("charizard ex")
    assert index.search("charizard ex") is first  # same answer, no second fuzzy pass
    assert index.search("charizard ex", SearchFilters(game=Game.ONE_PIECE)) is not first  # filters are part of the key
    for query in ("pikachu", "luffy", "mew"):
        index.search(query)
    assert len(index._results) == 3 and index.search("charizard ex") is not first  # evicted, recomputed
    assert index.search("charizard ex").ranked == first.ranked


def test_a_nickname_finds_its_card_and_operators_can_add_theirs(sample_index):
    from core.search import CatalogIndex

    assert sample_index.search("Moonbreon").outcome == Resolved(sample_index.get("swsh7-215"))
    extra = CatalogIndex(sample_index.sets.values(), sample_index.cards,
                         {"151 zard": "sv3pt5-199", "ghost card": "nowhere-1"})  # an unknown id is ignored
    assert extra.search("151 Zard").outcome == Resolved(extra.get("sv3pt5-199"))
    assert extra.search("moonbreon").outcome == Resolved(extra.get("swsh7-215"))  # the built-in ones stay
    assert not isinstance(extra.search("ghost card").outcome, Resolved)


def test_every_namesake_is_a_choice_even_beyond_what_a_chat_can_list(tmp_path):
    from core.catalog import read_pokemon
    from core.search import CatalogIndex
    from tests.conftest import write_namesakes

    poke = read_pokemon(write_namesakes(tmp_path, "Eevee", 30))
    index = CatalogIndex(poke.sets.values(), poke.cards.values())
    outcome = index.search("eevee").outcome
    assert isinstance(outcome, Ambiguous)
    assert ids(outcome.choices) == [f"ns{i}-1" for i in range(30, 0, -1)]  # all 30, newest first
    assert index.search("eevee ns1").outcome == Resolved(index.get("ns1-1"))  # the oldest, by its set


def test_an_empty_catalog_says_so_instead_of_no_match():
    """A new deployment before `catalog import`: every lookup would say "No card matches" and send people
    hunting typos; the reply names the missing step instead."""
    from core.search import CatalogIndex
    outcome = CatalogIndex([], []).search("charizard ex 151").outcome
    assert isinstance(outcome, NotFound)
    assert "catalog is empty" in outcome.message and "tcgtracker catalog import" in outcome.message


def _rarity_index():
    from datetime import date

    from core.models import Card, CardSet
    from core.search import CatalogIndex
    sets = [CardSet(Game.POKEMON, "ab1", "Alpha Base", release_date=date(2024, 1, 1)),
            CardSet(Game.POKEMON, "old1", "Old Times", release_date=date(2001, 1, 1))]
    cards = [Card(Game.POKEMON, "ab1-10", "ab1", "10", "Mew ex", "Double Rare"),
             Card(Game.POKEMON, "ab1-90", "ab1", "90", "Mew ex", "Ultra Rare"),
             Card(Game.POKEMON, "ab1-95", "ab1", "95", "Venusaur ex", "Special Illustration Rare"),
             Card(Game.POKEMON, "ab1-96", "ab1", "96", "Blastoise ex", "Special Illustration Rare"),
             Card(Game.POKEMON, "ab1-99", "ab1", "99", "Mewtwo ex", "Rare Secret"),
             Card(Game.POKEMON, "ab1-20", "ab1", "20", "Mewtwo ex", "Double Rare"),
             Card(Game.POKEMON, "old1-5", "old1", "5", "Gold Berry", "Uncommon"),
             Card(Game.POKEMON, "old1-6", "old1", "6", "Berry", "Common")]
    return CatalogIndex(sets, cards)


def test_a_rarity_word_narrows_the_best_named_cards_and_never_swaps_the_card():
    """'mew ex alpha base sir' when the set has no Mew ex SIR: its Mew ex are offered, not its other SIRs."""
    index = _rarity_index()
    outcome = index.search("mew ex ab1 sir").outcome
    assert isinstance(outcome, Ambiguous) and {c.canonical_id for c in outcome.choices} == {"ab1-10", "ab1-90"}
    # where the best-named cards have the rarity, it picks among them; "secret" is pokemontcg.io's Rare Secret
    outcome = index.search("mewtwo ex secret").outcome
    assert isinstance(outcome, Resolved) and outcome.card.canonical_id == "ab1-99"
    # a card's whole name wins over reading a word in it as a hint ("gold" is a rarity word)
    outcome = index.search("gold berry").outcome
    assert isinstance(outcome, Resolved) and outcome.card.canonical_id == "old1-5"


def test_a_mechanic_the_closest_name_lacks_makes_it_a_choice_not_an_answer():
    from core.models import Card, CardSet
    from core.search import CatalogIndex
    index = CatalogIndex([CardSet(Game.POKEMON, "ab1", "Alpha Base")],
                         [Card(Game.POKEMON, "ab1-150", "ab1", "150", "Mewtwo", "Rare"),
                          Card(Game.POKEMON, "ab1-200", "ab1", "200", "Snorlax", "Rare")])
    outcome = index.search("mewtwo vmax").outcome  # no Mewtwo VMAX in this catalog
    assert isinstance(outcome, Ambiguous) and outcome.choices[0].canonical_id == "ab1-150"
    assert isinstance(index.search("mewtwo").outcome, Resolved)
