"""Ingest on SQLite and PostgreSQL: idempotent, transactional, counted, overrides respected."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from core.ingest import IngestUnit, Observation
from core.catalog import read_pokemon
from core.mapping import Match, PrintingKey
from core.models import Card, Finish, Game
from core.prices import Quote
from core.services import CatalogService
from storage.catalog_repo import SqlCatalogRepository
from storage.price_queries import SqlPriceQueries
from storage.price_repo import SqlPriceStore
from storage.tables import price_history, source_products
from tests.conftest import SAMPLE_DIR

DAY1 = datetime(2026, 11, 20, tzinfo=timezone.utc)
DAY2 = datetime(2026, 11, 21, tzinfo=timezone.utc)
CHARIZARD = PrintingKey("sv3pt5-199", Finish.HOLOFOIL)
PIKACHU = PrintingKey("sv8-238", Finish.HOLOFOIL)


@pytest.fixture
async def store(engine):
    await CatalogService(SqlCatalogRepository(engine)).import_files(SAMPLE_DIR / "pokemon", SAMPLE_DIR / "onepiece")
    return SqlPriceStore(engine)


def obs(external_id, key, market, ts=DAY1, reason=None):
    match = Match(key, 1.0, "test") if key else Match.unmatched(reason or "no card")
    quote = Quote("tcgcsv", ts, "USD", market=Decimal(market) if market is not None else None)
    return Observation(external_id, "Holofoil", f"product {external_id}", "g1", match, quote)


def unit(*observations, ts=DAY1, force=False):
    return IngestUnit("tcgcsv", "pokemon:group:1", ts, list(observations), force)


async def _points(engine):
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(price_history))).scalar_one()


async def test_ingest_counts_and_stores(store, engine):
    counts = await store.ingest(unit(obs("1", CHARIZARD, "112.35"), obs("2", PIKACHU, "289.99"), obs("3", None, "5", reason="sealed")))
    assert (counts.inserted, counts.updated, counts.unchanged, counts.unmatched) == (2, 0, 0, 1)
    assert await _points(engine) == 2


async def test_the_same_snapshot_twice_changes_nothing(store, engine):
    first = unit(obs("1", CHARIZARD, "112.35"), obs("2", PIKACHU, "289.99"))
    await store.ingest(first)
    again = await store.ingest(first)
    assert again.skipped_units == 1 and again.inserted == 0  # the ledger says it is done
    forced = await store.ingest(replace(first, force=True))
    assert (forced.inserted, forced.updated, forced.unchanged) == (0, 0, 2)
    assert await _points(engine) == 2



async def test_a_unit_another_collector_finished_meanwhile_is_skipped_and_changes_nothing(store, engine):
    """Two collector processes on one database: the second learnt the snapshot's ledger before the first
    finished this unit, does the work, then finds the ledger row at the end and rolls back."""
    other = SqlPriceStore(engine)
    await other.ingest(IngestUnit("tcgcsv", "pokemon:group:2", DAY1, [obs("9", PIKACHU, "289.99")]))
    await store.ingest(unit(obs("1", CHARIZARD, "112.35")))
    late = await other.ingest(unit(obs("1", CHARIZARD, "999.00")))
    assert late.skipped_units == 1 and late.inserted == late.updated == 0
    async with engine.connect() as conn:
        market = (await conn.execute(select(price_history.c.market_cents).where(
            price_history.c.market_cents > 20000, price_history.c.market_cents != 28999))).all()
        runs = (await conn.execute(text("SELECT inserted FROM ingest_runs WHERE unit = 'pokemon:group:1'"))).all()
    assert market == [] and runs == [(1,)]  # the first collector's price and counts stand
    assert await _points(engine) == 2

async def test_a_corrected_price_updates_in_place_and_a_new_day_adds(store, engine):
    await store.ingest(unit(obs("1", CHARIZARD, "112.35")))
    corrected = await store.ingest(unit(obs("1", CHARIZARD, "110.00"), force=True))
    assert (corrected.inserted, corrected.updated) == (0, 1)
    next_day = await store.ingest(unit(obs("1", CHARIZARD, "108.00", ts=DAY2), ts=DAY2))
    assert next_day.inserted == 1 and await _points(engine) == 2
    latest = await SqlPriceQueries(engine, store).latest_prices(["sv3pt5-199"])
    assert [(l.market_cents, l.as_of) for l in latest] == [(10800, DAY2)]


@pytest.mark.parametrize(("market", "reason"), [("-1", "negative price"), ("9999999", "absurd price"), (None, "no price")])
async def test_invalid_prices_are_counted_and_never_stored(store, engine, market, reason):
    counts = await store.ingest(unit(obs("1", CHARIZARD, market)))
    assert counts.invalid == 1 and counts.reasons[f"invalid: {reason}"] == 1
    assert await _points(engine) == 0


async def test_unmatched_products_are_kept_with_their_reason(store, engine):
    await store.ingest(unit(obs("77", None, "3.00", reason="not a single card (no card number)")))
    rows = await SqlPriceQueries(engine, store).unmatched("tcgcsv")
    assert [(r.external_id, r.reason) for r in rows] == [("77", "not a single card (no card number)")]


async def test_a_manual_override_survives_later_collections(store, engine):
    queries = SqlPriceQueries(engine, store)
    await store.ingest(unit(obs("77", None, "3.00", reason="name mismatch")))
    assert await queries.set_override("tcgcsv", "77", CHARIZARD, None) == 1
    counts = await store.ingest(unit(obs("77", None, "115.00", ts=DAY2, reason="name mismatch"), ts=DAY2))
    assert counts.inserted == 1 and counts.unmatched == 0
    assert not await queries.unmatched("tcgcsv")
    async with engine.connect() as conn:
        row = (await conn.execute(select(source_products.c.method, source_products.c.is_override))).one()
    assert tuple(row) == ("manual", True)


async def test_a_pin_lifted_by_hand_gives_the_product_back_to_the_mapper(store, engine):
    queries = SqlPriceQueries(engine, store)
    await store.ingest(unit(obs("1", CHARIZARD, "112.35")))
    await queries.set_override("tcgcsv", "1", PIKACHU, None)  # a wrong pin
    async with engine.begin() as conn:  # an operator lifts it in SQL (there is no command for that)
        await conn.execute(source_products.update().values(is_override=False))
    store.forget_mappings()
    counts = await store.ingest(unit(obs("1", CHARIZARD, "110.00", ts=DAY2), ts=DAY2))
    assert counts.inserted == 1
    latest = await queries.latest_prices(["sv3pt5-199", "sv8-238"])
    assert [(l.card_id, l.market_cents) for l in latest] == [("sv3pt5-199", 11000)]


async def test_an_override_from_another_process_applies_from_the_next_snapshot(store, engine):
    await store.ingest(unit(obs("77", None, "3.00", reason="name mismatch")))
    cli = SqlPriceQueries(engine, SqlPriceStore(engine))  # `tcgtracker mapping set` runs in its own process
    await cli.set_override("tcgcsv", "77", CHARIZARD, None)
    counts = await store.ingest(unit(obs("77", None, "115.00", ts=DAY2, reason="name mismatch"), ts=DAY2))
    assert (counts.inserted, counts.unmatched) == (1, 0)


async def test_a_mapping_is_rewritten_only_when_it_changes(store, engine):
    async def mapping_row():
        sp = source_products.c
        async with engine.connect() as conn:
            return (await conn.execute(select(sp.printing_id, sp.unmatched_reason, sp.updated_at))).one()

    await store.ingest(unit(obs("5", None, "3.00", reason="card not in catalog")))
    first = await mapping_row()
    await store.ingest(unit(obs("5", None, "3.10", ts=DAY2, reason="card not in catalog"), ts=DAY2))
    assert await mapping_row() == first  # the same answer: the row is left alone, updated_at included
    day3 = DAY2.replace(day=22)
    await store.ingest(unit(obs("5", CHARIZARD, "3.20", ts=day3), ts=day3))  # matched now (a catalog update)
    changed = await mapping_row()
    assert changed.printing_id is not None and changed.unmatched_reason is None
    assert changed.updated_at > first.updated_at


async def test_a_product_whose_card_joins_the_catalog_later_is_priced_from_then_on(store, engine):
    newcomer = PrintingKey("sv3pt5-210", Finish.HOLOFOIL)  # matched by number, but the catalog lacks the card
    first = await store.ingest(unit(obs("7", newcomer, "12.00")))
    assert (first.inserted, first.unmatched) == (0, 1)
    batch = read_pokemon(SAMPLE_DIR / "pokemon")
    batch.cards["sv3pt5-210"] = Card(Game.POKEMON, "sv3pt5-210", "sv3pt5", "210", "Newcomer")
    await SqlCatalogRepository(engine).upsert_catalog(batch)  # a catalog sync, while the collector runs on
    second = await store.ingest(unit(obs("7", newcomer, "12.50", ts=DAY2), ts=DAY2))
    assert (second.inserted, second.unmatched) == (1, 0)
    assert not await SqlPriceQueries(engine, store).unmatched("tcgcsv")
    latest = await SqlPriceQueries(engine, store).latest_prices(["sv3pt5-210"])
    assert [(l.market_cents, l.as_of) for l in latest] == [(1250, DAY2)]


async def test_a_renamed_product_is_rewritten_and_a_fresh_process_leaves_unchanged_rows_alone(store, engine):
    async def mapping_row():
        sp = source_products.c
        async with engine.connect() as conn:
            return (await conn.execute(select(sp.id, sp.product_name, sp.printing_id, sp.updated_at))).one()

    await store.ingest(unit(obs("1", CHARIZARD, "112.35")))
    first = await mapping_row()
    restarted = SqlPriceStore(engine)  # a new process: nothing cached
    await restarted.ingest(unit(obs("1", CHARIZARD, "110.00", ts=DAY2), ts=DAY2))
    assert await mapping_row() == first
    renamed = replace(obs("1", CHARIZARD, "109.00", ts=DAY2.replace(day=22)), product_name="Charizard ex - 199/165")
    await restarted.ingest(unit(renamed, ts=DAY2.replace(day=22)))
    after = await mapping_row()
    assert (after.id, after.product_name, after.printing_id) == (first.id, "Charizard ex - 199/165", first.printing_id)
    assert after.updated_at > first.updated_at


async def test_a_product_seen_unchanged_for_days_is_still_remapped_when_the_mapper_changes_its_mind(store, engine):
    days = [DAY1.replace(day=d) for d in (20, 21, 22, 23)]
    for day in days[:3]:  # the same verdict three days running
        await store.ingest(unit(obs("1", CHARIZARD, "112.35", ts=day), ts=day))
    await store.ingest(unit(obs("1", PIKACHU, "289.99", ts=days[3]), ts=days[3]))
    latest = await SqlPriceQueries(engine, store).latest_prices(["sv8-238", "sv3pt5-199"])
    assert [(l.card_id, l.market_cents, l.as_of) for l in latest if l.as_of == days[3]] == [("sv8-238", 28999, days[3])]
    async with engine.begin() as conn:
        mapped_to = (await conn.execute(select(source_products.c.printing_id))).scalar_one()
        assert mapped_to == (await store.ensure_printings(conn, [PIKACHU]))[PIKACHU]


async def test_mappings_stored_before_fingerprints_existed_are_kept_and_fingerprinted_once(store, engine):
    await store.ingest(unit(obs("1", CHARIZARD, "112.35"), obs("3", None, "5", reason="sealed")))
    async with engine.begin() as conn:  # as migration 0005 leaves older rows
        await conn.execute(source_products.update().values(fingerprint=None))
    upgraded = SqlPriceStore(engine)
    counts = await upgraded.ingest(unit(obs("1", CHARIZARD, "110.00", ts=DAY2), obs("3", None, "5", reason="sealed"),
                                        ts=DAY2))
    assert (counts.inserted, counts.unmatched) == (1, 1)
    sp = source_products.c
    async with engine.connect() as conn:
        rows = (await conn.execute(select(sp.external_id, sp.fingerprint).order_by(sp.external_id))).all()
    assert [r.external_id for r in rows] == ["1", "3"] and all(r.fingerprint is not None for r in rows)


async def test_a_failure_inside_a_unit_leaves_the_previous_snapshot_intact(store, engine, monkeypatch):
    await store.ingest(unit(obs("1", CHARIZARD, "112.35")))

    async def explode(*args, **kwargs):
        raise RuntimeError("process killed mid-ingest")

    monkeypatch.setattr(store, "_upsert_points", explode)
    with pytest.raises(RuntimeError):
        await store.ingest(unit(obs("1", CHARIZARD, "1.00", ts=DAY2), obs("9", PIKACHU, "2.00", ts=DAY2), ts=DAY2))
    monkeypatch.undo()
    latest = await SqlPriceQueries(engine, store).latest_prices(["sv3pt5-199", "sv8-238"])
    assert [(l.card_id, l.market_cents) for l in latest] == [("sv3pt5-199", 11235)]
    retry = await store.ingest(unit(obs("1", CHARIZARD, "1.00", ts=DAY2), obs("9", PIKACHU, "2.00", ts=DAY2), ts=DAY2))
    assert retry.inserted == 2  # the ledger row rolled back with the rest, so the unit is not "done"


async def test_special_products_get_their_own_printing(store, engine):
    staff = PrintingKey("svp-88", Finish.HOLOFOIL, "staff")
    await store.ingest(unit(obs("1", PrintingKey("svp-88", Finish.HOLOFOIL), "6.10"), obs("2", staff, "29.00")))
    latest = await SqlPriceQueries(engine, store).latest_prices(["svp-88"])
    assert sorted((l.variant, l.market_cents) for l in latest) == [("", 610), ("staff", 2900)]


async def test_an_import_moves_the_last_snapshot_forward_only_and_claims_no_fetch(store, engine):
    queries = SqlPriceQueries(engine, store)
    await queries.record_import("tcgcsv", DAY2)
    await queries.record_import("tcgcsv", DAY1)  # a backfill of an older day
    [health] = await queries.source_health()
    assert (health.name, health.last_snapshot_at, health.last_success_at) == ("tcgcsv", DAY2, None)
    await queries.record_run("tcgcsv", True, None, "closed", DAY2 + timedelta(days=1))  # a collection
    await queries.record_import("tcgcsv", DAY2)
    await queries.record_run("tcgcsv", True, None, "closed", None)  # a run that stored nothing
    [health] = await queries.source_health()
    assert health.last_snapshot_at == DAY2 + timedelta(days=1) and health.last_success_at is not None
