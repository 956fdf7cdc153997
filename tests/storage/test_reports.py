"""Price reports: people say a price looks wrong; operators see it with the products priced as that card
(SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from core.alert_service import Caller
from core.alerts import LimitReached, RuleError
from core.ingest import IngestUnit, Observation
from core.mapping import Match, PrintingKey
from core.models import Finish
from core.prices import Quote
from core.reports import MAX_OPEN_PER_PERSON, ReportService
from storage.reports_repo import SqlReports
from tests.conftest import alert_world

ALICE = Caller("telegram", "9001", "alice")
BOB = Caller("discord", "222", "bob")


@pytest.fixture
async def env(engine):
    world = await alert_world(engine)
    store, alerts, clock = world["store"], world["service"], world["clock"]
    ts = datetime(2026, 11, 26, tzinfo=timezone.utc)
    plain, jumbo = PrintingKey("sv3pt5-199", Finish.HOLOFOIL), PrintingKey("sv3pt5-199", Finish.HOLOFOIL, "jumbo")
    await store.ingest(IngestUnit("tcgcsv", "g", ts, [
        Observation("517198", "Holofoil", "Charizard ex - 199/165", "g", Match(plain, 1, "set+number+name"),
                    Quote("tcgcsv", ts, "USD", market=Decimal("81.27"))),
        Observation("517900", "Holofoil", "Charizard ex - 199/165 (Jumbo Card)", "g", Match(jumbo, 1, "set+number+name"),
                    Quote("tcgcsv", ts, "USD", market=Decimal("15.44")))]))
    return {"reports": ReportService(SqlReports(engine), alerts.user, clock), "alerts": alerts, "index": world["index"]}


async def test_a_report_reaches_the_operators_with_the_products_priced_as_that_card(env):
    reports, card = env["reports"], env["index"].get("sv3pt5-199")
    report_id, new = await reports.report(ALICE, card, "  the price   is the jumbo's ")
    assert new
    [found] = await reports.reports()
    assert (found.id, found.card_id, found.note, found.platform, found.reporter) == (
        report_id, "sv3pt5-199", "the price is the jumbo's", "telegram", "alice")
    assert found.created_at.tzinfo is not None and found.resolved_at is None
    assert [(m.source, m.external_id, m.printing, m.product_name) for m in found.mapped] == [
        ("tcgcsv", "517198", "holofoil", "Charizard ex - 199/165"),
        ("tcgcsv", "517900", "holofoil:jumbo", "Charizard ex - 199/165 (Jumbo Card)")]


async def test_reporting_the_same_card_again_updates_the_open_report_instead_of_piling_up(env):
    reports, card = env["reports"], env["index"].get("sv3pt5-199")
    first, _ = await reports.report(ALICE, card, "looks too low")
    again, new = await reports.report(ALICE, card, "it is the jumbo's price")
    assert (again, new) == (first, False)
    kept, _ = await reports.report(ALICE, card, None)  # no new words: the old note stays
    [found] = await reports.reports()
    assert (kept, found.note) == (first, "it is the jumbo's price")
    other, new = await reports.report(BOB, card, "same here")  # another person: their own report
    assert new and other != first


async def test_resolving_closes_a_report_once_and_a_new_report_may_follow(env):
    reports, card = env["reports"], env["index"].get("sv3pt5-199")
    report_id, _ = await reports.report(ALICE, card, "jumbo")
    assert await reports.resolve(report_id, "pinned 517900 to the jumbo printing")
    assert not await reports.resolve(report_id, "twice")  # already closed: nothing changes
    assert not await reports.resolve(99999)
    assert await reports.reports() == []
    [closed] = await reports.reports(include_resolved=True)
    assert closed.resolution == "pinned 517900 to the jumbo printing" and closed.resolved_at is not None
    newer, new = await reports.report(ALICE, card, "wrong again")
    assert new and newer != report_id


async def test_bad_reports_are_refused_and_change_nothing(env):
    reports, index = env["reports"], env["index"]
    with pytest.raises(RuleError, match="300 characters at most"):
        await reports.report(ALICE, index.get("sv3pt5-199"), "x" * 301)
    cards = [c for c in index.cards if c.game.value == "pokemon"][:MAX_OPEN_PER_PERSON + 1]
    for card in cards[:MAX_OPEN_PER_PERSON]:
        await reports.report(ALICE, card, "odd")
    with pytest.raises(LimitReached, match=f"the limit is {MAX_OPEN_PER_PERSON}"):
        await reports.report(ALICE, cards[-1], "one too many")
    assert len(await reports.reports()) == MAX_OPEN_PER_PERSON


async def test_reports_are_in_the_export_and_gone_with_forget(env):
    reports, alerts = env["reports"], env["alerts"]
    await reports.report(ALICE, env["index"].get("sv3pt5-199"), "the jumbo's price")
    await reports.report(BOB, env["index"].get("sv8-238"), "too high")
    exported = (await alerts.export(ALICE)).decode()
    assert '"price_reports"' in exported and "the jumbo's price" in exported and "too high" not in exported
    await alerts.forget(ALICE)
    assert [r.reporter for r in await reports.reports()] == ["bob"]
