"""Source product -> printing mappings of one collector: cached, compared by fingerprint, written when changed.

A daily snapshot lists ~60k products, nearly all mapped as the day before: each is compared by a digest of
the mapper's verdict, and only new or changed ones are resolved and written. What a unit wrote becomes
the cache only after its transaction commits (`Pending`, `commit`)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import NamedTuple

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.ingest import Observation
from core.mapping import PrintingKey
from core.models import utcnow
from storage.gc_pause import gc_paused
from storage.printing_ids import PrintingIds
from storage.sql import chunks, insert_ignore
from storage.tables import source_products

_MAPPING_COLUMNS = ("printing_id", "product_name", "group_ref", "confidence", "method", "unmatched_reason")
MAPPING_CACHE_TTL_S = 600.0  # mappings other collectors wrote; manual overrides are re-read every snapshot


class MappingRow(NamedTuple):
    """What a collection run keeps of a source_products row (a tuple: 60k of them load at the start of every
    collection; no names, which were two thirds of the read)."""

    id: int
    printing_id: int | None
    fingerprint: int | None


def mapping_fingerprint(obs: Observation) -> int:
    """A stable signed 64-bit digest of the mapper's verdict on a product and of the row it writes: the
    printing key (or why there is none), product name, group, confidence and method."""
    match = obs.match
    verdict = f"{match.key[0]}\x1f{match.key[1]}\x1f{match.key[2]}" if match.key else f"\x1e{match.reason}"
    text = f"{verdict}\x1f{obs.product_name[:300]}\x1f{obs.group_ref[:64]}\x1f{match.confidence!r}\x1f{match.method[:32]}"
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


@dataclass
class Pending:
    """Cache updates that become true only if the unit's transaction commits."""

    mappings: dict[tuple[str, str], tuple[int | None, int]] = field(default_factory=dict)  # printing, fingerprint
    printings: dict[PrintingKey, int] = field(default_factory=dict)
    new_mapping_keys: list[tuple[str, str]] = field(default_factory=list)


class SourceMappings:
    def __init__(self, printing_ids: PrintingIds) -> None:
        self._printing_ids = printing_ids
        self._cache: dict[int, dict[tuple[str, str], MappingRow]] = {}
        self._loaded_at: dict[int, float] = {}
        self._overrides: dict[tuple[int, int], dict[tuple[str, str], int | None]] = {}

    def forget(self) -> None:
        """Drop the cache (after a manual override in this process)."""
        self._cache.clear()
        self._loaded_at.clear()
        self._overrides.clear()

    async def _cached(self, conn: AsyncConnection, source_id: int) -> dict[tuple[str, str], MappingRow]:
        loaded = self._loaded_at.get(source_id)
        if loaded is None or time.monotonic() - loaded > MAPPING_CACHE_TTL_S:
            sp = source_products.c
            with gc_paused():
                rows = await conn.execute(
                    select(sp.external_id, sp.sub_type, sp.id, sp.printing_id, sp.fingerprint)
                    .where(sp.source_id == source_id)
                )
                # .all(): one fetchall (iterating a result calls fetchone per row)
                self._cache[source_id] = {(r[0], r[1]): MappingRow(r[2], r[3], r[4]) for r in rows.all()}
            self._loaded_at[source_id] = time.monotonic()
        return self._cache[source_id]

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

    async def apply(
        self, conn: AsyncConnection, source_id: int, ts: int, observations: list[Observation], pending: Pending
    ) -> dict[tuple[str, str], int | None]:
        """key -> printing id. A product the mapper judges as before keeps its stored printing; new, changed or
        still unresolved ones are resolved and written (never over a manual override)."""
        overrides = await self._overrides_for(conn, source_id, ts)
        cache = await self._cached(conn, source_id)
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
            await self._write(conn, source_id, to_resolve, result, pending)
        return result

    async def _write(
        self, conn: AsyncConnection, source_id: int, to_resolve: list[tuple], result: dict, pending: Pending
    ) -> None:
        keys = [obs.match.key for _, obs, _, _ in to_resolve if obs.match.key]
        printing_ids = await self._printing_ids.ensure(conn, keys, pending.printings)
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

    async def new_ids(self, conn: AsyncConnection, source_id: int, pending: Pending) -> dict:
        """Row ids of the mappings this unit inserted, for `commit` (the cache keeps row ids)."""
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

    def commit(self, source_id: int, pending: Pending, new_ids: dict) -> None:
        """After the unit's transaction committed: what it wrote becomes the cache."""
        cache = self._cache.get(source_id)
        if cache is None:
            return
        for key, (printing_id, fingerprint) in pending.mappings.items():
            old = cache.get(key)
            row_id = old.id if old is not None else new_ids.get(key)
            if row_id is not None:
                cache[key] = MappingRow(row_id, printing_id, fingerprint)
