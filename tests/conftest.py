"""Shared fixtures: real SQLite in a temp dir and, when reachable, real PostgreSQL (one schema per test)."""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
from pathlib import Path

import pytest

from storage import migrate
from storage.db import create_engine

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("TCGTRACKER_SHARED_DATA", ROOT.parent / "shared" / "data"))
SAMPLE_DIR = ROOT / "bot" / "sample"
PG_URL = os.environ.get("TCGTRACKER_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")

_pg_state: dict[str, str | None] = {}


def shared(*parts: str) -> Path:
    """A path in ../shared/data, or a clean skip when the shared data is not there."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


async def postgres_unreachable_reason() -> str | None:
    """None when PostgreSQL answers; else why not (checked once per session)."""
    if "reason" not in _pg_state:
        _pg_state["reason"] = await _probe_postgres()
    return _pg_state["reason"]


async def _probe_postgres() -> str | None:
    import asyncpg

    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    try:
        conn = await asyncio.wait_for(asyncpg.connect(dsn), timeout=3)
    except Exception as err:  # any failure means: skip the PostgreSQL variant
        return f"PostgreSQL not reachable at {dsn} ({type(err).__name__}: {err}); start it or set TCGTRACKER_TEST_PG_URL"
    await conn.close()
    return None


async def make_engine(backend: str, tmp_path: Path):
    """A migrated engine on a fresh database; returns (engine, cleanup coroutine function)."""
    if backend == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
        await migrate.upgrade(engine)
        return engine, engine.dispose
    reason = await postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    async with admin.begin() as conn:
        await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = create_engine(PG_URL, connect_args={"server_settings": {"search_path": schema}})
    await migrate.upgrade(engine)

    async def cleanup() -> None:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.dispose()

    return engine, cleanup


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
async def engine(request, tmp_path):
    eng, cleanup = await make_engine(request.param, tmp_path)
    try:
        yield eng
    finally:
        await cleanup()


@pytest.fixture
async def sqlite_engine(tmp_path):
    eng, cleanup = await make_engine("sqlite", tmp_path)
    try:
        yield eng
    finally:
        await cleanup()


@pytest.fixture(scope="session")
def sample_index():
    from core.catalog import read_onepiece, read_pokemon
    from core.search import CatalogIndex

    poke, op = read_pokemon(SAMPLE_DIR / "pokemon"), read_onepiece(SAMPLE_DIR / "onepiece")
    return CatalogIndex([*poke.sets.values(), *op.sets.values()], [*poke.cards.values(), *op.cards.values()])


@pytest.fixture(scope="session")
def real_catalog():
    from core.catalog import read_onepiece, read_pokemon

    return (
        read_pokemon(shared("pokemon", "pokemon-tcg-data")),
        read_onepiece(shared("onepiece", "punk-records")),
    )


@pytest.fixture(scope="session")
def real_index(real_catalog):
    from core.search import CatalogIndex

    poke, op = real_catalog
    return CatalogIndex([*poke.sets.values(), *op.sets.values()], [*poke.cards.values(), *op.cards.values()])


async def alert_world(engine) -> dict:  # noqa: ANN001 - an AsyncEngine
    """The sample catalog and the alert service on `engine`, at a fixed clock: what storage tests of people,
    rules and reports start from."""
    from datetime import datetime, timezone

    from core.alert_service import AlertService
    from core.services import CatalogService
    from storage.accounts_repo import SqlAccounts, SqlPrivacy
    from storage.catalog_repo import SqlCatalogRepository
    from storage.price_queries import SqlPriceQueries
    from storage.price_repo import SqlPriceStore
    from storage.rules_repo import SqlRules
    from tests.fakes import FixedClock

    catalog = CatalogService(SqlCatalogRepository(engine))
    await catalog.import_files(SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")
    clock = FixedClock(datetime(2026, 11, 27, 12, tzinfo=timezone.utc))
    store = SqlPriceStore(engine, clock=clock)
    service = AlertService(SqlAccounts(engine, store), SqlRules(engine, store), SqlPriceQueries(engine, store),
                           clock=clock, privacy=SqlPrivacy(engine))
    return {"service": service, "index": await catalog.index(), "store": store, "clock": clock, "engine": engine}


@contextlib.asynccontextmanager
async def sample_app(db_path: Path):
    """The app on a fresh SQLite file holding the bundled sample catalog and one tcgcsv collection of it
    (served from `bot/sample/tcgcsv`): what the chat adapters' tests talk to."""
    from bot.app import build_app
    from bot.config import Settings
    from core.sources.files import FolderTransport

    settings = Settings.model_validate({
        "database": {"url": f"sqlite+aiosqlite:///{db_path}"},
        "sources": {"tcgcsv": {"enabled": True, "base_url": "http://tcgcsv.test"}},
    })
    async with build_app(settings, transport=FolderTransport(SAMPLE_DIR / "tcgcsv")) as app:
        await app.catalog.import_files(SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")
        await app.collector.collect("tcgcsv")
        yield app


def write_namesakes(root: Path, name: str, count: int) -> Path:
    """A pokemontcg.io-shaped catalog of `count` cards all called `name`, one per set (`ns1` the oldest, each
    next set a year newer): more namesakes than a chat can list, as 27 plain "Charizard"s are."""
    (root / "cards" / "en").mkdir(parents=True, exist_ok=True)
    (root / "sets").mkdir(exist_ok=True)
    sets = [{"id": f"ns{i}", "name": f"Namesakes {i}", "series": "Test", "printedTotal": 1, "total": 1,
             "releaseDate": f"{1990 + i}/01/01"} for i in range(1, count + 1)]
    (root / "sets" / "en.json").write_text(json.dumps(sets))
    for s in sets:
        card = {"id": f"{s['id']}-1", "name": name, "supertype": "Pokémon", "number": "1", "rarity": "Common"}
        (root / "cards" / "en" / f"{s['id']}.json").write_text(json.dumps([card]))
    return root
