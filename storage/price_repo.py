"""Price storage: mappings, printings and price points of one snapshot unit in one transaction.

Hot path (a daily snapshot of ~60k points): mappings and printing ids are cached in memory and only
new or changed ones are written; points go in with INSERT .. ON CONFLICT DO NOTHING RETURNING, and
only the rows that already existed are compared and updated. Caches are updated after commit only."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from hashlib import blake2b
from typing import Callable, NamedTuple
from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.ingest import IngestCounts, IngestUnit, Observation
from core.mapping import PrintingKey
from core.models import Finish, utcnow
from core.prices import CURRENCIES, epoch, quote_cents
from storage.alert_eval import evaluate_snapshot
from storage.gc_pause import gc_paused
from storage.sql import chunks, insert_ignore, insert_ignore_for
from storage.tables import cards, data_sources, ingest_runs, price_history, printings, source_products

_PRICE_COLUMNS = ("market_cents", "low_cents", "mid_cents", "high_cents", "direct_low_cents", "sample_size")
_MAPPING_COLUMNS = ("printing_id", "product_name", "group_ref", "confidence", "method", "unmatched_reason")
_RUN_COLUMNS = ("source_id", "unit", "snapshot_ts", "inserted", "updated", "unchanged", "invalid", "unmatched",
                "finished_at")
MAPPING_CACHE_TTL_S = 600.0  # mappings other collectors wrote; manual overrides are re-read every snapshot
# Resolving more printing keys than this loads every printing id at once (a first collection, a new source);
# fewer (a normal day's new products, a watchlist entry) are looked up by card.
WARM_PRINTINGS_ABOVE = 2_000
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


class MappingRow(NamedTuple):
    """What a collection run keeps of a source_products row (a tuple: 60k of them load at the start of every
    collection; no names, which were two thirds of the read)."""

    id: int
    printing_id: int | None
    fingerprint: int | None


@lru_cache(maxsize=2)
def _record_run_statement(dialect: str):  # noqa: ANN202 - a dialect Insert
    """Built once per dialect: building an Insert and its values cost ~0.5 ms, once per unit."""
    return insert_ignore_for(dialect, ingest_runs).values({c: bindparam(c) for c in _RUN_COLUMNS})


def mapping_fingerprint(obs: Observation) -> int:
    """A stable signed 64-bit digest of the mapper's verdict on a product and of the row it writes: the
    printing key (or why there is none), product name, group, confidence and method."""
    match = obs.match
    verdict = f"{match.key[0]}\x1f{match.key[1]}\x1f{match.key[2]}" if match.key else f"\x1e{match.reason}"
    text = f"{verdict}\x1f{obs.product_name[:300]}\x1f{obs.group_ref[:64]}\x1f{match.confidence!r}\x1f{match.method[:32]}"
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


class _DoneMeanwhile(Exception):
    """Another collector recorded the unit while this one worked on it: roll back, report skipped."""


@dataclass
class _Pending:
    """Cache updates that become true only if the unit's transaction commits."""

    mappings: dict[tuple[str, str], tuple[int | None, int]] = field(default_factory=dict)  # printing, fingerprint
    printings: dict[PrintingKey, int] = field(default_factory=dict)
    new_mapping_keys: list[tuple[str, str]] = field(default_factory=list)


