"""The CLI as an operator uses it: demo, migrate, import, search, and refusals that change nothing."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.cli import main
from storage import migrate
from tests.conftest import ROOT, SAMPLE_DIR


@pytest.fixture
def db_env(monkeypatch, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TCGTRACKER_DATABASE__URL", url)
    monkeypatch.chdir(tmp_path)
    return url


def _json_out(capsys):
    return json.loads(capsys.readouterr().out)


def sample_catalog():
    assert main(["catalog", "import", "--pokemon", str(SAMPLE_DIR / "pokemon"), "--onepiece",
                 str(SAMPLE_DIR / "onepiece")]) == 0


def test_demo_runs_the_main_job_offline(db_env, capsys, tmp_path):
    assert main(["demo", "--out", str(tmp_path / "charts")]) == 0
    out = capsys.readouterr().out
    assert "pokemon: 22 cards (22 new" in out and "onepiece: 17 cards (17 new" in out
    assert "collected 90 daily snapshots; 3 alerts delivered" in out
    assert "🔔 Charizard ex · 151 · 199 [Holofoil, raw (market)] is at or below 95.00 USD" in out
    assert "sv3pt5-199" in out and "OP05-119_p1" in out
    charts = sorted(p.name for p in (tmp_path / "charts").glob("*.png"))
    assert charts == ["ST05-011-30d-dark.png", "sv3pt5-199-3m-dark.png", "sv8-238-3m-light.png"]
    assert main(["demo", "--out", str(tmp_path / "charts")]) == 0  # repeatable: its own fresh database
    assert "3 alerts delivered" in capsys.readouterr().out


def test_search_json_lists_best_first_with_canonical_ids(db_env, capsys):
    sample_catalog()
    capsys.readouterr()
    assert main(["search", "charizard ex 151", "--json"]) == 0
    items = _json_out(capsys)
    assert [i["id"] for i in items[:3]] == ["sv3pt5-6", "sv3pt5-183", "sv3pt5-199"]
    assert {"id", "game", "set", "number", "name", "rarity"} <= set(items[0])
    assert main(["search", "OP05-119", "--json"]) == 0
    items = _json_out(capsys)
    assert [(i["id"], i["number"], i["variant"]) for i in items] == [
        ("OP05-119", "OP05-119", None), ("OP05-119_p1", "OP05-119", "p1"), ("OP05-119_p2", "OP05-119", "p2")]
    assert main(["search", "OP05-119"]) == 0  # three candidates: the table says which print each one is
    table = capsys.readouterr().out
    assert "OP05-119 (parallel 1)" in table and "OP05-119 (parallel 2)" in table
    assert main(["search", "pikachu", "--game", "pokemon", "--set", "sv8", "--json"]) == 0
    assert {i["set"] for i in _json_out(capsys)} == {"sv8"}


@pytest.mark.parametrize("query", ["", "x" * 5000, "🔥", "\x00\x1b[31m", "'; DROP TABLE cards; --"])
def test_bad_search_input_is_answered_and_changes_nothing(db_env, capsys, query):
    sample_catalog()
    capsys.readouterr()
    code = main(["search", query])
    out = capsys.readouterr().out
    assert code in (0, 1) and "Traceback" not in out and out.strip()
    assert main(["search", "sv3pt5 199", "--json"]) == 0
    assert _json_out(capsys)[0]["id"] == "sv3pt5-199"


def test_catalog_import_reports_counts_and_refuses_missing_paths(db_env, capsys):
    assert main(["catalog", "import", "--pokemon", str(SAMPLE_DIR / "pokemon"), "--json"]) == 0
    report = _json_out(capsys)
    assert report[0]["cards"] == {"inserted": 22, "updated": 0, "unchanged": 0, "total": 22}
    assert main(["catalog", "import", "--onepiece", "/no/such/folder"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["catalog", "import"]) == 2


def test_migrate_reports_the_revision(db_env, capsys):
    assert main(["migrate", "--json"]) == 0
    assert _json_out(capsys)["revision"] == migrate.head_revision()


def test_bad_config_exits_with_a_message(tmp_path, capsys):
    bad = tmp_path / "c.toml"
    bad.write_text("[database]\nnope = 1\n")
    assert main(["--config", str(bad), "migrate"]) == 2
    assert "Invalid configuration" in capsys.readouterr().err


def test_python_dash_m_bot_is_the_same_cli(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--json", "--db", str(tmp_path / "d.db"), "--out", str(tmp_path / "o")],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["searches"]["sv3pt5 199"][0]["id"] == "sv3pt5-199" and data["alerts_delivered"] == 3


def test_a_parallel_typed_the_way_people_write_it_resolves(db_env, capsys):
    sample_catalog()
    capsys.readouterr()
    for query in ("OP05-119 p1", "op05-119 parallel 1", "luffy OP05-119 P1"):
        assert main(["search", query, "--json"]) == 0
        assert [(i["id"], i["match"]) for i in _json_out(capsys)][0] == ("OP05-119_p1", "resolved"), query


def test_search_counts_every_namesake_and_says_how_to_see_the_rest(db_env, capsys, tmp_path):
    from tests.conftest import write_namesakes

    namesakes = write_namesakes(tmp_path / "namesakes", "Eevee", 27)
    assert main(["catalog", "import", "--pokemon", str(namesakes)]) == 0
    capsys.readouterr()
    assert main(["search", "eevee"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("27 cards match, here are 25 (--limit N or a set or number for the others); pick one by id:")
    assert "ns3-1" in out and "ns2-1" not in out
    assert main(["search", "eevee", "--limit", "30", "--json"]) == 0
    assert [i["id"] for i in _json_out(capsys) if i["match"] == "candidate"] == [f"ns{i}-1" for i in range(27, 0, -1)]
    assert main(["price", "eevee"]) == 1  # no price shown: the candidates, and how to narrow them
    assert "27 cards match, here are 25 (add a set or number for the others)" in capsys.readouterr().out
