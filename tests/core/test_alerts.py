"""Alert rules, pure: validation with friendly messages, and the arming/cooldown/confirmation machine."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.alert_service import parse_condition, take_condition
from core.alerts import RuleError, RuleKind, RuleState, make_rule, step

NOW = datetime(2026, 11, 27, tzinfo=timezone.utc)


def state(s="armed", pending=0, last=None, cooldown=3600, confirm=1):
    return RuleState(s, pending, last, cooldown, confirm)


def test_crossing_fires_once_then_waits_for_rearm():
    fired = step(state(), holds=True, rearm=False, now=NOW)
    assert fired.fire and fired.state == "fired"
    again = step(state("fired"), holds=True, rearm=False, now=NOW)
    assert not again.fire and again.state == "fired"
    rearmed = step(state("fired"), holds=False, rearm=True, now=NOW)
    assert rearmed.state == "armed" and not rearmed.fire


def test_cooldown_swallows_a_quick_second_crossing():
    quick = step(state(last=NOW - timedelta(minutes=10)), holds=True, rearm=False, now=NOW)
    assert not quick.fire and quick.suppressed and quick.state == "fired"
    later = step(state(last=NOW - timedelta(hours=2)), holds=True, rearm=False, now=NOW)
    assert later.fire


def test_confirmation_needs_the_move_to_hold_for_several_snapshots():
    first = step(state(confirm=2), holds=True, rearm=False, now=NOW)
    assert not first.fire and first.pending_count == 1
    spike_gone = step(state(pending=1, confirm=2), holds=False, rearm=False, now=NOW)
    assert spike_gone.pending_count == 0 and not spike_gone.fire
    confirmed = step(state(pending=1, confirm=2), holds=True, rearm=False, now=NOW)
    assert confirmed.fire


def test_availability_is_one_shot():
    assert step(state(), True, False, NOW, one_shot=True).deactivate


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kind": "below", "threshold": "abc"}, "is not a price"),
    ({"kind": "below", "threshold": "-5"}, "more than zero"),
    ({"kind": "below", "threshold": "0"}, "more than zero"),
    ({"kind": "above", "threshold": "99999999"}, "beyond any card price"),
    ({"kind": "above", "threshold": "1e9"}, "1e9 is beyond any card price we track .max 2,000,000."),  # as typed
    ({"kind": "below", "threshold": "nan"}, "“nan” is not a price"),
    ({"kind": "below", "threshold": "inf"}, "“inf” is not a price"),
    ({"kind": "below", "threshold": "1.234"}, "two decimals"),
    ({"kind": "above", "threshold": "5%"}, "“5%” is a percent; .* say “up 5%” or “down 5%”"),  # a move, in threshold words
    ({"kind": "pct_move", "percent": "0"}, "must not be zero"),
    ({"kind": "pct_move", "percent": "-150"}, "between"),
    ({"kind": "pct_move", "percent": "-10", "window_days": "0"}, "between"),
    ({"kind": "pct_move"}, "Give the percent move"),
    ({"kind": "cheaper", "threshold": "1"}, "Unknown alert type"),
    ({"kind": "below", "threshold": "1", "currency": "DOGE"}, "Unknown currency"),
])
def test_bad_rules_are_refused_with_a_reason(kwargs, message):
    with pytest.raises(RuleError, match=message):
        make_rule(**kwargs)


def test_good_rules():
    rule = make_rule("below", "EUR", threshold="2.00", cooldown_hours=0)
    assert (rule.kind, rule.threshold_cents, rule.cooldown_s, rule.currency) == (RuleKind.BELOW, 200, 0, "EUR")
    assert make_rule("pct_move", percent="-15", window_days=7).percent_bp == -1500
    assert make_rule("n_day_low").window_days == 30


@pytest.mark.parametrize(("raw", "code"), [(None, 0), ("raw", 0), ("NM", 1), ("PSA 10", 1120), ("bgs 9.5", 1219)])
def test_conditions(raw, code):
    assert parse_condition(raw) == code


@pytest.mark.parametrize(("query", "expected"), [
    ("charizard ex 151 psa 10", ("charizard ex 151", "PSA 10")),
    ("sv3pt5 199 PSA10", ("sv3pt5 199", "PSA 10")),
    ("pikachu 238/191 cgc-9", ("pikachu 238/191", "CGC 9")),
    ("sv3pt5 199 bgs 9.5", ("sv3pt5 199", "BGS 9.5")),
    ("luffy lp 119", ("luffy 119", "lp")),
    ("sv3pt5 199 near mint", ("sv3pt5 199", "near mint")),
    ("sv3pt5 199 psa 10.5", ("sv3pt5 199 psa 10.5", None)),  # no such grade: left for the search to refuse
    ("charizard 120 hp", ("charizard 120 hp", None)),  # HP is a Pokémon word, not "heavily played" here
    ("tag team 33", ("tag team 33", None)),
    ("psa 10", ("psa 10", None)),  # nothing would be left to search for
])
def test_a_grade_typed_inside_a_card_query_is_taken_out(query, expected):
    assert take_condition(query) == expected
    if expected[1]:
        parse_condition(expected[1])  # and it is one the rules understand


def test_unknown_condition():
    with pytest.raises(RuleError, match="Unknown condition"):
        parse_condition("mint-ish")
