"""Pure identity parsing: printed numbers, One Piece ids, folding, query hygiene."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.identity import onepiece
from core.identity.pokemon import CardNumber, number_key, parse_number
from core.identity.query import parse_query, take_numbers
from core.identity.text import InputError, clean_query, fold
from core.models import Finish, display_number, variant_label


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("199/165", CardNumber("", 199, 165)),
        ("TG05/TG30", CardNumber("TG", 5, 30)),
        ("GG44/GG70", CardNumber("GG", 44, 70)),
        ("SV107/SV122", CardNumber("SV", 107, 122)),
        ("SWSH050", CardNumber("SWSH", 50)),
        ("SVP 085", CardNumber("SVP", 85)),
        ("sm01", CardNumber("SM", 1)),
        ("004/102", CardNumber("", 4, 102)),
    ],
)
def test_printed_numbers_parse_with_prefix_and_total(token, expected):
    assert parse_number(token) == expected


@pytest.mark.parametrize("token", ["charizard", "151", "", "1/2/3", "x" * 40, "sv3pt5"])
def test_words_and_bare_numbers_are_not_printed_numbers(token):
    assert parse_number(token) is None


def test_number_keys_ignore_leading_zeros_and_case():
    assert number_key("SWSH050") == number_key("swsh50") == "SWSH50"
    assert number_key("001") == number_key("1")
    assert CardNumber("SVP", 85).promo_set == "svp"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("OP05-119", "OP05-119"),
        ("op05-119_p1", "OP05-119_p1"),
        ("OP-05-119", "OP05-119"),
        ("ST01-001", "ST01-001"),
        ("EB01-012", "EB01-012"),
        ("PRB01-001", "PRB01-001"),
        ("P-001", "P-001"),
        ("luffy OP05-119_r1 psa 10", "OP05-119_r1"),
        # the print as people type it, and as our replies write it
        ("OP05-119 p1", "OP05-119_p1"),
        ("op05-119P2", "OP05-119_p2"),
        ("OP05-119-p1", "OP05-119_p1"),
        ("OP05-119 parallel 2", "OP05-119_p2"),
        ("Monkey.D.Luffy OP05-119 (reprint 1)", "OP05-119_r1"),
        # not a print suffix
        ("OP05-119 PSA 10", "OP05-119"),
        ("OP05-119 p10x", "OP05-119"),
        ("OP05-119 parallel", "OP05-119"),
    ],
)
def test_one_piece_ids(text, canonical):
    assert onepiece.parse_id(text).canonical_id == canonical


@pytest.mark.parametrize("variant, label", [
    ("p1", "parallel 1"), ("p2", "parallel 2"), ("r1", "reprint 1"), ("p10", "parallel 10"),
    (None, None), ("", None), ("A", None), ("A1", None), ("p", None), ("px", None),  # Pokémon's cel25c-15_A1 is no parallel
])
def test_one_piece_print_variants_read_as_words(variant, label):
    assert variant_label(variant) == label


def test_a_base_print_shows_its_bare_number_and_a_parallel_says_which():
    assert display_number("OP05-119", None) == "OP05-119"
    assert display_number("OP05-119", "p2") == "OP05-119 (parallel 2)"
    assert display_number("15", "A1") == "15"


def test_one_piece_set_codes_accept_the_seed_spelling():
    assert onepiece.find_set_codes("luffy sec OP-12 and st22") == ["OP12", "ST22"]
    assert onepiece.find_set_codes("OP05-119") == []


def test_fold_strips_accents_punctuation_and_entities():
    assert fold("Monkey.D.Luffy") == "monkey d luffy"
    assert fold("Flabébé") == "flabebe"
    assert fold("Ace &amp; Newgate") == "ace and newgate"


def test_query_words_become_hints():
    parts = parse_query("Umbreon VMAX alt art reverse holo sir")
    assert parts.parallel and parts.finish is Finish.REVERSE_HOLOFOIL
    assert parts.rarities == {"Special Illustration Rare"}
    assert parts.tokens == ("umbreon", "vmax")


def test_numbers_are_taken_from_tokens():
    number, bare, rest = take_numbers(list(parse_query("charizard ex 199/165").tokens))
    assert number == CardNumber("", 199, 165) and rest == ["charizard", "ex"] and bare == []
    number, _, _ = take_numbers(list(parse_query("svp 085").tokens))
    assert number == CardNumber("SVP", 85)


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x07", "🔥🔥", "x" * 5000, None, 42])
def test_unusable_queries_get_a_friendly_message(bad):
    with pytest.raises(InputError) as err:
        clean_query(bad)
    assert "Traceback" not in str(err.value) and len(str(err.value)) < 120


def test_control_characters_and_emoji_are_dropped_not_fatal():
    assert clean_query("char\u200bizard\x07 🔥 ex") == "char izard ex"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_parser_never_raises(text):
    parse_query(text)
    for token in text.split():
        parse_number(token)
    onepiece.find_ids(text)
