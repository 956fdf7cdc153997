"""A fake Discord REST API on loopback that records what discord.py sends, plus interaction payloads.

discord.py's own HTTP client (rate limiter, JSON and multipart encoding) talks to this server; tests
feed real INTERACTION_CREATE payloads into the real command tree and read back what a user would see."""
from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

APP_ID = 900000000000000001
BOT_ID = 900000000000000002
GUILD_ID = 800000000000000001
CHANNEL_ID = 800000000000000002
_ids = itertools.count(1_000_000_000_000_000_000)


def user(user_id: int, name: str) -> dict[str, Any]:
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name.title(), "avatar": None}


def message(channel_id: int | str, content: str | None = None, embeds: list | None = None, flags: int = 0) -> dict:
    return {"id": str(next(_ids)), "channel_id": str(channel_id), "type": 0, "content": content or "",
            "author": user(BOT_ID, "tcgtracker"), "attachments": [], "embeds": embeds or [], "mentions": [],
            "mention_roles": [], "pinned": False, "mention_everyone": False, "tts": False,
            "timestamp": "2026-11-27T12:00:00+00:00", "edited_timestamp": None, "flags": flags, "components": []}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py only parses bodies whose Content-Type is exactly application/json (no charset)."""
    return web.Response(body=json.dumps(body).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


@dataclass
class Call:
    method: str
    path: str
    json: Any
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def data(self) -> dict:
        """The interaction callback's data (type 4/7), or the message body."""
        body = self.json or {}
        return body.get("data", body) if isinstance(body, dict) else {}


