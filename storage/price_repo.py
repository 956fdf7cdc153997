"""Price storage: mappings, printings and price points of one snapshot unit in one transaction.

Hot path (a daily snapshot of ~60k points): mappings (storage/source_mappings.py) and printing ids
(storage/printing_ids.py) are cached in memory and only new or changed ones are written; points go in
with INSERT .. ON CONFLICT DO NOTHING RETURNING, and only the rows that already existed are compared and
updated. Caches are updated after commit only."""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Callable

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.ingest import IngestCounts, IngestUnit, Observation
from core.mapping import PrintingKey
from core.models import utcnow
from core.prices import CURRENCIES, epoch, quote_cents
from storage.alert_eval import evaluate_snapshot
from storage.first_prices import follow_first_prices_if_any
from storage.printing_ids import PrintingIds
from storage.source_mappings import Pending, SourceMappings
from storage.sql import chunks, insert_ignore, insert_ignore_for
from storage.tables import data_sources, ingest_runs, price_history

_PRICE_COLUMNS = ("market_cents", "low_cents", "mid_cents", "high_cents", "direct_low_cents", "sample_size")
_RUN_COLUMNS = ("source_id", "unit", "snapshot_ts", "inserted", "updated", "unchanged", "invalid", "unmatched",
                "finished_at")
_LATEST_UPSERT = (
    "INSERT INTO latest_prices (printing_id, source_id, condition, currency, ts, market_cents, low_cents, "
    "mid_cents, high_cents, direct_low_cents, sample_size) VALUES ({ph}) "
    "ON CONFLICT (printing_id, source_id, condition, currency) DO UPDATE SET "
    "prev_ts = CASE WHEN excluded.ts > latest_prices.ts THEN latest_prices.ts ELSE latest_prices.prev_ts END, "
    "prev_market_cents = CASE WHEN excluded.ts > latest_prices.ts THEN latest_prices.market_cents "
    "ELSE latest_prices.prev_market_cents END, ts = excluded.ts, "
    "market_cents = excluded.market_cents, low_cents = excluded.low_cents, mid_cents = excluded.mid_cents, "
    "high_cents = excluded.high_cents, direct_low_cents = excluded.direct_low_cents, "
    "sample_size = excluded.sample_size WHERE excluded.ts >= latest_prices.ts"
)
_SQLITE_INSERT = (
    "INSERT INTO price_history (printing_id, source_id, condition, currency, ts, market_cents, low_cents, "
    "mid_cents, high_cents, direct_low_cents, sample_size) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING"
)


@lru_cache(maxsize=2)
def _record_run_statement(dialect: str):  # noqa: ANN202 - a dialect Insert
    """Built once per dialect: building an Insert and its values cost ~0.5 ms, once per unit."""
    return insert_ignore_for(dialect, ingest_runs).values({c: bindparam(c) for c in _RUN_COLUMNS})


class _DoneMeanwhile(Exception):
    """Another collector recorded the unit while this one worked on it: roll back, report skipped."""


