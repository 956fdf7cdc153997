"""Price storage: mappings, printings and price points of one snapshot unit in one transaction."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.ingest import IngestCounts, IngestUnit, Observation
from core.mapping import PrintingKey
from core.models import utcnow
from core.prices import CURRENCIES, epoch, invalid_reason, to_cents
from storage.sql import chunks, insert_ignore
from storage.tables import cards, data_sources, ingest_runs, price_history, printings, source_products

_PRICE_COLUMNS = ("market_cents", "low_cents", "mid_cents", "high_cents", "direct_low_cents", "sample_size")


@dataclass(frozen=True)
class MappingRow:
    id: int
    printing_id: int | None
    is_override: bool
    values: tuple


class SqlPriceStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._source_ids: dict[str, int] = {}

    async def source_id(self, name: str, conn: AsyncConnection | None = None) -> int:
        if name in self._source_ids:
            return self._source_ids[name]
        if conn is None:
            async with self._engine.begin() as own:
                return await self.source_id(name, own)
        await conn.execute(insert_ignore(conn, data_sources).values(name=name))
        found = (await conn.execute(select(data_sources.c.id).where(data_sources.c.name == name))).scalar_one()
        self._source_ids[name] = found
        return found

    async def ingest(self, unit: IngestUnit) -> IngestCounts:
        """Store one unit atomically; a crash or error inside leaves the database as it was."""
        counts = IngestCounts(units=1)
        async with self._engine.begin() as conn:
            source_id = await self.source_id(unit.source, conn)
            ts = epoch(unit.snapshot_ts)
            if not await self._claim(conn, source_id, unit, ts):
                return IngestCounts(skipped_units=1)
            mappings = await self._apply_mappings(conn, source_id, unit.observations)
            points = self._points(unit.observations, mappings, counts)
            await self._upsert_points(conn, source_id, ts, points, counts)
            await conn.execute(
                update(ingest_runs)
                .where(and_(ingest_runs.c.source_id == source_id, ingest_runs.c.unit == unit.unit,
                            ingest_runs.c.snapshot_ts == ts))
                .values(inserted=counts.inserted, updated=counts.updated, unchanged=counts.unchanged,
                        invalid=counts.invalid, unmatched=counts.unmatched, finished_at=utcnow())
            )
        return counts

    async def _claim(self, conn: AsyncConnection, source_id: int, unit: IngestUnit, ts: int) -> bool:
        """The ledger row: a second collector (or a re-run) finds the unit done and skips it."""
        row = {"source_id": source_id, "unit": unit.unit[:64], "snapshot_ts": ts, "finished_at": utcnow()}
        result = await conn.execute(insert_ignore(conn, ingest_runs).values(**row))
        return result.rowcount == 1 or unit.force

    # ------------------------------------------------------------ mappings and printings

    async def _apply_mappings(
        self, conn: AsyncConnection, source_id: int, observations: list[Observation]
    ) -> dict[tuple[str, str], int | None]:
        """Upsert source_products; manual overrides win over the mapper. Returns key -> printing id."""
        existing = await self._existing_mappings(conn, source_id, {o.external_id for o in observations})
        printing_ids = await self.ensure_printings(conn, [o.match.key for o in observations if o.match.key])
        now = utcnow()
        result: dict[tuple[str, str], int | None] = {}
        to_insert, to_update = [], []
        for obs in observations:
            key = (obs.external_id, obs.sub_type)
            if key in result:
                continue
            old = existing.get(key)
            if old is not None and old.is_override:
                result[key] = old.printing_id
                continue
            printing_id = printing_ids.get(obs.match.key) if obs.match.key else None
            reason = obs.match.reason if obs.match.key is None else (None if printing_id else "card not in catalog")
            values = (printing_id, obs.product_name[:300], obs.group_ref[:64], obs.match.confidence,
                      obs.match.method[:32], reason)
            result[key] = printing_id
            row = dict(zip(("printing_id", "product_name", "group_ref", "confidence", "method", "unmatched_reason"),
                           values), updated_at=now)
            if old is None:
                to_insert.append({**row, "source_id": source_id, "external_id": key[0][:64], "sub_type": key[1][:64]})
            elif old.values != values:
                to_update.append({**row, "b_id": old.id})
        if to_insert:
            await conn.execute(insert_ignore(conn, source_products), to_insert)
        if to_update:
            cols = ("printing_id", "product_name", "group_ref", "confidence", "method", "unmatched_reason", "updated_at")
            await conn.execute(
                update(source_products).where(source_products.c.id == bindparam("b_id"))
                .values({c: bindparam(c) for c in cols}),
                to_update,
            )
        return result

    async def _existing_mappings(
        self, conn: AsyncConnection, source_id: int, external_ids: set[str]
    ) -> dict[tuple[str, str], MappingRow]:
        sp = source_products.c
        found: dict[tuple[str, str], MappingRow] = {}
        for chunk in chunks(sorted(external_ids)):
            rows = await conn.execute(
                select(sp.id, sp.external_id, sp.sub_type, sp.printing_id, sp.is_override, sp.product_name,
                       sp.group_ref, sp.confidence, sp.method, sp.unmatched_reason)
                .where(sp.source_id == source_id, sp.external_id.in_(chunk))
            )
            for r in rows:
                values = (r.printing_id, r.product_name, r.group_ref, r.confidence, r.method, r.unmatched_reason)
                found[(r.external_id, r.sub_type)] = MappingRow(r.id, r.printing_id, r.is_override, values)
        return found

    async def ensure_printings(self, conn: AsyncConnection, keys: list[PrintingKey]) -> dict[PrintingKey, int]:
        """Printing ids for (card, finish, variant), creating the printings that do not exist yet."""
        wanted = set(keys)
        if not wanted:
            return {}
        card_ids: dict[str, int] = {}
        for chunk in chunks(sorted({k.card_id for k in wanted})):
            rows = await conn.execute(select(cards.c.id, cards.c.canonical_id).where(cards.c.canonical_id.in_(chunk)))
            card_ids.update({r.canonical_id: r.id for r in rows})
        known = {k for k in wanted if k.card_id in card_ids}
        found = await self._printing_ids(conn, card_ids, known)
        missing = [k for k in known if k not in found]
        if missing:
            await conn.execute(
                insert_ignore(conn, printings),
                [{"card_id": card_ids[k.card_id], "finish": k.finish.value, "variant": k.variant} for k in missing],
            )
            found = await self._printing_ids(conn, card_ids, known)
        return found

    async def _printing_ids(
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
                key = PrintingKey(by_card[r.card_id], r.finish, r.variant)  # Finish is a StrEnum: equal to its value
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
            printing_id = mappings.get((obs.external_id, obs.sub_type))
            if printing_id is None:
                counts.unmatched += 1
                counts.reasons[f"unmatched: {_reason_class(obs)}"] += 1
                continue
            if obs.quote is None:
                continue
            reason = invalid_reason(obs.quote)
            key = (printing_id, obs.quote.condition, CURRENCIES.get(obs.quote.currency, 0))
            if reason is None and key in points:
                reason = "two products map to one printing"
            if reason:
                counts.invalid += 1
                counts.reasons[f"invalid: {reason}"] += 1
                continue
            q = obs.quote
            points[key] = (to_cents(q.market), to_cents(q.low), to_cents(q.mid), to_cents(q.high),
                           to_cents(q.direct_low), q.sample_size)
        return points

    async def _upsert_points(
        self, conn: AsyncConnection, source_id: int, ts: int, points: dict[tuple[int, int, int], tuple],
        counts: IngestCounts,
    ) -> None:
        existing = await self._existing_points(conn, source_id, ts, points)
        to_insert, to_update = [], []
        for (printing_id, condition, currency), values in points.items():
            old = existing.get((printing_id, condition, currency))
            row = dict(zip(_PRICE_COLUMNS, values))
            if old is None:
                to_insert.append({**row, "printing_id": printing_id, "source_id": source_id, "condition": condition,
                                  "currency": currency, "ts": ts})
            elif old != values:
                to_update.append({**row, "b_printing": printing_id, "b_condition": condition, "b_currency": currency})
            else:
                counts.unchanged += 1
        if to_insert:
            await conn.execute(insert_ignore(conn, price_history), to_insert)
        if to_update:
            ph = price_history.c
            await conn.execute(
                update(price_history)
                .where(ph.printing_id == bindparam("b_printing"), ph.source_id == source_id,
                       ph.condition == bindparam("b_condition"), ph.currency == bindparam("b_currency"), ph.ts == ts)
                .values({c: bindparam(c) for c in _PRICE_COLUMNS}),
                to_update,
            )
        counts.inserted += len(to_insert)
        counts.updated += len(to_update)

    async def _existing_points(
        self, conn: AsyncConnection, source_id: int, ts: int, points: dict[tuple[int, int, int], tuple]
    ) -> dict[tuple[int, int, int], tuple]:
        """Point lookups on the full primary key: cheap even when the table holds years of history."""
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for printing_id, condition, currency in points:
            groups[(condition, currency)].append(printing_id)
        ph = price_history.c
        found: dict[tuple[int, int, int], tuple] = {}
        for (condition, currency), ids in groups.items():
            for chunk in chunks(sorted(ids)):
                rows = await conn.execute(
                    select(ph.printing_id, *(ph[c] for c in _PRICE_COLUMNS)).where(
                        ph.printing_id.in_(chunk), ph.source_id == source_id, ph.condition == condition,
                        ph.currency == currency, ph.ts == ts,
                    )
                )
                for r in rows:
                    found[(r[0], condition, currency)] = tuple(r[1:])
        return found


def _reason_class(obs: Observation) -> str:
    reason = obs.match.reason or "card not in catalog"
    return reason.split(":")[0].split(" in ")[0][:60]


def as_dict(row: Any) -> dict[str, Any]:
    return dict(row._mapping)
