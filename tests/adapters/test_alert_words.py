"""Alerts typed the way people say them (and the way our replies describe them) become the same rules."""
from __future__ import annotations

import pytest

from adapters.alert_words import read_alert_words
from adapters.commands import COMMANDS


@pytest.mark.parametrize(("text", "card", "args"), [
    ("charizard ex 151 down 15% in 7 days", "charizard ex 151", {"kind": "pct_move", "value": "-15", "window": "7"}),
    ("sv8 238 drops 15 % within 14 days", "sv8 238", {"kind": "pct_move", "value": "-15", "window": "14"}),
    ("sv8 238 Drop 12.5% 3d", "sv8 238", {"kind": "pct_move", "value": "-12.5", "window": "3"}),
    ("sv8 238 up 20%", "sv8 238", {"kind": "pct_move", "value": "20"}),
    ("sv8 238 rises by 30% over 30 days", "sv8 238", {"kind": "pct_move", "value": "30", "window": "30"}),
    ("charizard ex 151 sir new low", "charizard ex 151 sir", {"kind": "n_day_low"}),
    ("sv8 238 a new 30-day low", "sv8 238", {"kind": "n_day_low", "value": "30"}),
    ("sv8 238 90 day low", "sv8 238", {"kind": "n_day_low", "value": "90"}),
    ("sv8 238 lowest in 60 days", "sv8 238", {"kind": "n_day_low", "value": "60"}),
    ("sv8-238 new low 30 days", "sv8-238", {"kind": "n_day_low", "value": "30"}),  # was "No card matches"
    ("sv8 238 new low in the last 90 days", "sv8 238", {"kind": "n_day_low", "value": "90"}),
    ("sv8 238 lowest price in 14d", "sv8 238", {"kind": "n_day_low", "value": "14"}),
    ("sv8 238 under 80", "sv8 238", {"kind": "below", "value": "80"}),
    ("OP05-119 less than 1,000.50 EUR", "OP05-119", {"kind": "below", "value": "1,000.50", "currency": "EUR"}),
    ("sv8 238 over $300", "sv8 238", {"kind": "above", "value": "$300"}),
    ("sv8 238 >= 300", "sv8 238", {"kind": "above", "value": "300"}),
    ("charizard ex 151 psa 10 down 5%", "charizard ex 151 psa 10", {"kind": "pct_move", "value": "-5"}),
    ("sv8 238 drops below 80", "sv8 238", {"kind": "below", "value": "80"}),
    ("sv8 238 goes over 300 eur", "sv8 238", {"kind": "above", "value": "300", "currency": "eur"}),
    ("sv8 238 below 80", "sv8 238", {"kind": "below", "value": "80"}),  # the plain words read the same
])
def test_natural_phrases_become_rule_args(text, card, args):
    assert read_alert_words(text) == (card, args)
    assert COMMANDS["alert add"].parse(text) == {"card": card, **args}


@pytest.mark.parametrize("text", [
    "sv8 238 pct_move -15 7",
    "down 15%",  # no card before the phrase
    "Low Kick low",  # a name may end in "low": a new low says "new" or its days
    "sv8 238 20% up",
])
def test_other_text_is_left_to_the_command_parser(text):
    assert read_alert_words(text) is None


def test_the_canonical_words_take_a_window_too():
    assert COMMANDS["alert add"].parse("sv8 238 pct_move -15 14") == {
        "card": "sv8 238", "kind": "pct_move", "value": "-15", "window": "14"}
    assert COMMANDS["alert add"].parse("sv8 238 n_day_low 30") == {"card": "sv8 238", "kind": "n_day_low", "value": "30"}
    assert COMMANDS["alert add"].parse("sv8 238 below 80 eur") == {
        "card": "sv8 238", "kind": "below", "value": "80", "currency": "eur"}


@pytest.mark.parametrize(("text", "card", "args"), [
    ("pikachu 238 below 5 psa 10", "pikachu 238 psa 10", {"kind": "below", "value": "5"}),
    ("sv8 238 down 15% in 7 days CGC 9.5", "sv8 238 CGC 9.5", {"kind": "pct_move", "value": "-15", "window": "7"}),
    ("charmander 151 under 2 reverse holo", "charmander 151 reverse holo", {"kind": "below", "value": "2"}),
    ("charmander 151 under 2 EUR near mint reverse holo", "charmander 151 near mint reverse holo",
     {"kind": "below", "value": "2", "currency": "EUR"}),
    ("OP05-119 p1 new low psa 10", "OP05-119 p1 psa 10", {"kind": "n_day_low"}),
])
def test_a_grade_or_finish_may_follow_the_phrase(text, card, args):
    """People add the grade last ('below 5 psa 10'): it belongs to the card, as when typed before the phrase."""
    assert read_alert_words(text) == (card, args)
    assert COMMANDS["alert add"].parse(text) == {"card": card, **args}
