"""Every failure in one shape: {"error": {"code", "message", "details", "timestamp"}}."""
from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters.http.schemas import ErrorBody, ErrorDetail
from core.alerts import LimitReached
from core.models import utcnow

log = logging.getLogger(__name__)

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         406: "not_acceptable", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
         422: "validation_error", 429: "rate_limited", 500: "internal_error", 503: "unavailable"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, details: dict | list | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.details, self.headers = status, message, details, headers
        self.code = code or CODES.get(status, "error")


def error_body(status: int, message: str, code: str | None = None, details: dict | list | None = None) -> bytes:
    detail = ErrorDetail(code=code or CODES.get(status, "error"), message=message, details=details, timestamp=utcnow())
    return ErrorBody(error=detail).model_dump_json().encode()


def error_response(status: int, message: str, code: str | None = None, details: dict | list | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    return Response(error_body(status, message, code, details), status, headers, media_type="application/json")


def _validation_details(err: RequestValidationError) -> list[dict]:
    return [{"field": _field(e), "problem": e.get("msg", "")} for e in err.errors()]


def _field(error: dict) -> str:
    if error.get("type", "").startswith("union_tag"):  # a bad or missing `kind`: name it, not the whole body
        return str((error.get("ctx") or {}).get("discriminator", "kind")).strip("'")
    return ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, err: ApiError) -> Response:
        return error_response(err.status, err.message, err.code, err.details, err.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, err: RequestValidationError) -> Response:
        details = _validation_details(err)
        first = details[0] if details else {"field": "request", "problem": "invalid"}
        return error_response(422, f"Invalid {first['field']}: {first['problem']}", details=details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> Response:
        message = err.detail if isinstance(err.detail, str) else HTTPStatus(err.status_code).phrase
        headers = dict(getattr(err, "headers", None) or {})
        if err.status_code == 405:  # Starlette names only the first route's methods; name all of this path's
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return error_response(err.status_code, message, headers=headers)

    @app.exception_handler(LimitReached)
    async def at_limit(_request: Request, err: LimitReached) -> Response:
        return error_response(409, _text(err), "limit_reached")

    @app.exception_handler(PermissionError)
    async def denied(_request: Request, err: PermissionError) -> Response:
        return error_response(403, _text(err))

    @app.exception_handler(LookupError)
    async def missing(_request: Request, err: LookupError) -> Response:
        return error_response(404, _text(err))

    @app.exception_handler(ValueError)
    async def refused(_request: Request, err: ValueError) -> Response:
        """Domain refusals (bad period, bad price, too many alerts): the message is written for people."""
        return error_response(400, _text(err))

    async def crashed(_request: Request, err: Exception) -> Response:
        log.error("API request failed", exc_info=err)
        return error_response(500, "Something went wrong on our side; it has been logged.")

    app.add_exception_handler(Exception, crashed)
    # A response we failed to build: pydantic's error is a ValueError, but ours, not the caller's 400.
    app.add_exception_handler(ValidationError, crashed)


def route_path(scope: dict) -> str:
    """The path routes match on: without the root path a reverse proxy may leave in front of it (the key
    check and the Allow header must see what the router sees, or a prefixed path would slip past them)."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def _allowed_methods(request: Request) -> list[str]:
    path = route_path(request.scope)
    return sorted({m for regex, methods in request.app.state.route_methods if regex.match(path) for m in methods})


def route_methods(prefix: str, routes: list) -> list[tuple]:
    """(path regex, methods) of every route, for the Allow header of a 405."""
    from starlette.routing import compile_path

    return [(compile_path(prefix + route.path)[0], set(route.methods)) for route in routes if getattr(route, "methods", None)]


def _text(err: Exception) -> str:
    return str(err).strip("'\"") or HTTPStatus.BAD_REQUEST.phrase


def documented(*statuses: int) -> dict:
    """OpenAPI `responses` entries for error statuses, all with the error body."""
    return {s: {"model": ErrorBody, "description": HTTPStatus(s).phrase} for s in statuses}
