"""Delivery that loses nothing: retries, permanent refusals, crashes between send and mark, and two
deliverers sharing one PostgreSQL outbox."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.alerts import AlertMessage
from core.delivery import Deliverer, DeliveryFailed, DeliveryPolicy, DeliveryRefused
from storage.outbox_repo import SqlOutbox
from storage.price_repo import SqlPriceStore
from storage.rules_repo import SqlRules
from storage.sql import insert_ignore
from storage.tables import notification_log, outbox
from tests.fakes import FakeNotifier, FixedClock
from tests.storage.test_alert_service import ALICE, env  # noqa: F401 - fixture

POLICY = DeliveryPolicy(batch=50, lease=timedelta(minutes=2), max_attempts=3, backoff_base=timedelta(seconds=30))


def message(key: str, rule_id: int | None = None) -> dict:
    return AlertMessage("rule", "is at or below 90.00 USD", "sv3pt5-199", "Charizard ex", "151", "199", "Holofoil",
                        "raw (market)", "tcgcsv", "USD", "89.00 USD", "95.00 USD", "-6.32%",
                        "2026-11-27T00:00:00+00:00", "https://example.test", rule_id=rule_id, dedup_key=key).as_json()


async def enqueue(engine, clock, n: int, rule_id: int | None = None, platform: str = "console") -> None:
    rows = [{"dedup_key": f"k{i}", "rule_id": rule_id, "target_platform": platform, "target_id": f"user{i % 7}",
             "payload": message(f"k{i}", rule_id), "status": "pending", "attempts": 0, "next_attempt_at": clock(),
             "created_at": clock()} for i in range(n)]
    async with engine.begin() as conn:
        for start in range(0, n, 1000):
            await conn.execute(insert_ignore(conn, outbox), rows[start:start + 1000])


def deliverer(engine, notifier, clock) -> Deliverer:
    return Deliverer(SqlOutbox(engine), SqlRules(engine, SqlPriceStore(engine)), {"console": notifier}, POLICY, clock)


async def statuses(engine) -> dict[str, int]:
    async with engine.connect() as conn:
        return dict((await conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))).all())


async def test_transient_failure_is_retried_and_delivered_once(env):  # noqa: F811
    engine, clock = env["engine"], FixedClock()
    await enqueue(engine, clock, 1)
    notifier = FakeNotifier()
    notifier.fail_next = [DeliveryFailed("HTTP 502"), DeliveryFailed("rate limited", retry_after=120)]
    worker = deliverer(engine, notifier, clock)
    assert (await worker.drain_once()).retried == 1
    assert (await worker.drain_once()).sent == 0  # not due yet: backoff
    clock.advance(seconds=31)
    assert (await worker.drain_once()).retried == 1  # second failure asked for 120 s
    clock.advance(seconds=61)
    assert (await worker.drain_once()).sent == 0
    clock.advance(seconds=60)
    assert (await worker.drain_once()).sent == 1
    assert [k for _, m in notifier.sent for k in [m.dedup_key]] == ["k0"]
    assert await statuses(engine) == {"sent": 1}


async def test_permanent_refusal_pauses_the_rule_with_the_reason(env):  # noqa: F811
    engine, clock, service = env["engine"], FixedClock(), env["service"]
    rule = await service.add_rule(ALICE, env["index"].get("sv3pt5-199"), "below", threshold="90")
    await enqueue(engine, clock, 1, rule_id=rule)
    notifier = FakeNotifier()
    notifier.fail_next = [DeliveryRefused("Cannot send messages to this user (50007)")]
    report = await deliverer(engine, notifier, clock).drain()
    assert report.failed == 1 and not notifier.sent
    [row] = await service.rules(ALICE)
    assert not row.active and "50007" in row.paused_reason
    assert await statuses(engine) == {"failed": 1}


async def test_gives_up_after_max_attempts_without_losing_the_record(env):  # noqa: F811
    engine, clock = env["engine"], FixedClock()
    await enqueue(engine, clock, 1)
    notifier = FakeNotifier()
    notifier.fail_next = [RuntimeError("boom")] * 3
    worker = deliverer(engine, notifier, clock)
    for _ in range(3):
        await worker.drain_once()
        clock.advance(hours=1)
    assert await statuses(engine) == {"failed": 1}
    async with engine.connect() as conn:
        log = [r[0] for r in await conn.execute(select(notification_log.c.status).order_by(notification_log.c.id))]
    assert log == ["retry", "retry", "failed"]


async def test_a_crash_between_send_and_mark_resends_once_with_the_same_key(env, monkeypatch):  # noqa: F811
    engine, clock = env["engine"], FixedClock()
    await enqueue(engine, clock, 1)
    notifier = FakeNotifier()
    crashing = deliverer(engine, notifier, clock)

    async def die(*args, **kwargs):
        raise SystemExit("killed after sending")

    monkeypatch.setattr(crashing._outbox, "mark_sent", die)
    with pytest.raises(SystemExit):
        await crashing.drain_once()
    assert len(notifier.sent) == 1
    survivor = deliverer(engine, notifier, clock)
    assert (await survivor.drain_once()).sent == 0  # the dead worker's lease still holds
    clock.advance(minutes=3)
    assert (await survivor.drain_once()).sent == 1
    keys = [m.dedup_key for _, m in notifier.sent]
    assert keys == ["k0", "k0"]  # one repeat at most, recognisable by its key (Discord drops it via the nonce)
    assert (await survivor.drain()).sent == 0 and await statuses(engine) == {"sent": 1}


async def test_a_deliverer_leaves_platforms_it_cannot_send_to_for_one_that_can(env):  # noqa: F811
    """Split roles: a process without the Telegram adapter neither sends nor burns attempts on Telegram
    alerts, however long that adapter is down; the process that runs it delivers them."""
    engine, clock = env["engine"], FixedClock()
    await enqueue(engine, clock, 3, platform="telegram")
    console_only = deliverer(engine, FakeNotifier(), clock)
    for _ in range(POLICY.max_attempts + 2):
        report = await console_only.drain_once()
        assert (report.sent, report.retried, report.failed) == (0, 0, 0)
        clock.advance(seconds=3600)
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.max(outbox.c.attempts)))).scalar() == 0
    telegram = FakeNotifier()
    with_telegram = Deliverer(SqlOutbox(engine), SqlRules(engine, SqlPriceStore(engine)),
                              {"console": FakeNotifier(), "telegram": telegram}, POLICY, clock)
    assert (await with_telegram.drain()).sent == 3 and await statuses(engine) == {"sent": 3}
    assert sorted(m.dedup_key for _, m in telegram.sent) == ["k0", "k1", "k2"]


@pytest.mark.postgres
async def test_two_deliverers_share_the_outbox_exactly_once(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED sharing is a PostgreSQL feature; SQLite runs one deliverer")
    from storage.db import create_engine

    clock = FixedClock()
    await enqueue(engine, clock, 5000)
    notifier = FakeNotifier()
    url = engine.url.render_as_string(hide_password=False)
    async with engine.connect() as conn:
        schema = (await conn.exec_driver_sql("SELECT current_schema()")).scalar()
    second = create_engine(url, connect_args={"server_settings": {"search_path": schema}})
    try:
        reports = await asyncio.gather(deliverer(engine, notifier, clock).drain(),
                                       deliverer(second, notifier, clock).drain())
    finally:
        await second.dispose()
    keys = [m.dedup_key for _, m in notifier.sent]
    assert len(keys) == len(set(keys)) == 5000
    assert all(r.sent > 0 for r in reports)  # both really worked
    assert await statuses(engine) == {"sent": 5000}
