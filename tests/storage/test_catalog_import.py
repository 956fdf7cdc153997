"""Catalog import is idempotent, transactional and exact, on both backends."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.catalog import CatalogBatch, read_onepiece, read_pokemon
from core.models import Card, Game
from core.services import CatalogService
from storage.catalog_repo import SqlCatalogRepository
from storage.tables import cards, tcg_sets
from tests.conftest import SAMPLE_DIR, shared


async def _count(engine, table) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def test_sample_import_twice_changes_nothing_the_second_time(engine):
    service = CatalogService(SqlCatalogRepository(engine))
    first = await service.import_files(SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")
    assert [r.cards.inserted for r in first] == [22, 17]
    second = await service.import_files(SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")
    assert [(r.cards.inserted, r.cards.updated, r.cards.unchanged) for r in second] == [(0, 0, 22), (0, 0, 17)]
    assert [(r.sets.inserted, r.sets.updated) for r in second] == [(0, 0), (0, 0)]
    assert await _count(engine, cards) == 39


async def test_reimport_updates_a_changed_card_in_place(engine, tmp_path):
    repo = SqlCatalogRepository(engine)
    batch = read_pokemon(SAMPLE_DIR / "pokemon")
    await repo.upsert_catalog(batch)
    batch.cards["sv3pt5-199"] = replace(batch.cards["sv3pt5-199"], rarity="SIR")
    report = await repo.upsert_catalog(batch)
    assert (report.cards.inserted, report.cards.updated) == (0, 1)
    _, loaded = await repo.load_catalog()
    assert next(c for c in loaded if c.canonical_id == "sv3pt5-199").rarity == "SIR"


async def test_failed_import_leaves_the_catalog_as_it_was(engine):
    repo = SqlCatalogRepository(engine)
    await repo.upsert_catalog(read_pokemon(SAMPLE_DIR / "pokemon"))
    broken = CatalogBatch(Game.POKEMON, sets={}, cards={"x-1": Card(Game.POKEMON, "x-1", "nosuchset", "1", "X")})
    with pytest.raises(KeyError):
        await repo.upsert_catalog(broken)
    assert await _count(engine, cards) == 22


async def test_loaded_catalog_round_trips(engine):
    repo = SqlCatalogRepository(engine)
    batch = read_onepiece(SAMPLE_DIR / "onepiece")
    await repo.upsert_catalog(batch)
    sets, loaded = await repo.load_catalog()
    assert {c.canonical_id: c for c in loaded} == batch.cards
    assert {s.code for s in sets} == {"OP05", "ST05", "OP08"}


@pytest.mark.shared_data
async def test_full_real_catalog_imports_exactly_and_reimport_changes_nothing(engine):
    pokemon = shared("pokemon", "pokemon-tcg-data")
    onepiece = shared("onepiece", "punk-records")
    service = CatalogService(SqlCatalogRepository(engine))
    poke, op = await service.import_files(pokemon, onepiece)
    assert poke.cards.inserted == 19_657
    assert op.cards.inserted == 4_672  # 4,673 rows: OP07-091_p1 is listed in two packs
    assert any("mep" in note for note in poke.notes)  # mep1.json's set is not in sets/en.json
    assert await _count(engine, cards) == 19_657 + 4_672
    sets_before = await _count(engine, tcg_sets)
    again = await service.import_files(pokemon, onepiece)
    assert [(r.cards.inserted, r.cards.updated) for r in again] == [(0, 0), (0, 0)]
    assert [(r.sets.inserted, r.sets.updated) for r in again] == [(0, 0), (0, 0)]
    assert await _count(engine, tcg_sets) == sets_before
    result = await service.search("charizard ex 199/165")
    assert result.ranked[0].canonical_id == "sv3pt5-199"


def test_missing_catalog_path_is_a_clear_error(tmp_path: Path):
    from core.catalog import CatalogFormatError

    with pytest.raises(CatalogFormatError, match="No pokemontcg.io card files"):
        read_pokemon(tmp_path)


async def test_a_running_service_picks_up_an_import_made_by_another_process(engine):
    """Release day: the operator imports the new set with the CLI while the bot runs."""
    running = CatalogService(SqlCatalogRepository(engine))
    assert await running.refresh_if_changed() is False  # nothing loaded yet: the first use loads
    await running.import_files(SAMPLE_DIR / "pokemon")
    assert (await running.index()).get("OP05-119") is None
    cli = CatalogService(SqlCatalogRepository(engine))  # the other process
    await cli.import_files(onepiece=SAMPLE_DIR / "onepiece")
    assert await running.refresh_if_changed() is True
    assert (await running.index()).get("OP05-119").name == "Monkey.D.Luffy"
    assert await running.refresh_if_changed() is False  # nothing new: no rebuild

    await cli.import_files(SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")  # the same files again
    assert await running.refresh_if_changed() is False
    batch = read_pokemon(SAMPLE_DIR / "pokemon")
    batch.cards["sv3pt5-199"] = replace(batch.cards["sv3pt5-199"], rarity="SIR")  # an upstream fix
    await SqlCatalogRepository(engine).upsert_catalog(batch)
    assert await running.refresh_if_changed() is True
    assert (await running.index()).get("sv3pt5-199").rarity == "SIR"