class SqlPriceStore:
    def __init__(self, engine: AsyncEngine, *, evaluate_alerts: bool = True,
                 alert_max_age: timedelta = timedelta(days=3), clock: Callable[[], datetime] = utcnow) -> None:
        """`alert_max_age`: snapshots older than that (backfills) are stored without alerting anyone."""
        self._engine = engine
        self._evaluate_alerts = evaluate_alerts
        self._alert_max_age = alert_max_age
        self._clock = clock
        self._source_ids: dict[str, int] = {}
        self._mappings: dict[int, dict[tuple[str, str], MappingRow]] = {}
        self._mappings_loaded_at: dict[int, float] = {}
        self._printing_ids: dict[PrintingKey, int] = {}
        self._printings_warm = False
        self._done_units: dict[tuple[int, int], set[str]] = {}
        self._overrides: dict[tuple[int, int], dict[tuple[str, str], int | None]] = {}

    def forget_mappings(self) -> None:
        """Drop the mapping cache (after a manual override in this process)."""
        self._mappings.clear()
        self._mappings_loaded_at.clear()
        self._overrides.clear()

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
        pending = _Pending()
        try:
            async with self._engine.begin() as conn:
                source_id = await self.source_id(unit.source, conn)
                ts = epoch(unit.snapshot_ts)
                if not unit.force and await self._is_done(conn, source_id, unit.unit[:64], ts):
                    return IngestCounts(skipped_units=1)
                mappings = await self._apply_mappings(conn, source_id, ts, unit.observations, pending)
                points = self._points(unit.observations, mappings, counts)
                await self._upsert_points(conn, source_id, ts, points, counts)
                if points and self._evaluate_alerts and self._clock() - unit.snapshot_ts <= self._alert_max_age:
                    # Same transaction: a rule's state change and its outbox row commit with the price.
                    evaluated = await evaluate_snapshot(conn, sorted({p for p, _, _ in points}), unit.snapshot_ts)
                    counts.alerts_fired += evaluated.fired
                    counts.feed_events += evaluated.feed_events
                await self._record_run(conn, source_id, unit, ts, counts)
                new_ids = await self._new_mapping_ids(conn, source_id, pending)
        except _DoneMeanwhile:
            return IngestCounts(skipped_units=1)
        self._commit_cache(source_id, pending, new_ids)
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

    # ------------------------------------------------------------ mappings

    async def _mapping_cache(self, conn: AsyncConnection, source_id: int) -> dict[tuple[str, str], MappingRow]:
        loaded = self._mappings_loaded_at.get(source_id)
        if loaded is None or time.monotonic() - loaded > MAPPING_CACHE_TTL_S:
            sp = source_products.c
            with gc_paused():
                rows = await conn.execute(
                    select(sp.external_id, sp.sub_type, sp.id, sp.printing_id, sp.fingerprint)
                    .where(sp.source_id == source_id)
                )
                # .all(): one fetchall (iterating a result calls fetchone per row)
                self._mappings[source_id] = {(r[0], r[1]): MappingRow(r[2], r[3], r[4]) for r in rows.all()}
            self._mappings_loaded_at[source_id] = time.monotonic()
        return self._mappings[source_id]

    async def _overrides_for(self, conn: AsyncConnection, source_id: int, ts: int) -> dict[tuple[str, str], int | None]:
        """Manual fixes of this source, read once per snapshot (a handful of rows, one indexless scan of
        ~10 ms): one made from the CLI, in another process, applies from the next snapshot on."""
        found = self._overrides.get((source_id, ts))
        if found is None:
            if len(self._overrides) > 16:
                self._overrides.clear()
            sp = source_products.c
            rows = await conn.execute(select(sp.external_id, sp.sub_type, sp.printing_id)
                                      .where(sp.source_id == source_id, sp.is_override.is_(True)))
            found = self._overrides[(source_id, ts)] = {(r[0], r[1]): r[2] for r in rows.all()}
        return found

    async def _apply_mappings(
        self, conn: AsyncConnection, source_id: int, ts: int, observations: list[Observation], pending: _Pending
    ) -> dict[tuple[str, str], int | None]:
        """key -> printing id. A product the mapper judges as before keeps its stored printing; new, changed or
        still unresolved ones are resolved and written (never over a manual override)."""
        overrides = await self._overrides_for(conn, source_id, ts)
        cache = await self._mapping_cache(conn, source_id)
        result: dict[tuple[str, str], int | None] = {}
        to_resolve: list[tuple[tuple[str, str], Observation, int, MappingRow | None]] = []
        for obs in observations:
            key = (obs.external_id[:64], obs.sub_type[:64])
            if key in result:
                continue
            if key in overrides:
                result[key] = overrides[key]
                continue
            fingerprint = mapping_fingerprint(obs)
            old = cache.get(key)
            # A matched product whose card was missing is looked up again: the catalog may have it now.
            if old is not None and old.fingerprint == fingerprint and (old.printing_id or obs.match.key is None):
                result[key] = old.printing_id
                continue
            result[key] = None
            to_resolve.append((key, obs, fingerprint, old))
        if to_resolve:
            await self._write_mappings(conn, source_id, to_resolve, result, pending)
        return result

    async def _write_mappings(
        self, conn: AsyncConnection, source_id: int, to_resolve: list[tuple], result: dict, pending: _Pending
    ) -> None:
        keys = [obs.match.key for _, obs, _, _ in to_resolve if obs.match.key]
        printing_ids = await self._ensure_printings(conn, keys, pending)
        now = utcnow()
        to_insert, to_update = [], []
        for key, obs, fingerprint, old in to_resolve:
            match = obs.match
            printing_id = printing_ids.get(match.key) if match.key else None
            result[key] = printing_id
            if old is not None and old.fingerprint == fingerprint and old.printing_id == printing_id:
                continue  # still not in the catalog: the row already says so
            reason = match.reason if match.key is None else (None if printing_id else "card not in catalog")
            values = (printing_id, obs.product_name[:300], obs.group_ref[:64], match.confidence, match.method[:32], reason)
            row = dict(zip(_MAPPING_COLUMNS, values), fingerprint=fingerprint, updated_at=now)
            if old is None:
                to_insert.append({**row, "source_id": source_id, "external_id": key[0], "sub_type": key[1]})
                pending.new_mapping_keys.append(key)
            else:
                to_update.append({**row, "b_id": old.id})
            pending.mappings[key] = (printing_id, fingerprint)
        if to_insert:
            await conn.execute(insert_ignore(conn, source_products), to_insert)
        if to_update:
            sp = source_products.c
            await conn.execute(
                update(source_products)
                .where(sp.id == bindparam("b_id"), sp.is_override.is_(False))  # never clobber a manual fix
                .values({c: bindparam(c) for c in (*_MAPPING_COLUMNS, "fingerprint", "updated_at")}),
                to_update,
            )

    async def _new_mapping_ids(self, conn: AsyncConnection, source_id: int, pending: _Pending) -> dict:
        if not pending.new_mapping_keys:
            return {}
        sp = source_products.c
        found = {}
        for chunk in chunks(pending.new_mapping_keys):
            rows = await conn.execute(
                select(sp.id, sp.external_id, sp.sub_type)
                .where(sp.source_id == source_id, tuple_(sp.external_id, sp.sub_type).in_(chunk))
            )
            found.update({(r[1], r[2]): r[0] for r in rows})
        return found

    def _commit_cache(self, source_id: int, pending: _Pending, new_ids: dict) -> None:
        self._printing_ids.update(pending.printings)
        cache = self._mappings.get(source_id)
        if cache is None:
            return
        for key, (printing_id, fingerprint) in pending.mappings.items():
            old = cache.get(key)
            row_id = old.id if old is not None else new_ids.get(key)
            if row_id is not None:
                cache[key] = MappingRow(row_id, printing_id, fingerprint)

    # ------------------------------------------------------------ printings

    async def ensure_printings(self, conn: AsyncConnection, keys: list[PrintingKey]) -> dict[PrintingKey, int]:
        """Printing ids for (card, finish, variant), creating missing printings. Ids created here are not
        cached: the caller's transaction may still roll back (a refused rule), and a cached id of a row
        that never committed would break every later insert that refers to it."""
        return await self._ensure_printings(conn, keys, _Pending())

    async def _warm_printings(self, conn: AsyncConnection) -> None:
        """Every printing id in one query (~70k rows for a full catalog): per-unit lookups become dict hits."""
        with gc_paused():
            rows = await conn.execute(
                select(cards.c.canonical_id, printings.c.finish, printings.c.variant, printings.c.id)
                .select_from(printings.join(cards, cards.c.id == printings.c.card_id))
            )
            self._printing_ids.update({(r[0], r[1], r[2]): r[3] for r in rows.all()})  # == PrintingKey
        self._printings_warm = True

    async def _ensure_printings(
        self, conn: AsyncConnection, keys: list[PrintingKey], pending: _Pending
    ) -> dict[PrintingKey, int]:
        if not self._printings_warm and len(keys) > WARM_PRINTINGS_ABOVE:
            await self._warm_printings(conn)
        cached = self._printing_ids
        found = {k: i for k in keys if (i := cached.get(k)) is not None}
        missing = {k for k in keys if k not in found}
        if not missing:
            return found
        card_ids: dict[str, int] = {}
        for chunk in chunks(sorted({k.card_id for k in missing})):
            rows = await conn.execute(select(cards.c.id, cards.c.canonical_id).where(cards.c.canonical_id.in_(chunk)))
            card_ids.update({r.canonical_id: r.id for r in rows})
        known = {k for k in missing if k.card_id in card_ids}
        loaded = await self._load_printings(conn, card_ids, known)
        absent = [k for k in known if k not in loaded]
        if absent:
            await conn.execute(
                insert_ignore(conn, printings),
                [{"card_id": card_ids[k.card_id], "finish": k.finish.value, "variant": k.variant} for k in absent],
            )
            loaded = await self._load_printings(conn, card_ids, known)
        pending.printings.update(loaded)
        found.update(loaded)
        return found

    async def _load_printings(
        self, conn: AsyncConnection, card_ids: dict[str, int], keys: set[PrintingKey]
    ) -> dict[PrintingKey, int]:
        by_card = {v: k for k, v in card_ids.items()}
        found: dict[PrintingKey, int] = {}
        for chunk in chunks(sorted({card_ids[k.card_id] for k in keys})):
            rows = await conn.execute(
                select(printings.c.id, printings.c.card_id, printings.c.finish, printings.c.variant)
                .where(printings.c.card_id.in_(chunk))
            )
            for r in rows:
                key = PrintingKey(by_card[r.card_id], Finish(r.finish), r.variant)
                if key in keys:
                    found[key] = r.id
        return found

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

