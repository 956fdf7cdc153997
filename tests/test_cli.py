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


def test_demo_imports_the_sample_and_answers_searches(db_env, capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "pokemon: 22 cards (22 new" in out and "onepiece: 17 cards (17 new" in out
    assert "sv3pt5-199" in out and "OP05-119_p1" in out
    assert main(["demo"]) == 0  # a second run changes nothing
    assert "22 unchanged" in capsys.readouterr().out


def test_search_json_lists_best_first_with_canonical_ids(db_env, capsys):
    main(["demo"])
    capsys.readouterr()
    assert main(["search", "charizard ex 151", "--json"]) == 0
    items = _json_out(capsys)
    assert [i["id"] for i in items[:3]] == ["sv3pt5-6", "sv3pt5-183", "sv3pt5-199"]
    assert {"id", "game", "set", "number", "name", "rarity"} <= set(items[0])
    assert main(["search", "OP05-119", "--json"]) == 0
    assert [i["id"] for i in _json_out(capsys)] == ["OP05-119", "OP05-119_p1", "OP05-119_p2"]
    assert main(["search", "pikachu", "--game", "pokemon", "--set", "sv8", "--json"]) == 0
    assert {i["set"] for i in _json_out(capsys)} == {"sv8"}


@pytest.mark.parametrize("query", ["", "x" * 5000, "🔥", "\x00\x1b[31m", "'; DROP TABLE cards; --"])
def test_bad_search_input_is_answered_and_changes_nothing(db_env, capsys, query):
    main(["demo"])
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
    env = {**os.environ, "TCGTRACKER_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["searches"]["sv3pt5 199"][0]["id"] == "sv3pt5-199"
