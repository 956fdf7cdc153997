"""Serve downloaded dumps through the real source code path: an httpx transport over a folder.

A folder laid out like tcgcsv (`tcgplayer/3/groups`, `tcgplayer/3/24451/products`, ...) answers the same
URLs the live site does, so backfills and the offline demo exercise exactly the collection code."""
from __future__ import annotations

import json
from pathlib import Path

import httpx


class FolderTransport(httpx.AsyncBaseTransport):
    """GET /a/b -> ROOT/a/b or ROOT/a/b.json; anything else is 404. Requests are recorded."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        relative = request.url.path.lstrip("/")
        for candidate in (self.root / relative, self.root / f"{relative}.json"):
            resolved = candidate.resolve()
            if resolved.is_file() and resolved.is_relative_to(self.root):
                return httpx.Response(200, content=resolved.read_bytes(), request=request)
        body = json.dumps({"success": False, "errors": [f"no file for {request.url.path}"], "results": []})
        return httpx.Response(404, content=body.encode(), request=request)
