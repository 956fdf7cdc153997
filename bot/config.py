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
    inline_history_reads: bool = True


class SearchSettings(_Section):
    max_results: int = Field(25, ge=1, le=100)
    catalog_refresh_minutes: int = Field(10, ge=0, le=1440)
    nicknames: dict[str, str] = {}  # name -> canonical card id, on top of the built-in ones


class SourceSettings(_Section):
    """One price source: whether and how often it runs, and its HTTP policy."""

    enabled: bool = False
    base_url: str = ""
    games: list[Literal["pokemon", "onepiece"]] = ["pokemon", "onepiece"]
    interval_minutes: int = Field(1440, ge=1)
    jitter_seconds: int = Field(600, ge=0)
    per_minute: int = Field(60, ge=1)
    per_hour: int = Field(2000, ge=1)
    timeout_s: float = Field(30.0, gt=0)
    attempts: int = Field(5, ge=1, le=20)
    retry_budget_s: float = Field(300.0, gt=0)
    wait_initial_s: float = Field(0.5, ge=0)
    wait_max_s: float = Field(60.0, ge=0)
    breaker_threshold: int = Field(5, ge=1)
    breaker_reset_s: float = Field(300.0, gt=0)
    # TCGplayer group id -> catalog set code, for groups the automatic matching gets wrong.
    group_overrides: dict[str, str] = {}
    # pokemontcg.io: which sets to price ([] = every Pokémon set in the catalog).
    sets: list[str] = []


class SourcesSettings(_Section):
    tcgcsv: SourceSettings = SourceSettings(enabled=True, base_url="https://tcgcsv.com")
    tcgplayer: SourceSettings = SourceSettings(base_url="https://api.tcgplayer.com", per_minute=300)
    pokemontcg: SourceSettings = SourceSettings(base_url="https://api.pokemontcg.io/v2", games=["pokemon"], per_minute=30, per_hour=1000)
    ebay: SourceSettings = SourceSettings(base_url="https://api.ebay.com", interval_minutes=360, per_minute=30, per_hour=5000)


class HistorySettings(_Section):
    """How history grows and how it is drawn."""

    intraday_retention_days: int = Field(30, ge=1)
    partition_months_ahead: int = Field(3, ge=1, le=24)
    maintenance_hour_utc: int = Field(4, ge=0, le=23)
    max_chart_points: int = Field(400, ge=20, le=5000)
    chart_theme: Literal["dark", "light"] = "dark"
    chart_workers: int = Field(1, ge=0, le=8)  # render processes; 0 = a thread of this process
    trending_cache_seconds: int = Field(300, ge=0, le=86400)  # reuse a trending list this long (0 = never)
    trending_min_sample: int = Field(5, ge=0, le=1000)  # fewest listings/sales behind a trending price, where known


class AlertsSettings(_Section):
    """Rules people set and how they behave."""

    max_rules_per_user: int = Field(25, ge=1, le=1000)
    default_cooldown_hours: int = Field(6, ge=0, le=2160)
    rearm_margin_percent: float = Field(2.0, ge=0, le=50)
    confirm_snapshots: int = Field(1, ge=1, le=5)
    link_code_minutes: int = Field(10, ge=1, le=60)
    max_snapshot_age_hours: int = Field(72, ge=1)
    evaluate_interval_seconds: int = Field(300, ge=5)
    digest_hour_utc: int = Field(18, ge=0, le=23)


class DeliverySettings(_Section):
    """The outbox worker."""

    interval_seconds: int = Field(10, ge=1)
    batch: int = Field(100, ge=1, le=1000)
    lease_seconds: int = Field(120, ge=5)
    max_attempts: int = Field(8, ge=1, le=50)
    backoff_seconds: int = Field(30, ge=1)


class DiscordSettings(_Section):
    """The Discord bot (runs when TCGTRACKER_DISCORD_TOKEN is set)."""

    sync_guild_id: int | None = None  # development: sync commands to this server only (instant)
    sharded: bool = False  # AutoShardedClient for bots in many servers
    shard_count: int | None = Field(None, ge=1)
    shard_ids: list[int] | None = None  # this process's shards (several processes split a big bot)


class TelegramSettings(_Section):
    """The Telegram bot (runs when TCGTRACKER_TELEGRAM_TOKEN is set)."""

    api_base_url: str = "https://api.telegram.org/bot"  # or a self-hosted Bot API server
    mode: Literal["polling", "webhook"] = "polling"
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)
    webhook_path: str = "telegram"
    webhook_url: str | None = None  # the public https URL Telegram posts to (required for webhook mode)


class MetricsSettings(_Section):
    """Prometheus /metrics and /healthz of `tcgtracker run`."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(9108, ge=0, le=65535)


class ApiSettings(_Section):
    """The HTTP API (`--role api`): /v1 endpoints for scripts, spreadsheets and websites."""

    enabled: bool = False  # also run the api role when no --role is given
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    requests_per_hour: int = Field(1000, ge=1)
    burst_per_minute: int = Field(100, ge=1)
    max_keys_per_user: int = Field(5, ge=1, le=100)
    cache_seconds: int = Field(60, ge=0, le=86400)  # Cache-Control max-age of read endpoints
    root_path: str = ""  # when served under a prefix behind a reverse proxy, e.g. "/tcg"
    cors_origins: list[str] = []  # web pages allowed to call the API from a browser


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
    sources: SourcesSettings = SourcesSettings()
    history: HistorySettings = HistorySettings()
    alerts: AlertsSettings = AlertsSettings()
    delivery: DeliverySettings = DeliverySettings()
    discord: DiscordSettings = DiscordSettings()
    telegram: TelegramSettings = TelegramSettings()
    metrics: MetricsSettings = MetricsSettings()
    api: ApiSettings = ApiSettings()
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
    telegram_webhook_secret: SecretStr | None = None
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
