"""Finishes as collectors type them: one table for options and for words after the card."""
from __future__ import annotations

import pytest

from core.models import Finish, parse_finish, take_finish


@pytest.mark.parametrize(("typed", "finish"), [
    ("reverse holo", Finish.REVERSE_HOLOFOIL), ("Reverse-Holofoil", Finish.REVERSE_HOLOFOIL),
    ("reverse_holofoil", Finish.REVERSE_HOLOFOIL), ("holo", Finish.HOLOFOIL), ("non-holo", Finish.NORMAL),
    ("1st edition", Finish.FIRST_EDITION), ("First Edition Holo", Finish.FIRST_EDITION_HOLOFOIL),
    ("unlimited holofoil", Finish.UNLIMITED_HOLOFOIL), ("foil", Finish.FOIL), ("normal", Finish.NORMAL),
])
def test_typed_finishes(typed, finish):
    assert parse_finish(typed) is finish


def test_an_unknown_finish_is_refused():
    with pytest.raises(ValueError):
        parse_finish("shiny")


@pytest.mark.parametrize(("query", "rest", "finish"), [
    ("charmander 151 reverse holo", "charmander 151", Finish.REVERSE_HOLOFOIL),
    ("charizard base 1st edition holo", "charizard base", Finish.FIRST_EDITION_HOLOFOIL),  # the longest phrase
    ("sv3pt5-199 holo", "sv3pt5-199", Finish.HOLOFOIL),  # the card text is kept as typed
    ("OP05-119 foil", "OP05-119", Finish.FOIL),
    ("pikachu non-holo ", "pikachu", Finish.NORMAL),
    ("holo", "holo", None),  # nothing before it: not a finish of some card
    ("pikachu holon", "pikachu holon", None),  # whole words only
    ("reverse holo charmander", "reverse holo charmander", None),  # only at the end
])
def test_a_finish_after_the_card(query, rest, finish):
    assert take_finish(query) == (rest, finish)
