"""Settings: TOML file + environment -> one frozen object. Secrets come only from the environment."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

ENV_PREFIX = "TCGTRACKER_"
DEFAULT_CONFIG_FILE = Path("config.toml")


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatabaseSettings(_Section):
    url: str = "sqlite+aiosqlite:///./data/tcgtracker.db"
    echo: bool = False
    pool_size: int = Field(5, ge=1, le=100)
    migrate_on_start: bool = True


class SearchSettings(_Section):
    max_results: int = Field(25, ge=1, le=100)


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


class Settings(BaseSettings):
    """Everything but secrets. Env override: TCGTRACKER_DATABASE__URL=... (double underscore = nesting)."""

    model_config = SettingsConfigDict(
        frozen=True, extra="forbid", env_prefix=ENV_PREFIX, env_nested_delimiter="__", toml_file=None
    )

    database: DatabaseSettings = DatabaseSettings()
    search: SearchSettings = SearchSettings()
    logging: LoggingSettings = LoggingSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file; the file beats the defaults.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


class Secrets(BaseSettings):
    """Tokens and keys: environment only, never in TOML, never logged (SecretStr hides them)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_prefix=ENV_PREFIX)

    discord_token: SecretStr | None = None
    telegram_token: SecretStr | None = None
    tcgplayer_public_key: SecretStr | None = None
    tcgplayer_private_key: SecretStr | None = None
    ebay_client_id: SecretStr | None = None
    ebay_client_secret: SecretStr | None = None
    pokemontcg_api_key: SecretStr | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)


class ConfigError(ValueError):
    """The configuration cannot be used; the message says what to fix."""


def config_path(explicit: str | os.PathLike | None = None) -> Path | None:
    """--config, then TCGTRACKER_CONFIG, then ./config.toml if it exists."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if from_env:
        return Path(from_env)
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    chosen = config_path(path)
    if chosen is not None and not chosen.is_file():
        raise ConfigError(f"Config file {chosen} does not exist.")
    settings_cls = Settings
    if chosen is not None:
        bound = SettingsConfigDict(**Settings.model_config)
        bound["toml_file"] = chosen
        settings_cls = type("FileSettings", (Settings,), {"model_config": bound})
    try:
        return settings_cls()
    except Exception as err:  # pydantic's ValidationError lists every bad field
        raise ConfigError(f"Invalid configuration{f' in {chosen}' if chosen else ''}:\n{err}") from err
