"""Benchmark: 100,000 active rules against a 60,000-printing snapshot through the real evaluation
(set-wise SQL + state changes + outbox rows, in one transaction) next to a raw SQL join with a covering
index on the same data; and outbox delivery throughput with a recording notifier.

Run: .venv/bin/python tests/bench/bench_alerts.py   (needs ../shared/data; ~1 min)
"""
from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench import bench_ingest as base  # noqa: E402
from core.delivery import Deliverer, DeliveryPolicy  # noqa: E402
from storage.alert_eval import _series_candidates, _threshold_candidates, evaluate  # noqa: E402
from storage.db import create_engine  # noqa: E402
from storage.outbox_repo import SqlOutbox  # noqa: E402
from storage.price_repo import SqlPriceStore  # noqa: E402
from storage.rules_repo import SqlRules  # noqa: E402
from tests.fakes import FakeNotifier, FixedClock  # noqa: E402

RULES = 100_000
USERS = 5_000
FIRE_SHARE = 0.05
RAW_JOIN = (
    "SELECT r.id FROM alert_rules r JOIN latest_prices lp ON lp.printing_id = r.printing_id "
    "AND lp.condition = r.condition AND lp.currency = r.currency "
    "WHERE r.active = 1 AND ((r.kind = 'below' AND lp.market_cents <= r.threshold_cents) "
    "OR (r.kind = 'above' AND lp.market_cents >= r.threshold_cents))"
)


def build(db: Path, ids: list[int]) -> None:
    con = base.connect_raw(db)
    ts = int(base.DAY.timestamp())
    con.execute("BEGIN")
    con.executemany("INSERT INTO latest_prices (printing_id, source_id, condition, currency, ts, market_cents, "
                    "prev_ts, prev_market_cents) VALUES (?,1,0,1,?,?,?,?)",
                    [(pid, ts, base.price(i, 0), ts - 86400, base.price(i, -1)) for i, pid in enumerate(ids)])
    con.executemany("INSERT INTO users (id, display_name, locale, created_at) VALUES (?, '', 'en', '2026-11-01')",
                    [(u,) for u in range(1, USERS + 1)])
    random.seed(11)
    rules = []
    for rule_id in range(1, RULES + 1):
        i = random.randrange(len(ids))
        market = base.price(i, 0)
        kind = "below" if rule_id % 2 else "above"
        fires = random.random() < FIRE_SHARE
        if kind == "below":
            threshold = market + 1 if fires else max(market // 2, 1)
        else:
            threshold = market - 1 if fires else market * 2
        rules.append((rule_id, 1 + rule_id % USERS, ids[i], kind, threshold))
    con.executemany("INSERT INTO alert_rules (id, user_id, printing_id, condition, currency, kind, threshold_cents, "
                    "rearm_margin_bp, cooldown_s, confirm_snapshots, state, pending_count, active, target_platform, "
                    "target_id, created_at) VALUES (?,?,?,0,1,?,?,200,21600,1,'armed',0,1,'console','x','2026-11-01')",
                    rules)
    con.execute("CREATE INDEX ix_bench_rules_covering ON alert_rules (printing_id, condition, currency, active, kind, "
                "threshold_cents)")
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()


async def main() -> None:
    base.WORK.mkdir(exist_ok=True)
    keys = await base.build_base(base.WORK / "ab-base.db")
    ids = base.printing_ids(base.WORK / "ab-base.db", keys)
    db = base.fresh_copy(base.WORK / "ab-base.db", base.WORK / "alerts.db")
    build(db, ids)

    raw = sqlite3.connect(db)
    raw_times, fired = [], 0
    for _ in range(7):
        started = time.perf_counter()
        fired = len(raw.execute(RAW_JOIN).fetchall())
        raw_times.append((time.perf_counter() - started) * 1000)
    raw.close()

    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    ours_times, select_times = [], []
    for _ in range(5):
        async with engine.connect() as conn:
            started = time.perf_counter()
            candidates = await _threshold_candidates(conn, None) + await _series_candidates(conn, None)
            select_times.append((time.perf_counter() - started) * 1000)
    for _ in range(5):
        async with engine.connect() as conn:
            transaction = await conn.begin()
            started = time.perf_counter()
            counts = await evaluate(conn, None, base.DAY + timedelta(hours=1))
            ours_times.append((time.perf_counter() - started) * 1000)
            await transaction.rollback()  # leave the rules armed for the next round
    print(f"{RULES:,} rules, {len(ids):,} printings with a price; {fired:,} rules cross their line\n")
    print(f"{'step':<58}{'p50 ms':>9}{'max ms':>9}{'ratio':>7}")
    raw_p50 = statistics.median(raw_times)
    print(f"{'raw SQL join, covering index (finds the crossings)':<58}{raw_p50:9.1f}{max(raw_times):9.1f}{1:7.2f}")
    print(f"{'evaluation queries (rules whose state changes, as rows)':<58}{statistics.median(select_times):9.1f}"
          f"{max(select_times):9.1f}{statistics.median(select_times) / raw_p50:7.2f}")
    print(f"  ({len(candidates):,} candidate rows)")
    print(f"{'evaluate(): crossings + state changes + outbox rows':<58}{statistics.median(ours_times):9.1f}"
          f"{max(ours_times):9.1f}{statistics.median(ours_times) / raw_p50:7.2f}")
    print(f"  (fired {counts.fired:,} alerts in that one transaction)")

    async with engine.begin() as conn:
        await evaluate(conn, None, base.DAY + timedelta(hours=1))
    steady = []
    for _ in range(5):  # the usual case after an ingest: the crossings have fired, nothing changes state
        async with engine.connect() as conn:
            started = time.perf_counter()
            again = await evaluate(conn, None, base.DAY + timedelta(hours=2))
            steady.append((time.perf_counter() - started) * 1000)
    print(f"{'evaluate() again, same prices (nothing changes state)':<58}{statistics.median(steady):9.1f}"
          f"{max(steady):9.1f}{statistics.median(steady) / raw_p50:7.2f}")
    print(f"  (fired {again.fired} this time)")
    clock = FixedClock(base.DAY + timedelta(hours=2))
    notifier = FakeNotifier()
    worker = Deliverer(SqlOutbox(engine), SqlRules(engine, SqlPriceStore(engine)), {"console": notifier},
                       DeliveryPolicy(batch=500), clock)
    started = time.perf_counter()
    report = await worker.drain()
    elapsed = time.perf_counter() - started
    print(f"\ndelivery: {report.sent:,} messages through the outbox in {elapsed:.2f} s = {report.sent / elapsed:,.0f}/s "
          f"(claim with lease, send, mark sent, log; SQLite, one worker, recording notifier)")
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
