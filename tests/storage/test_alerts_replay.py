"""Alerts on the real Cardmarket ST-05 series, replayed snapshot by snapshot (SQLite and PostgreSQL).

Douglas Bullet (ST05-011) trend, EUR: 09-04 1.34, 10-01 1.66, 10-15 1.61, 11-01 3.30, 11-15 5.34,
12-01 6.02, 12-15 6.21, 01-01 4.62, 01-15 3.89, 02-01 1.98, 03-01 1.15, 04-01 1.82, 05-01 1.26,
06-01 0.92, 07-01 1.16, 08-01 1.04.  Shanks (ST05-001): ... 12-15 1.55, 01-01 1.50, 01-15 1.08,
02-01 1.53, 03-01 1.60, 04-01 1.37, 05-01 1.81 ..."""
from __future__ import annotations

import json

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.alert_service import AlertService, Caller
from core.delivery import Deliverer, DeliveryPolicy
from core.models import Finish
from core.services import CatalogService
from core.sources import cardmarket
from storage.accounts_repo import SqlAccounts
from storage.catalog_repo import SqlCatalogRepository
from storage.outbox_repo import SqlOutbox
from storage.price_queries import SqlPriceQueries
from storage.price_repo import SqlPriceStore
from storage.rules_repo import SqlRules
from storage.tables import outbox
from tests.conftest import SAMPLE_DIR
from tests.fakes import FakeNotifier, FixedClock
from tests.storage.test_history import guides

pytestmark = pytest.mark.shared_data
ME = Caller("console", "collector-1", "Nami")


@pytest.fixture
async def world(engine):
    catalog = CatalogService(SqlCatalogRepository(engine))
    await catalog.import_files(onepiece=SAMPLE_DIR / "onepiece")
    index = await catalog.index()
    clock = FixedClock()
    store = SqlPriceStore(engine, clock=clock)
    rules = SqlRules(engine, store)
    alerts = AlertService(SqlAccounts(engine, store), rules, SqlPriceQueries(engine, store), clock=clock)
    payloads = guides()
    names = cardmarket.product_names(payloads)
    matches = cardmarket.product_keys(names, index)

    async def ingest(day: str) -> None:
        payload = next(p for p in payloads if cardmarket.guide_date(p).date().isoformat() == day)
        clock.now = cardmarket.guide_date(payload) + timedelta(hours=12)
        await store.ingest(cardmarket.guide_unit(payload, names, matches))

    days = [cardmarket.guide_date(p).date().isoformat() for p in payloads]
    return {"engine": engine, "index": index, "alerts": alerts, "ingest": ingest, "days": days, "rules": rules,
            "clock": clock}


async def fired_days(engine, rule_id: int) -> list[str]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.payload).where(outbox.c.rule_id == rule_id).order_by(outbox.c.id))).all()
    return [(r[0] if isinstance(r[0], dict) else json.loads(r[0]))["as_of"][:10] for r in rows]


async def add(world, card_id: str, kind: str, **kwargs) -> int:
    card = world["index"].get(card_id)
    return await world["alerts"].add_rule(ME, card, kind, finish=Finish.NORMAL, source="cardmarket", currency="EUR",
                                          **kwargs)


async def test_threshold_rules_fire_once_on_the_rise_and_once_on_the_fall(world):
    rise = await add(world, "ST05-011", "above", threshold="5.00", cooldown_hours=0)
    fall = None
    for day in world["days"]:
        await world["ingest"](day)
        if day == "2025-12-01":  # after the rise, someone sets a floor alert
            fall = await add(world, "ST05-011", "below", threshold="2.00", cooldown_hours=0)
    assert await fired_days(world["engine"], rise) == ["2025-11-15"]  # 5.34 crosses 5.00; re-armed 01-01 at 4.62
    assert await fired_days(world["engine"], fall) == ["2026-02-01"]  # 1.98; never back above 2.04 to re-arm


async def test_cooldown_suppresses_a_repeat(world):
    quick = await add(world, "ST05-001", "above", threshold="1.50", cooldown_hours=0)
    patient = await add(world, "ST05-001", "above", threshold="1.50", cooldown_hours=60 * 24)
    for day in world["days"]:
        await world["ingest"](day)
    # 12-15 1.55 crosses; 01-15 1.08 re-arms; 02-01 1.53 crosses again (48 days later); 04-01 1.37 re-arms;
    # 05-01 1.81 crosses. A 60-day cooldown swallows the 02-01 crossing.
    assert await fired_days(world["engine"], quick) == ["2025-12-15", "2026-02-01", "2026-05-01"]
    assert await fired_days(world["engine"], patient) == ["2025-12-15", "2026-05-01"]
    history = await world["alerts"].rule_history(ME, patient)
    assert [h.status for h in history] == ["suppressed"]


async def test_percent_move_and_n_day_low(world):
    drop = await add(world, "ST05-011", "pct_move", percent="-30", window_days=30, cooldown_hours=0)
    low = await add(world, "ST05-011", "n_day_low", window_days=60, cooldown_hours=0)
    for day in world["days"]:
        await world["ingest"](day)
    # Drop: 01-15 3.89 vs 6.21 on 12-15 (-37%); held until 04-01 (+58% re-arms); 05-01 1.26 vs 1.82 (-30.8%).
    assert await fired_days(world["engine"], drop) == ["2026-01-15", "2026-05-01"]
    # 60-day low: 01-01 4.62 < 5.34; re-arms 04-01 (1.82 > 1.15 +2%); 05-01 1.26 < 1.82; re-arms 07-01
    # (1.16 > 0.92 +2%); 08-01 1.04 < 1.16.
    assert await fired_days(world["engine"], low) == ["2026-01-01", "2026-05-01", "2026-08-01"]


async def test_delivered_message_says_everything(world):
    rule = await add(world, "ST05-011", "above", threshold="5.00", cooldown_hours=0)
    for day in world["days"][:5]:
        await world["ingest"](day)
    notifier = FakeNotifier()
    deliverer = Deliverer(SqlOutbox(world["engine"]), world["rules"], {"console": notifier}, DeliveryPolicy(),
                          clock=world["clock"])
    report = await deliverer.drain()
    assert report.sent == 1
    [(target, message)] = notifier.sent
    assert target == "collector-1" and message.rule_id == rule
    assert (message.card_id, message.card_name, message.printing, message.condition) == (
        "ST05-011", "Douglas Bullet", "Normal", "raw (market)")
    assert (message.old_price, message.new_price, message.percent, message.source) == (
        "3.30 EUR", "5.34 EUR", "+61.82%", "cardmarket")
    assert message.as_of.startswith("2025-11-15T00:00:00+00:00") and message.link.startswith("https://")
    assert "3.30 EUR → 5.34 EUR" in message.plain_text(world["clock"]())
    assert (await deliverer.drain()).sent == 0  # nothing is sent twice
    [rule_row] = await world["alerts"].rules(ME)
    assert rule_row.last_triggered_at is not None and rule_row.state == "fired"