class SqlPriceStore:
    def __init__(self, engine: AsyncEngine, *, evaluate_alerts: bool = True,
                 alert_max_age: timedelta = timedelta(days=3), clock: Callable[[], datetime] = utcnow) -> None:
        """`alert_max_age`: snapshots older than that (backfills) are stored without alerting anyone."""
        self._engine = engine
        self._evaluate_alerts = evaluate_alerts
        self._alert_max_age = alert_max_age
        self._clock = clock
        self._source_ids: dict[str, int] = {}
        self._printings = PrintingIds()
        self._mappings = SourceMappings(self._printings)
        self._done_units: dict[tuple[int, int], set[str]] = {}

    def forget_mappings(self) -> None:
        """Drop the mapping cache (after a manual override in this process)."""
        self._mappings.forget()

    async def source_id(self, name: str, conn: AsyncConnection | None = None) -> int:
        if name in self._source_ids:
            return self._source_ids[name]
        if conn is None:
            async with self._engine.begin() as own:
                return await self.source_id(name, own)
        created = (await conn.execute(insert_ignore(conn, data_sources).values(name=name))).rowcount == 1
        found = (await conn.execute(select(data_sources.c.id).where(data_sources.c.name == name))).scalar_one()
        if not created:  # a row made in this transaction may yet roll back: never cache an id that can vanish
            self._source_ids[name] = found
        return found

    async def ingest(self, unit: IngestUnit) -> IngestCounts:
        """Store one unit atomically; a crash or error inside leaves the database as it was."""
        counts = IngestCounts(units=1)
        pending = Pending()
        try:
            async with self._engine.begin() as conn:
                source_id = await self.source_id(unit.source, conn)
                ts = epoch(unit.snapshot_ts)
                if not unit.force and await self._is_done(conn, source_id, unit.unit[:64], ts):
                    return IngestCounts(skipped_units=1)
                mappings = await self._mappings.apply(conn, source_id, ts, unit.observations, pending)
                points = self._points(unit.observations, mappings, counts)
                await self._upsert_points(conn, source_id, ts, points, counts)
                if points and self._evaluate_alerts and self._clock() - unit.snapshot_ts <= self._alert_max_age:
                    # Same transaction: a rule's state change and its outbox row commit with the price.
                    evaluated = await evaluate_snapshot(conn, sorted({p for p, _, _ in points}), unit.snapshot_ts)
                    counts.alerts_fired += evaluated.fired
                    counts.feed_events += evaluated.feed_events
                elif points and self._evaluate_alerts:  # a backfill alerts no one, but shows the finish cards sell in
                    await follow_first_prices_if_any(conn, sorted({p for p, _, _ in points}))
                await self._record_run(conn, source_id, unit, ts, counts)
                new_ids = await self._mappings.new_ids(conn, source_id, pending)
        except _DoneMeanwhile:
            return IngestCounts(skipped_units=1)
        self._printings.remember(pending.printings)
        self._mappings.commit(source_id, pending, new_ids)
        self._done_units.setdefault((source_id, ts), set()).add(unit.unit[:64])
        return counts

    async def _is_done(self, conn: AsyncConnection, source_id: int, unit: str, ts: int) -> bool:
        """Whether the ledger has this unit; one query per snapshot loads every unit it has."""
        done = self._done_units.get((source_id, ts))
        if done is None:
            if len(self._done_units) > 16:
                self._done_units.clear()
            r = ingest_runs.c
            rows = await conn.execute(select(r.unit).where(r.source_id == source_id, r.snapshot_ts == ts))
            done = self._done_units[(source_id, ts)] = {row[0] for row in rows}
        return unit in done

    async def _record_run(self, conn: AsyncConnection, source_id: int, unit: IngestUnit, ts: int,
                          counts: IngestCounts) -> None:
        """The ledger row, written last: a unit some other collector finished meanwhile rolls back."""
        values = {"inserted": counts.inserted, "updated": counts.updated, "unchanged": counts.unchanged,
                  "invalid": counts.invalid, "unmatched": counts.unmatched, "finished_at": utcnow()}
        key = {"source_id": source_id, "unit": unit.unit[:64], "snapshot_ts": ts}
        if (await conn.execute(_record_run_statement(conn.dialect.name), {**key, **values})).rowcount == 1:
            return
        if not unit.force:
            raise _DoneMeanwhile
        r = ingest_runs.c
        await conn.execute(update(ingest_runs).where(*(r[k] == v for k, v in key.items())).values(**values))

    async def ensure_printings(self, conn: AsyncConnection, keys: list[PrintingKey]) -> dict[PrintingKey, int]:
        """Printing ids for (card, finish, variant), creating missing printings. Ids created here are not
        cached: the caller's transaction may still roll back (a refused rule)."""
        return await self._printings.ensure(conn, keys)

    # ------------------------------------------------------------ price points

    def _points(
        self, observations: list[Observation], mappings: dict[tuple[str, str], int | None], counts: IngestCounts
    ) -> dict[tuple[int, int, int], tuple]:
        """Validated points keyed by (printing, condition, currency); bad ones counted with their reason."""
        points: dict[tuple[int, int, int], tuple] = {}
        for obs in observations:
            printing_id = mappings.get((obs.external_id[:64], obs.sub_type[:64]))
            if printing_id is None:
                counts.unmatched += 1
                counts.reasons[f"unmatched: {_reason_class(obs)}"] += 1
                continue
            quote = obs.quote
            if quote is None:
                continue
            cents = quote_cents(quote)
            key = (printing_id, quote.condition, CURRENCIES.get(quote.currency, 0))
            if type(cents) is str or key in points:
                reason = cents if type(cents) is str else "two products map to one printing"
                counts.invalid += 1
                counts.reasons[f"invalid: {reason}"] += 1
                continue
            points[key] = (*cents, quote.sample_size)
        return points

    async def _upsert_points(
        self, conn: AsyncConnection, source_id: int, ts: int, points: dict[tuple[int, int, int], tuple],
        counts: IngestCounts,
    ) -> None:
        if not points:
            return
        # Primary-key order: each index page is visited once per unit (~5% faster into a large history),
        # and concurrent writers on PostgreSQL lock rows in one order, so they cannot deadlock on them.
        points = dict(sorted(points.items()))
        rows = [(p, source_id, c, cur, ts, *values) for (p, c, cur), values in points.items()]  # both tables' order
        if conn.dialect.name == "sqlite":
            inserted, to_compare = await self._insert_sqlite(conn, rows, points)
        else:
            inserted, to_compare = await self._insert_returning(conn, source_id, ts, points)
        counts.inserted += inserted
        if to_compare:  # a re-run or a correction: compare, update only what changed
            await self._update_existing(conn, source_id, ts, to_compare, counts, just_inserted=inserted
                                        if len(to_compare) == len(points) else 0)
        await self._upsert_latest(conn, rows)

    async def _upsert_latest(self, conn: AsyncConnection, rows: list[tuple]) -> None:
        """Keep latest_prices in step; an older snapshot (a backfill) never replaces a newer one."""
        if conn.dialect.name == "sqlite":
            await conn.exec_driver_sql(_LATEST_UPSERT.format(ph=",".join("?" * 11)), rows)
        else:
            await conn.exec_driver_sql(_LATEST_UPSERT.format(ph=",".join(f"${i}" for i in range(1, 12))), rows)

    async def _insert_sqlite(self, conn: AsyncConnection, rows: list[tuple], points: dict) -> tuple[int, dict]:
        """Straight to the driver's executemany: SQLAlchemy's per-row parameter handling would cost more
        than SQLite itself. When some rows already existed, all are compared (a row count cannot say which)."""
        result = await conn.exec_driver_sql(_SQLITE_INSERT, rows)
        inserted = result.rowcount
        return inserted, ({} if inserted == len(rows) else points)

    async def _insert_returning(self, conn: AsyncConnection, source_id: int, ts: int, points: dict) -> tuple[int, dict]:
        rows = [{**dict(zip(_PRICE_COLUMNS, values)), "printing_id": p, "source_id": source_id, "condition": c,
                 "currency": cur, "ts": ts} for (p, c, cur), values in points.items()]
        ph = price_history.c
        result = await conn.execute(
            insert_ignore(conn, price_history).returning(ph.printing_id, ph.condition, ph.currency), rows
        )
        new = {tuple(r) for r in result}
        return len(new), {k: v for k, v in points.items() if k not in new}

    async def _update_existing(
        self, conn: AsyncConnection, source_id: int, ts: int, points: dict[tuple[int, int, int], tuple],
        counts: IngestCounts, just_inserted: int = 0,
    ) -> None:
        """`just_inserted`: rows among `points` this unit itself inserted (they compare equal)."""
        ph = price_history.c
        stored: dict[tuple[int, int, int], tuple] = {}
        for chunk in chunks(list(points)):
            rows = await conn.execute(
                select(ph.printing_id, ph.condition, ph.currency, *(ph[c] for c in _PRICE_COLUMNS)).where(
                    tuple_(ph.printing_id, ph.condition, ph.currency).in_(chunk), ph.source_id == source_id,
                    ph.ts == ts,
                )
            )
            stored.update({tuple(r[:3]): tuple(r[3:]) for r in rows})
        changed = [
            {**dict(zip(_PRICE_COLUMNS, values)), "b_printing": p, "b_condition": c, "b_currency": cur}
            for (p, c, cur), values in points.items() if stored.get((p, c, cur)) != values
        ]
        if changed:
            await conn.execute(
                update(price_history)
                .where(ph.printing_id == bindparam("b_printing"), ph.source_id == source_id,
                       ph.condition == bindparam("b_condition"), ph.currency == bindparam("b_currency"), ph.ts == ts)
                .values({c: bindparam(c) for c in _PRICE_COLUMNS}),
                changed,
            )
        counts.updated += len(changed)
        counts.unchanged += len(points) - len(changed) - just_inserted


def _reason_class(obs: Observation) -> str:
    reason = obs.match.reason or "card not in catalog"
    return reason.split(":")[0].split(" in ")[0][:60]

