"""API keys on SQLite and PostgreSQL: hashed at rest, owner-only, revoked at once, following the person."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core.alerts import RuleError
from core.api_keys import ApiKeyService, hash_key
from storage.accounts_repo import SqlAccounts, SqlPrivacy
from storage.api_keys_repo import SqlApiKeys
from storage.price_repo import SqlPriceStore
from storage.tables import api_keys
from tests.fakes import FixedClock
from tests.storage.test_alert_service import ALICE, ALICE_TG, BOB


@pytest.fixture
async def keys(engine):
    clock = FixedClock(datetime(2026, 11, 28, 9, tzinfo=timezone.utc))
    accounts = SqlAccounts(engine, SqlPriceStore(engine, clock=clock))

    async def user_of(caller):
        return await accounts.user_for(caller.platform, caller.user_id, caller.display_name)

    return {"service": ApiKeyService(SqlApiKeys(engine), user_of, max_keys_per_user=2, clock=clock),
            "accounts": accounts, "engine": engine, "clock": clock}


async def test_a_key_is_stored_only_as_its_hash_and_authenticates_as_its_owner(keys):
    service, engine = keys["service"], keys["engine"]
    key_id, key = await service.create(ALICE, "spreadsheet")
    assert key.startswith("tk_") and len(key) > 40
    async with engine.connect() as conn:
        stored = (await conn.execute(select(api_keys))).one()._mapping
    assert key not in {str(v) for v in stored.values()} and stored["key_hash"] == hash_key(key)
    assert await service.authenticate(key) == (key_id, ALICE)
    (info,) = await service.list(ALICE)
    assert info.name == "spreadsheet" and info.hint.startswith("tk_") and key not in info.hint
    assert info.last_used_at == keys["clock"]()


async def test_unknown_malformed_and_revoked_keys_do_not_authenticate(keys):
    service = keys["service"]
    key_id, key = await service.create(ALICE)
    assert await service.authenticate(None) is None and await service.authenticate("") is None
    assert await service.authenticate("tk_" + "x" * 43) is None and await service.authenticate("Bearer abc") is None
    with pytest.raises(LookupError, match="No API key #"):
        await service.revoke(BOB, key_id)  # not Bob's
    assert await service.authenticate(key) is not None
    await service.revoke(ALICE, key_id)
    assert await service.authenticate(key) is None and await service.list(ALICE) == []
    with pytest.raises(LookupError):
        await service.revoke(ALICE, key_id)  # already gone


async def test_each_person_holds_a_limited_number_of_keys(keys):
    service = keys["service"]
    await service.create(ALICE)
    second, _ = await service.create(ALICE)
    with pytest.raises(ValueError, match="limit is 2"):
        await service.create(ALICE)
    await service.create(BOB)  # Bob has his own allowance
    await service.revoke(ALICE, second)
    await service.create(ALICE)
    with pytest.raises(RuleError, match="50 characters"):
        await service.create(ALICE, "x" * 51)


async def test_last_used_is_written_at_most_once_a_minute(keys):
    service, clock = keys["service"], keys["clock"]
    _, key = await service.create(ALICE)
    await service.authenticate(key)
    first = (await service.list(ALICE))[0].last_used_at
    clock.advance(seconds=30)
    await service.authenticate(key)
    assert (await service.list(ALICE))[0].last_used_at == first
    clock.advance(seconds=31)
    await service.authenticate(key)
    assert (await service.list(ALICE))[0].last_used_at == first + timedelta(seconds=61)


async def test_keys_follow_a_linked_person_and_go_when_they_forget(keys):
    service, accounts, engine = keys["service"], keys["accounts"], keys["engine"]
    tg_key_id, tg_key = await service.create(ALICE_TG, "from telegram")
    code_owner = await accounts.user_for(ALICE.platform, ALICE.user_id)
    from core.alert_service import AlertService  # linking is the alert service's use case

    link = AlertService(accounts, None, None)
    code = await link.start_link(ALICE)
    await link.finish_link(ALICE_TG, code)  # Alice's Telegram identity merges into her Discord person
    assert [k.id for k in await service.list(ALICE)] == [tg_key_id]
    key_id, caller = await service.authenticate(tg_key)
    assert (key_id, caller.platform, caller.user_id) == (tg_key_id, "telegram", "9001")  # alerts still go to Telegram
    data = await SqlPrivacy(engine).export(code_owner)
    assert [k["name"] for k in data["api_keys"]] == ["from telegram"] and "key_hash" not in data["api_keys"][0]
    await SqlPrivacy(engine).forget(code_owner)
    assert await service.authenticate(tg_key) is None
