"""Price commands as an operator runs them: import-prices, price, mapping, parse-title, status."""
from __future__ import annotations

import json

import pytest

from bot.cli import main
from tests.conftest import SAMPLE_DIR, shared
from tests.test_cli import db_env  # noqa: F401 - fixture


def _json(capsys):
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def demo_db(db_env, capsys):  # noqa: F811
    assert main(["catalog", "import", "--pokemon", str(SAMPLE_DIR / "pokemon"), "--onepiece",
                 str(SAMPLE_DIR / "onepiece")]) == 0
    assert main(["import-prices", "--source", "tcgcsv", str(SAMPLE_DIR / "tcgcsv")]) == 0
    capsys.readouterr()
    return db_env


def test_price_shows_each_printing_with_currency_and_as_of(demo_db, capsys):
    assert main(["price", "sv3pt5 199", "--json"]) == 0
    data = _json(capsys)
    assert data["card"]["id"] == "sv3pt5-199"
    plain = next(p for p in data["prices"] if p["variant"] == "")
    assert (plain["finish"], plain["source"], plain["market"], plain["currency"]) == ("holofoil", "tcgcsv", "112.35 USD", "USD")
    assert plain["as_of"].startswith("2026-11-20T00:00:00+00:00")
    assert main(["price", "charizard ex 151"]) == 1  # candidates, not a price: a script must see the difference
    assert "3 cards match" in capsys.readouterr().out
    assert main(["price", "qqqzzzxxx"]) == 1


def test_reimporting_the_same_dump_changes_nothing(demo_db, capsys):
    assert main(["import-prices", "--source", "tcgcsv", str(SAMPLE_DIR / "tcgcsv"), "--json"]) == 0
    report = _json(capsys)
    assert (report["inserted"], report["updated"], report["skipped_units"]) == (0, 0, 8)
    assert main(["import-prices", "--source", "tcgcsv", str(SAMPLE_DIR / "tcgcsv"), "--force", "--json"]) == 0
    report = _json(capsys)
    assert (report["inserted"], report["updated"], report["unchanged"]) == (0, 0, 45)


def test_mapping_unmatched_and_manual_override(demo_db, capsys):
    assert main(["mapping", "unmatched", "--json"]) == 0
    rows = _json(capsys)
    assert {r["product_name"] for r in rows} == {"Scarlet & Violet: 151 Booster Bundle", "Awakening of the New Era Booster Box"}
    assert all("not a single card" in r["reason"] for r in rows)
    assert main(["mapping", "set", "tcgcsv", "517950", "nosuch-1"]) == 2
    assert main(["mapping", "set", "tcgcsv", "517950", "sv3pt5-199:shiny"]) == 1
    assert "unknown finish" in capsys.readouterr().err
    assert main(["mapping", "set", "tcgcsv", "517950", "sv3pt5-199:holofoil:booster_bundle"]) == 0
    capsys.readouterr()
    assert main(["mapping", "unmatched", "--json"]) == 0
    assert [r["external_id"] for r in _json(capsys)] == ["517999"]