class FakeDiscord:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.blocked_dm_users: set[str] = set()
        self.rate_limit_next: int = 0
        self.dm_channels: dict[str, str] = {}
        self.response_ids: dict[str, str] = {}  # interaction id -> the message its response created
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{port}/api/v10"
        return self.base

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _record(self, request: web.Request) -> Call:
        files: dict[str, bytes] = {}
        body: Any = None
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            for key, value in form.items():
                if key == "payload_json":
                    body = json.loads(value)
                elif hasattr(value, "file"):
                    files[value.filename] = value.file.read()
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        call = Call(request.method, "/" + request.match_info["tail"], body, files)
        self.calls.append(call)
        return call

    async def handle(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        path = call.path
        if path == "/users/@me":
            return _json(user(BOT_ID, "tcgtracker") | {"bot": True})
        if path == "/oauth2/applications/@me":
            return _json({"id": str(APP_ID), "name": "tcgtracker", "description": "", "icon": None,
                                      "bot_public": True, "bot_require_code_grant": False, "verify_key": "k",
                                      "owner": user(1, "owner"), "flags": 0})
        if path.endswith("/commands") and call.method == "PUT":
            return _json([c | {"id": str(next(_ids)), "application_id": str(APP_ID), "version": "1"}
                                      for c in call.json])
        if path.startswith("/interactions/") and path.endswith("/callback"):
            return self._callback(call)
        if path.startswith(f"/webhooks/{APP_ID}/"):
            return _json(message(CHANNEL_ID, (call.json or {}).get("content"), (call.json or {}).get("embeds")))
        if path == "/users/@me/channels":
            recipient = call.json["recipient_id"]
            channel_id = self.dm_channels.setdefault(str(recipient), str(next(_ids)))
            return _json({"id": channel_id, "type": 1, "recipients": [user(int(recipient), "someone")],
                                      "last_message_id": None})
        if path.startswith("/channels/") and path.endswith("/messages"):
            channel_id = path.split("/")[2]
            if self.rate_limit_next:
                self.rate_limit_next -= 1
                return _json({"message": "You are being rate limited.", "retry_after": 0.05, "global": False},
                                         status=429, headers={"Retry-After": "0.05", "X-RateLimit-Scope": "user",
                                                              "Via": "1.1 google"})
            if any(self.dm_channels.get(u) == channel_id for u in self.blocked_dm_users):
                return _json({"message": "Cannot send messages to this user", "code": 50007}, status=403)
            return _json(message(channel_id, call.json.get("content"), call.json.get("embeds")))
        return _json({"message": "Unknown", "code": 0}, status=404)

    def _callback(self, call: Call) -> web.Response:
        kind = call.json["type"]
        data = call.json.get("data") or {}
        interaction_id = call.path.split("/")[2]
        message_id = self.response_ids.setdefault(interaction_id, str(next(_ids)))
        interaction = {"id": interaction_id, "type": 2, "response_message_id": message_id,
                       "response_message_loading": kind == 5,
                       "response_message_ephemeral": bool((data.get("flags") or 0) & 64)}
        if kind == 8:  # autocomplete result
            return _json({"interaction": interaction})
        sent = message(CHANNEL_ID, data.get("content"), data.get("embeds"), data.get("flags") or 0) | {"id": message_id}
        return _json({"interaction": interaction, "resource": {"type": kind, "message": sent}})

    # ------------------------------------------------------------ what users see

    def callbacks(self) -> list[Call]:
        return [c for c in self.calls if c.path.startswith("/interactions/")]

    def messages_to(self, channel_id: str) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path == f"/channels/{channel_id}/messages"]

    async def wait_for(self, predicate, timeout: float = 30.0) -> list[Call]:
        """A deadline for a call that never comes, not a speed check (a first chart spawns its render process)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            found = [c for c in self.calls if predicate(c)]
            if found:
                return found
            await asyncio.sleep(0.01)
        raise AssertionError(f"no matching request; saw {[(c.method, c.path) for c in self.calls][-8:]}")


def interaction(name: str, options: list[dict] | None = None, *, user_id: int = 111, guild: bool = True,
                manage_guild: bool = False, kind: int = 2, sub: str | None = None) -> dict:
    """A real INTERACTION_CREATE payload for a slash command (kind 2) or autocomplete (kind 4)."""
    opts = options or []
    if sub:
        opts = [{"name": sub, "type": 1, "options": opts}]
    permissions = str((1 << 5) | (1 << 11) if manage_guild else (1 << 11))  # MANAGE_GUILD, SEND_MESSAGES
    payload = {
        "id": str(next(_ids)), "application_id": str(APP_ID), "type": kind, "token": f"tok-{next(_ids)}",
        "version": 1, "locale": "en-US", "entitlements": [], "authorizing_integration_owners": {"0": str(GUILD_ID)},
        "app_permissions": "2147483647", "attachment_size_limit": 10_485_760,
        "data": {"id": str(next(_ids)), "name": name, "type": 1, "options": opts},
    }
    author = user(user_id, f"user{user_id}")
    if guild:
        payload.update(guild_id=str(GUILD_ID), channel_id=str(CHANNEL_ID), guild_locale="en-US", context=0,
                       channel={"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID), "name": "cards",
                                "position": 0, "permission_overwrites": [], "nsfw": False, "parent_id": None},
                       member={"user": author, "roles": [], "permissions": permissions, "joined_at":
                               "2026-01-01T00:00:00+00:00", "deaf": False, "mute": False, "flags": 0})
    else:
        payload.update(channel_id=str(author["id"]), user=author, context=1,
                       channel={"id": str(author["id"]), "type": 1, "recipients": [author]})
    return payload


def component(custom_id: str, *, user_id: int = 111, values: list[str] | None = None, component_type: int = 2,
              message_id: str = "1") -> dict:
    """A button press or select (INTERACTION_CREATE type 3) on a message the bot sent."""
    payload = interaction("ignored", user_id=user_id)
    payload["type"] = 3
    payload["data"] = {"custom_id": custom_id, "component_type": component_type}
    if values is not None:
        payload["data"]["values"] = values
    payload["message"] = message(CHANNEL_ID) | {"id": message_id}
    return payload
