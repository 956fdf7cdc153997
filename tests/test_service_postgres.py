"""Scale-out on real PostgreSQL: two `tcgtracker run --role deliverer` processes share one outbox and
deliver 2,000 events exactly once between them."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid

import pytest
from sqlalchemy import func, select

from core.models import utcnow
from storage import migrate
from storage.db import create_engine
from storage.sql import insert_ignore
from storage.tables import outbox
from tests.conftest import PG_URL, ROOT, postgres_unreachable_reason
from tests.storage.test_delivery import message

EVENTS = 2000
pytestmark = pytest.mark.postgres


@pytest.fixture
async def database():
    reason = await postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    name = f"tcg_scale_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.dispose()


async def wait_ready(process: asyncio.subprocess.Process) -> None:
    while b"ready:" not in (line := await asyncio.wait_for(process.stdout.readline(), 60)):
        assert line, "deliverer exited before it was ready"


async def test_two_deliverer_processes_deliver_each_event_once(database, tmp_path):
    engine = create_engine(database)
    await migrate.upgrade(engine)
    now = utcnow()
    rows = []
    for i in range(EVENTS):
        payload = message(f"ev{i}")
        payload["card_name"] = f"Event-{i:04d}"
        rows.append({"dedup_key": f"ev{i}", "target_platform": "console", "target_id": "ops", "payload": payload,
                     "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now})
    env = {**os.environ, "TCGTRACKER_DATABASE__URL": database, "TCGTRACKER_METRICS__ENABLED": "false",
           "TCGTRACKER_DELIVERY__INTERVAL_SECONDS": "1", "TCGTRACKER_DELIVERY__BATCH": "50"}
    workers = [await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", "--role", "deliverer", cwd=ROOT,
                                                    env=env, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.DEVNULL) for _ in range(2)]
    readers: list[asyncio.Task] = []
    try:
        for worker in workers:  # both polling before any event exists: on a slow machine one could drain it all
            await wait_ready(worker)
        # Read their output as it comes: a worker printing more than the pipe and the reader's buffer hold
        # (~190 KB, ~1,080 events) would block on stdout holding a leased batch, and the test would wait out
        # the lease. It did, once, when the split between the two came out uneven.
        readers = [asyncio.create_task(worker.stdout.read()) for worker in workers]
        async with engine.begin() as conn:
            await conn.execute(insert_ignore(conn, outbox), rows)
        deadline = asyncio.get_running_loop().time() + 180  # a hang guard, not a speed test (~11 s here)
        while True:
            async with engine.connect() as conn:
                left = (await conn.execute(select(func.count()).select_from(outbox).where(outbox.c.status != "sent"))).scalar_one()
            if left == 0:
                break
            assert asyncio.get_running_loop().time() < deadline, f"{left} events still waiting"
            await asyncio.sleep(0.5)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        readers = readers or [asyncio.create_task(worker.stdout.read()) for worker in workers]
        outputs = [(await asyncio.wait_for(reader, 60)).decode() for reader in readers]
        for worker in workers:
            await worker.wait()
        await engine.dispose()
    delivered = [[line for line in out.splitlines() if "Event-" in line] for out in outputs]
    names = [line.split("Event-")[1][:4] for lines in delivered for line in lines]
    assert len(names) == len(set(names)) == EVENTS  # every event once, none twice
    assert all(len(lines) > 0 for lines in delivered)  # both processes did real work
