"""Settings: defaults, TOML, environment overrides, secrets only from the environment."""
from __future__ import annotations

import pytest

from bot.config import ConfigError, Secrets, load_settings


def test_defaults_use_sqlite_under_data(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database.url == "sqlite+aiosqlite:///./data/tcgtracker.db"
    with pytest.raises(Exception):
        settings.database.url = "other"  # frozen


def test_toml_file_then_environment_override(monkeypatch, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[database]\nurl = "sqlite+aiosqlite:///x.db"\n[search]\nmax_results = 10\n')
    assert load_settings(path).search.max_results == 10
    monkeypatch.setenv("TCGTRACKER_SEARCH__MAX_RESULTS", "7")
    settings = load_settings(path)
    assert settings.search.max_results == 7 and settings.database.url == "sqlite+aiosqlite:///x.db"


def test_the_example_config_is_valid_and_matches_the_defaults():
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    from bot.config import Settings

    assert load_settings(example).model_dump() == Settings().model_dump()


@pytest.mark.parametrize(
    "toml",
    ['[discord]\ntoken = "abc"\n', '[database]\nurll = "typo"\n', '[search]\nmax_results = 0\n', "not toml ["],
)
def test_bad_config_is_refused_with_a_message(tmp_path, toml):
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(path) in str(err.value)


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_secrets_come_from_the_environment_and_never_print(monkeypatch):
    monkeypatch.setenv("TCGTRACKER_DISCORD_TOKEN", "super-secret-token")
    secrets = Secrets()
    assert secrets.discord_token.get_secret_value() == "super-secret-token"
    assert "super-secret-token" not in repr(secrets) and "super-secret-token" not in str(secrets)


def test_the_example_config_documents_every_setting():
    import re
    from pathlib import Path

    from pydantic import BaseModel

    from bot.config import Settings

    text = (Path(__file__).resolve().parent.parent / "config.example.toml").read_text()
    sections = dict(re.findall(r"^\[([\w.]+)\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S))
    missing = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            kind = field.annotation
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                walk(kind, f"{prefix}.{name}" if prefix else name)
            elif not re.search(rf"^#? ?{name} =", sections.get(prefix, ""), re.M):
                missing.append(f"[{prefix}] {name}")

    walk(Settings, "")
    assert missing == []
