"""History commands as a user runs them: chart, history, trending, and their refusals."""
from __future__ import annotations

import json

import pytest

from bot.cli import main
from tests.conftest import shared
from tests.test_cli import db_env  # noqa: F401 - fixture
from tests.test_cli_prices import demo_db  # noqa: F401 - fixture


def test_chart_writes_a_png(demo_db, capsys, tmp_path):  # noqa: F811
    out = tmp_path / "c.png"
    assert main(["chart", "sv3pt5 199", "--period", "1y", "--theme", "light", "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["card"] == "sv3pt5-199" and out.read_bytes()[:4] == b"\x89PNG" and data["bytes"] < 200_000


@pytest.mark.parametrize(("args", "message"), [
    (["chart", "sv3pt5 199", "--period", "2w"], "Unknown period"),
    (["chart", "sv3pt5 199", "--source", "nope"], "Unknown source"),
    (["history", "sv3pt5 199", "--period", "forever"], "Unknown period"),
    (["history", "sv3pt5 199", "--condition", "psa 12"], "Unknown condition"),
    (["chart", "sv3pt5 199", "--condition", "mint-ish"], "Unknown condition"),
    (["trending", "--min-price", "-3"], "--min-price"),
    (["trending", "--as-of", "someday"], "--as-of"),
])
def test_bad_options_are_explained(demo_db, capsys, args, message):  # noqa: F811
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_history_json_has_stats(demo_db, capsys):  # noqa: F811
    assert main(["history", "pikachu 238/191", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    [series] = data["series"]
    assert series["stats"]["current"] == "289.99" and series["currency"] == "USD"


def test_history_shows_money_to_the_cent_with_currency_and_signed_changes():
    """Prices read back from cents come out as Decimal('281.3'): a user must see 281.30 USD."""
    from datetime import datetime, timedelta, timezone
    from decimal import Decimal

    from bot.cli_history import history_dict
    from bot.output import history_text
    from core.history_service import PrintingHistory
    from core.models import Card, Game
    from core.pricing import SeriesPoint, series_stats

    now = datetime(2026, 11, 28, tzinfo=timezone.utc)
    cents = [30000, 28130, 29000, 29990]  # a fall to 281.30, then a rise: +9.90 over the last day
    points = [SeriesPoint.of(now - timedelta(days=len(cents) - 1 - i), Decimal(c) / 100) for i, c in enumerate(cents)]
    history = PrintingHistory("holofoil", "", "tcgcsv", "raw (market)", "USD", points, series_stats(points, now))
    data = history_dict(history)
    assert data["stats"]["atl"][0] == "281.30" and data["stats"]["current"] == "299.90"
    assert data["stats"]["changes"]["24h"]["amount"] == "9.90"
    text = history_text(Card(Game.POKEMON, "sv8-238", "sv8", "238", "Pikachu ex"), {"period": "7d", "series": [data]})
    assert "ATL 281.30 USD (2026-11-26)" in text and "ATH 300.00 USD (2026-11-25)" in text
    assert "24h +9.90 USD (+3.41%)" in text and "30d n/a" in text
    assert "% a day" in text


def test_history_of_a_grade_without_prices_says_which_grade(demo_db, capsys):  # noqa: F811
    assert main(["history", "sv3pt5 199", "--condition", "PSA 10"]) == 0
    assert "No PSA 10 price history for Charizard ex (sv3pt5-199) yet." in capsys.readouterr().out
    assert main(["history", "sv3pt5 199", "--condition", "raw", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["condition"] == "raw (market)" and {s["condition"] for s in data["series"]} == {"raw (market)"}


def test_ambiguous_chart_query_lists_candidates(demo_db, capsys):  # noqa: F811
    assert main(["chart", "charizard ex 151"]) == 1
    assert "3 cards match" in capsys.readouterr().err


@pytest.mark.shared_data
def test_cardmarket_import_then_trending_as_of(db_env, capsys):  # noqa: F811
    assert main(["catalog", "import", "--onepiece", str(shared("onepiece", "punk-records"))]) == 0
    capsys.readouterr()
    guides = shared("onepiece", "cardmarket_price_guide_18", "PriceHistory")
    assert main(["import-prices", "--source", "cardmarket", str(guides), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["units"] == 16 and report["inserted"] > 250  # 15 unmatched: the sealed deck, 16 days
    assert main(["trending", "--game", "onepiece", "--period", "30d", "--as-of", "2025-12-01", "--min-price", "0.5",
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["id"] == "ST05-011" and rows[0]["change"] == "+82.42%"
