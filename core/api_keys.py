"""API keys for the HTTP API: issued from chat, shown once, stored only as a hash, acting as their owner.

A key remembers the chat identity that asked for it, so the API caller *is* that person: the same
watchlist and alerts, and alerts created over the API are delivered to that chat identity."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Awaitable, Callable, Protocol

from core.alert_service import Caller
from core.alerts import RuleError
from core.models import utcnow

KEY_PREFIX = "tk_"
KEY_PATTERN = re.compile(r"tk_[A-Za-z0-9_-]{40,64}")
TOUCH_EVERY = timedelta(minutes=1)  # "last used" is for people: one write a minute per key is plenty


def new_key() -> str:
    """tk_ + 256 random bits, URL-safe: fits a header, a query string and a spreadsheet cell."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """SHA-256 is enough: keys are random (no dictionary to guess from), so no slow hash is needed."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_hint(key: str) -> str:
    """What a list shows so people can tell keys apart without revealing them."""
    return f"{key[:7]}…{key[-4:]}"


@dataclass(frozen=True)
class ApiKeyInfo:
    id: int
    name: str
    hint: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class KeyOwner:
    key_id: int
    user_id: int
    platform: str
    platform_user_id: str
    display_name: str
    last_used_at: datetime | None


class ApiKeysPort(Protocol):
    async def create(self, user_id: int, caller_platform: str, caller_id: str, name: str, key_hash: str,
                     hint: str, limit: int) -> int: ...
    async def list(self, user_id: int) -> list[ApiKeyInfo]: ...
    async def revoke(self, user_id: int, key_id: int) -> None: ...
    async def owner(self, key_hash: str) -> KeyOwner | None: ...
    async def touch(self, key_id: int, when: datetime) -> None: ...


class ApiKeyService:
    def __init__(self, port: ApiKeysPort, user_of: Callable[[Caller], Awaitable[int]], max_keys_per_user: int = 5,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._port = port
        self._user_of = user_of
        self.max_keys_per_user = max_keys_per_user
        self._clock = clock

    async def create(self, caller: Caller, name: str | None = None) -> tuple[int, str]:
        """A new key for the caller; the only time the key itself exists outside the caller's hands."""
        label = (name or "").strip() or "api key"
        if len(label) > 50:
            raise RuleError("Give the key a name of at most 50 characters.")
        key = new_key()
        key_id = await self._port.create(await self._user_of(caller), caller.platform, caller.user_id, label,
                                         hash_key(key), key_hint(key), self.max_keys_per_user)
        return key_id, key

    async def list(self, caller: Caller) -> list[ApiKeyInfo]:
        return await self._port.list(await self._user_of(caller))

    async def revoke(self, caller: Caller, key_id: int) -> None:
        await self._port.revoke(await self._user_of(caller), key_id)

    async def authenticate(self, key: str | None) -> tuple[int, Caller] | None:
        """(key id, the person it acts as), or None for a missing, malformed, unknown or revoked key."""
        if not key or not KEY_PATTERN.fullmatch(key):
            return None
        owner = await self._port.owner(hash_key(key))
        if owner is None:
            return None
        now = self._clock()
        if owner.last_used_at is None or now - owner.last_used_at >= TOUCH_EVERY:
            await self._port.touch(owner.key_id, now)
        return owner.key_id, Caller(owner.platform, owner.platform_user_id, owner.display_name)