def test_parse_title_single_and_file(demo_db, capsys, tmp_path):
    assert main(["parse-title", "PSA 10 Pikachu ex 238/191 Surging Sparks SIR", "--json"]) == 0
    data = _json(capsys)
    assert (data["kind"], data["card_id"], data["grader"], data["grade"], data["language"]) == ("single", "sv8-238", "PSA", 10.0, "en")
    titles = tmp_path / "titles.txt"
    titles.write_text("Pokemon card lot 50 cards\nCustom Charizard proxy\nLatios 203/191 Sv08: Surging Sparks Holo\n")
    assert main(["parse-title", "--file", str(titles)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(l["kind"], l["usable"], l["card_id"]) for l in lines] == [
        ("lot", False, None), ("other", False, None), ("single", True, "sv8-203")]
    assert main(["parse-title"]) == 2


def test_status_lists_sources(demo_db, capsys):
    assert main(["status", "--json"]) == 0
    assert [s["name"] for s in _json(capsys)["sources"]] == ["tcgcsv"]


def test_status_shows_an_imported_day_as_the_last_snapshot_and_no_fetch(demo_db, capsys):
    def tcgcsv_status() -> dict:
        assert main(["status", "--json"]) == 0
        return next(s for s in _json(capsys)["sources"] if s["name"] == "tcgcsv")

    imported = tcgcsv_status()
    assert imported["last_snapshot_at"].startswith("2026-11-20T00:00:00")
    assert imported["last_success_at"] is None  # an import fetched nothing: fetch health is not claimed
    assert main(["import-prices", "--source", "tcgcsv", str(SAMPLE_DIR / "tcgcsv"), "--date", "2026-10-01", "--json"]) == 0
    backfill = _json(capsys)
    assert backfill["snapshot"].startswith("2026-10-01") and backfill["units"] > 0
    assert tcgcsv_status()["last_snapshot_at"] == imported["last_snapshot_at"]  # an older day does not replace it


def test_a_pin_for_a_misspelt_source_is_refused_and_stores_nothing(demo_db, capsys):
    with pytest.raises(SystemExit) as refused:
        main(["mapping", "set", "tcgcvs", "517950", "sv3pt5-199"])
    assert refused.value.code == 2 and "invalid choice: 'tcgcvs'" in capsys.readouterr().err
    assert main(["status", "--json"]) == 0
    assert "tcgcvs" not in {s["name"] for s in _json(capsys)["sources"]}


def test_a_folder_that_is_no_dump_is_explained(demo_db, capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("not prices")
    assert main(["import-prices", "--source", "tcgcsv", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "holds no ProductsAndPrices .csv files and is not laid out like tcgcsv" in err and "Error" not in err
    assert main(["import-prices", "--source", "tcgcsv", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_bad_date_is_a_clear_error(demo_db, capsys):
    assert main(["import-prices", "--source", "tcgcsv", str(SAMPLE_DIR / "tcgcsv"), "--date", "yesterday"]) == 1
    assert "--date must look like" in capsys.readouterr().err


@pytest.mark.shared_data
def test_real_me_promo_csv_against_the_real_catalog(db_env, capsys):  # noqa: F811
    catalog = ["catalog", "import", "--pokemon", str(shared("pokemon", "pokemon-tcg-data"))]
    assert main(catalog) == 0
    csv_path = shared("api_samples", "tcgcsv", "real_csv_dumps", "cat3_group24451_MEMegaEvolutionPromo_ProductsAndPrices.csv")
    assert main(["import-prices", "--source", "tcgcsv", str(csv_path), "--date", "2025-10-13", "--json"]) == 0
    capsys.readouterr()
    assert main(["price", "mep-001", "--json"]) == 0
    prices = _json(capsys)["prices"]
    assert sorted((p["finish"], p["variant"], p["market"]) for p in prices) == [
        ("holofoil", "staff", "68.12 USD"), ("normal", "", "25.60 USD")]
    assert main(["mapping", "unmatched", "--json"]) == 0
    unmatched = _json(capsys)
    # Mapped: mep-001 (plain, staff), mep-010 (plain, Pokémon Center), mep-017 (prerelease, prerelease staff),
    # mep-020 (Cosmos Holo); the catalog snapshot has no other ME promo, so 31 are reported with the reason.
    assert len(unmatched) == 38 - 7
    assert all(r["reason"].startswith("no card") for r in unmatched)


def test_backup_copies_a_live_database_that_restores(demo_db, capsys, tmp_path, monkeypatch):
    copy = tmp_path / "backup" / "copy.db"
    assert main(["backup", str(copy), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cards"] == 39 and report["price_points"] == 45
    monkeypatch.setenv("TCGTRACKER_DATABASE__URL", f"sqlite+aiosqlite:///{copy}")  # restore = use the copy
    assert main(["price", "sv8 238", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["prices"][0]["market"] == "289.99 USD"


def test_backup_on_postgres_points_to_pg_dump(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("TCGTRACKER_DATABASE__URL", "postgresql+asyncpg://tcg:secret@db.example/tcg")
    assert main(["backup", str(tmp_path / "x.dump")]) == 2
    err = capsys.readouterr().err
    assert "pg_dump -Fc" in err and "secret" not in err


def test_status_shows_the_outbox(demo_db, capsys):
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outbox"] == {"waiting": 0, "oldest_seconds": None}


def test_a_report_typed_in_chat_is_listed_for_the_operator_and_resolved(demo_db, capsys, monkeypatch):
    """The whole loop: a person reports in chat, the operator sees the card's products, pins, resolves."""
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("/report sv3pt5 199 price is the jumbo's\n"))
    assert main(["chat", "--user", "misty"]) == 0
    assert "Thanks: report #1 on Charizard ex (sv3pt5-199)" in capsys.readouterr().out
    assert main(["mapping", "reports"]) == 0
    listed = capsys.readouterr().out
    assert "#1 Charizard ex (sv3pt5-199) · console misty" in listed and "note: price is the jumbo's" in listed
    assert "Charizard ex - 199/165 (Jumbo Card)" in listed and "holofoil:jumbo" in listed
    assert "tcgtracker mapping resolve ID" in listed
    assert main(["status"]) == 0 and "price reports: 1 open (tcgtracker mapping reports)" in capsys.readouterr().out
    assert main(["mapping", "resolve", "1", "--note", "jumbo is its own printing already"]) == 0
    capsys.readouterr()
    assert main(["mapping", "resolve", "1"]) == 1  # closed already: said, nothing changes
    assert "no open report #1" in capsys.readouterr().err
    assert main(["mapping", "reports"]) == 0 and "No open price reports." in capsys.readouterr().out
    assert main(["status", "--json"]) == 0 and _json(capsys)["price_reports"] == {"open": 0}
    assert main(["mapping", "reports", "--all", "--json"]) == 0
    [report] = _json(capsys)
    assert report["resolution"] == "jumbo is its own printing already" and report["resolved_at"].endswith("+00:00")
