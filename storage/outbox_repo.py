"""The outbox: claim with a lease (SKIP LOCKED on PostgreSQL), mark sent/retry/failed, log every try."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.tables import notification_log, outbox

_CLAIM = """
UPDATE outbox SET status = 'sending', lease_until = :lease_until, attempts = attempts + 1
WHERE id IN (
    SELECT id FROM outbox
    WHERE ((status = 'pending' AND next_attempt_at <= :now) OR (status = 'sending' AND lease_until < :now))
      AND target_platform IN :platforms
    ORDER BY id LIMIT :batch {lock}
)
RETURNING id, dedup_key, rule_id, feed_id, target_platform, target_id, payload, attempts
"""


@dataclass(frozen=True)
class OutboxItem:
    id: int
    dedup_key: str
    rule_id: int | None
    feed_id: int | None
    platform: str
    target_id: str
    payload: dict[str, Any]
    attempts: int


class SqlOutbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def claim(self, batch: int, lease: timedelta, now: datetime, platforms: list[str]) -> list[OutboxItem]:
        """Take up to `batch` due rows for `platforms` (those this process can send to; the others wait for
        a process that can); rows whose holder died (lease expired) come back."""
        if not platforms:
            return []
        postgres = self._engine.dialect.name == "postgresql"
        statement = text(_CLAIM.format(lock="FOR UPDATE SKIP LOCKED" if postgres else "")).bindparams(
            bindparam("platforms", expanding=True))
        params = {"lease_until": _param(now + lease, postgres), "now": _param(now, postgres), "batch": batch,
                  "platforms": sorted(platforms)}
        async with self._engine.begin() as conn:
            rows = (await conn.execute(statement, params)).all()
        return sorted((OutboxItem(r[0], r[1], r[2], r[3], r[4], r[5], _json(r[6]), r[7]) for r in rows),
                      key=lambda i: i.id)

    async def mark_sent(self, item: OutboxItem, now: datetime, detail: str | None = None) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(outbox).where(outbox.c.id == item.id)
                               .values(status="sent", sent_at=now, lease_until=None, last_error=None))
            await conn.execute(notification_log.insert().values(_log(item, "sent", detail, now)))

    async def mark_retry(self, item: OutboxItem, error: str, next_at: datetime, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(outbox).where(outbox.c.id == item.id)
                               .values(status="pending", next_attempt_at=next_at, lease_until=None, last_error=error[:2000]))
            await conn.execute(notification_log.insert().values(_log(item, "retry", error, now)))

    async def mark_failed(self, item: OutboxItem, error: str, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(outbox).where(outbox.c.id == item.id)
                               .values(status="failed", lease_until=None, last_error=error[:2000]))
            await conn.execute(notification_log.insert().values(_log(item, "failed", error, now)))

    async def depth(self, now: datetime) -> tuple[int, float | None]:
        """Rows waiting and the age in seconds of the oldest."""
        async with self._engine.connect() as conn:
            count, oldest = (await conn.execute(select(func.count(), func.min(outbox.c.created_at)).where(
                outbox.c.status.in_(("pending", "sending"))))).one()
        return count, (now - oldest).total_seconds() if oldest else None


def _param(value: datetime, postgres: bool) -> Any:
    # text() bypasses the UtcDateTime type: SQLite stores naive UTC text, PostgreSQL takes aware values.
    return value if postgres else value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _json(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    import json

    return json.loads(raw)


def _log(item: OutboxItem, status: str, detail: str | None, now: datetime) -> dict[str, Any]:
    return {"outbox_id": item.id, "rule_id": item.rule_id, "feed_id": item.feed_id, "platform": item.platform,
            "target_id": item.target_id, "status": status, "detail": (detail or "")[:2000] or None, "created_at": now}
