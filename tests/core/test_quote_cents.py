"""Quote validation and conversion to integer cents: what ingest stores, or why it refuses a quote."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from core.prices import MAX_PRICE, Quote, quote_cents

NOW = datetime(2026, 11, 27, tzinfo=timezone.utc)


def quote(**amounts) -> Quote:
    return Quote("tcgcsv", amounts.pop("ts", NOW), amounts.pop("currency", "USD"), **amounts)


def test_amounts_become_cents_in_column_order():
    q = quote(market=D("12.34"), low=D("10"), mid=None, high=D("0.99"), direct_low=D("11.5"))
    assert quote_cents(q) == (1234, 1000, None, 99, 1150)


def test_sub_cent_prices_round_half_to_even():
    assert quote_cents(quote(market=D("0.125")))[0] == 12
    assert quote_cents(quote(market=D("0.135")))[0] == 14
    assert quote_cents(quote(market=D("3.999")))[0] == 400


def test_refusals_name_the_reason():
    assert quote_cents(quote(market=D("-1"))) == "negative price"
    assert quote_cents(quote(market=D("5"), low=D("-0.004"))) == "negative price"  # rounds to 0, still negative
    assert quote_cents(quote(market=MAX_PRICE + D("0.001"))) == "absurd price"  # rounds to the maximum
    assert quote_cents(quote()) == "no price"
    assert quote_cents(quote(market=D("0"), low=D("0.001"))) == "zero price"
    assert quote_cents(quote(market=D("1"), currency="XYZ")) == "unknown currency 'XYZ'"
    assert quote_cents(quote(market=D("1"), ts=NOW.replace(tzinfo=None))) == "timestamp without timezone"


def test_the_maximum_itself_is_a_price():
    assert quote_cents(quote(market=MAX_PRICE)) == (int(MAX_PRICE * 100), None, None, None, None)


@settings(deadline=None)  # a correctness property; a slow CI machine must not fail it on time
@given(st.decimals(min_value=D("0.01"), max_value=MAX_PRICE, places=2))
def test_two_place_prices_convert_exactly(amount):
    assert D(quote_cents(quote(market=amount))[0]) / 100 == amount
