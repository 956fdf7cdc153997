"""A fake Telegram Bot API: as a telegram.request.BaseRequest (most tests) and as a loopback HTTP
server (PTB's real HTTPXRequest and multipart encoding). Updates go in through getUpdates."""
from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram.request import BaseRequest, RequestData

TOKEN = "123456:TEST-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "TCG Tracker", "username": "tcgtracker_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": True}
_ids = itertools.count(1000)
_updates = itertools.count(1)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    message_id: int | None = None  # of the message a send call created


class BotAPI:
    """What the Bot API would answer; the two transports below share it."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.updates: list[dict] = []
        self.admins: set[int] = set()
        self.blocked: set[int] = set()
        self.flood: int = 0

    def push(self, update: dict) -> None:
        self.updates.append(update | {"update_id": next(_updates)})

    def answer(self, method: str, params: dict[str, Any], files: dict[str, bytes]) -> tuple[int, dict]:
        self.calls.append(Call(method, params, files))
        chat_id = params.get("chat_id")
        if method == "getMe":
            return 200, {"ok": True, "result": BOT}
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            ready = [u for u in self.updates if u["update_id"] >= offset]
            return 200, {"ok": True, "result": ready}
        if method in ("sendMessage", "sendPhoto"):
            if self.flood:
                self.flood -= 1
                return 429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                             "parameters": {"retry_after": 1}}
            if chat_id is not None and int(chat_id) in self.blocked:
                return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
            self.calls[-1].message_id = next(_ids)
            result = {"message_id": self.calls[-1].message_id, "date": 1_790_000_000, "from": BOT,
                      "chat": {"id": int(chat_id), "type": "private" if int(chat_id) > 0 else "supergroup"}}
            if method == "sendMessage":
                result["text"] = params.get("text", "")
            else:
                result["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 800, "height": 450}]
            return 200, {"ok": True, "result": result}
        if method == "getChatMember":
            status = "administrator" if int(params["user_id"]) in self.admins else "member"
            member = {"status": status, "user": {"id": int(params["user_id"]), "is_bot": False, "first_name": "U"}}
            if status == "administrator":
                member.update(can_be_edited=False, is_anonymous=False, can_manage_chat=True, can_delete_messages=True,
                              can_manage_video_chats=True, can_restrict_members=True, can_promote_members=False,
                              can_change_info=True, can_invite_users=True, can_post_stories=False,
                              can_edit_stories=False, can_delete_stories=False)
            return 200, {"ok": True, "result": member}
        if method == "editMessageText":
            return 200, {"ok": True, "result": {"message_id": int(params.get("message_id", 1)), "date": 1_790_000_000,
                                                "chat": {"id": int(chat_id or 1), "type": "private"},
                                                "text": params.get("text", "")}}
        return 200, {"ok": True, "result": True}  # setMyCommands, answerCallbackQuery, answerInlineQuery, ...

    def sent(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 30.0) -> list[Call]:
        """A deadline for a reply that never comes, not a speed check: a first chart spawns its render
        process, which took over 5 s on a slow CI machine."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if len(self.sent(method)) >= count:
                return self.sent(method)
            await asyncio.sleep(0.01)
        raise AssertionError(f"no {method}; saw {[c.method for c in self.calls][-10:]}")


class FakeRequest(BaseRequest):
    """PTB's transport replaced: requests are answered by the BotAPI model in process."""

    def __init__(self, api: BotAPI) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None, *args, **kwargs):
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        files = {}
        if request_data and request_data.contains_files:
            files = {name: (value[1] if isinstance(value, tuple) else value)
                     for name, value in request_data.multipart_data.items()}
        if api_method == "getUpdates":
            await asyncio.sleep(0.01)
        status, body = self.api.answer(api_method, params, files)
        return status, json.dumps(body).encode()


class HttpBotAPI:
    """The same model behind a real HTTP server on 127.0.0.1 (for PTB's HTTPXRequest via base_url)."""

    def __init__(self, api: BotAPI) -> None:
        self.api = api
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self.base_url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            for key, value in form.items():
                if hasattr(value, "file"):
                    files[key] = value.file.read()
                else:
                    params[key] = value
        elif request.can_read_body:
            raw = await request.read()
            params = json.loads(raw) if raw and request.content_type == "application/json" else dict(await request.post())
        if request.match_info["method"] == "getUpdates":
            await asyncio.sleep(0.01)
        status, body = self.api.answer(request.match_info["method"], params, files)
        return web.Response(body=json.dumps(body).encode(), status=status, content_type="application/json")


def user(uid: int = 42, name: str = "Ash") -> dict:
    return {"id": uid, "is_bot": False, "first_name": name}


def command(text: str, *, uid: int = 42, chat_id: int | None = None, group: bool = False, reply_to: dict | None = None) -> dict:
    chat = {"id": chat_id or (-1001 if group else uid), "type": "supergroup" if group else "private"}
    if group:
        chat["title"] = "Card Club"
    else:
        chat["first_name"] = "Ash"
    message = {"message_id": next(_ids), "date": 1_790_000_000, "chat": chat, "from": user(uid), "text": text}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    if reply_to:
        message["reply_to_message"] = reply_to
    return {"message": message}


def callback(data: str, *, uid: int = 42, chat_id: int | None = None, message_id: int = 77) -> dict:
    """A button press on the message `message_id` (the one whose keyboard was pressed)."""
    message = {"message_id": message_id, "date": 1_790_000_000, "chat": {"id": chat_id or uid, "type": "private"},
               "from": BOT, "text": "menu"}
    return {"callback_query": {"id": f"cb{next(_ids)}", "from": user(uid), "chat_instance": "ci", "data": data,
                               "message": message}}


def inline(query: str, uid: int = 42) -> dict:
    return {"inline_query": {"id": f"iq{next(_ids)}", "from": user(uid), "query": query, "offset": ""}}
