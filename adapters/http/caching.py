"""ETag and Cache-Control for read endpoints: a client that sends If-None-Match gets a 304 and no body."""
from __future__ import annotations

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel


def etag_of(body: bytes) -> str:
    """Weak: gzip changes the bytes on the wire, not the representation."""
    return f'W/"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'


def _matches(request: Request, tag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    strip = lambda t: t.strip().removeprefix("W/")  # noqa: E731 - weak comparison (RFC 9110 13.1.2)
    return strip(tag) in {strip(t) for t in header.split(",")}


def cached(request: Request, body: bytes | BaseModel, cache_control: str,
           media_type: str = "application/json") -> Response:
    data = body.model_dump_json().encode() if isinstance(body, BaseModel) else body
    tag = etag_of(data)
    headers = {"ETag": tag, "Cache-Control": cache_control, "Vary": "X-API-Key, Accept-Encoding"}
    if _matches(request, tag):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)
