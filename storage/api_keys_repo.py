"""API keys: stored as hashes, looked up per request, revoked for good."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core.alerts import LimitReached
from core.api_keys import ApiKeyInfo, KeyOwner
from core.models import utcnow
from storage.accounts_repo import NotYours
from storage.tables import api_keys, users


class SqlApiKeys:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(self, user_id: int, caller_platform: str, caller_id: str, name: str, key_hash: str,
                     hint: str, limit: int) -> int:
        k = api_keys.c
        async with self._engine.begin() as conn:
            count = (await conn.execute(select(func.count()).select_from(api_keys).where(
                k.user_id == user_id, k.revoked_at.is_(None)))).scalar_one()
            if count >= limit:
                raise LimitReached(f"You already have {count} API keys (the limit is {limit}). Revoke one first.")
            return (await conn.execute(api_keys.insert().values(
                user_id=user_id, name=name, key_hash=key_hash, hint=hint, platform=caller_platform,
                platform_user_id=caller_id, created_at=utcnow()).returning(k.id))).scalar_one()

    async def list(self, user_id: int) -> list[ApiKeyInfo]:
        k = api_keys.c
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(k.id, k.name, k.hint, k.created_at, k.last_used_at, k.revoked_at)
                                      .where(k.user_id == user_id, k.revoked_at.is_(None)).order_by(k.id))
            return [ApiKeyInfo(*row) for row in rows]

    async def revoke(self, user_id: int, key_id: int) -> None:
        k = api_keys.c
        async with self._engine.begin() as conn:
            result = await conn.execute(update(api_keys).where(
                k.id == key_id, k.user_id == user_id, k.revoked_at.is_(None)).values(revoked_at=utcnow()))
            if result.rowcount == 0:
                raise NotYours(f"No API key #{key_id} of yours.")

    async def owner(self, key_hash: str) -> KeyOwner | None:
        k = api_keys.c
        async with self._engine.connect() as conn:
            row = (await conn.execute(
                select(k.id, k.user_id, k.platform, k.platform_user_id, users.c.display_name, k.last_used_at)
                .join_from(api_keys, users, users.c.id == k.user_id)
                .where(k.key_hash == key_hash, k.revoked_at.is_(None)))).one_or_none()
            return KeyOwner(*row) if row else None

    async def touch(self, key_id: int, when: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=when))
