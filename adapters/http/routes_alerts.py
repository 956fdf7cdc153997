"""The caller's alerts: the same rules as /alert in chat, delivered to the chat identity the key belongs to."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from adapters.http import schemas as s
from adapters.http.caching import cached
from adapters.http.convert import money
from adapters.http.errors import ApiError, documented
from adapters.http.routes_cards import card_by_id
from core.alert_service import Caller
from core.models import Finish
from core.prices import condition_label

router = APIRouter()
AlertId = Annotated[int, Path(ge=1, lt=2**31)]
PRIVATE = "private, no-cache"  # the caller's own data: revalidate with the ETag every time


def _caller(request: Request) -> Caller:
    return request.state.caller


def alerts_of(request: Request):  # noqa: ANN202 - core.alert_service.AlertService
    return request.app.state.services.alerts


def alert_out(rule) -> s.AlertOut:  # noqa: ANN001 - a rules row
    return s.AlertOut(
        id=rule.id, card_id=rule.card_id, finish=rule.finish.value, variant=rule.variant,
        condition=condition_label(rule.condition), source=rule.source, currency=rule.currency, kind=rule.kind,
        threshold=money(rule.threshold_cents), percent=None if rule.percent_bp is None else f"{rule.percent_bp / 100:.2f}",
        window_days=rule.window_days, state=rule.state, active=rule.active, paused_reason=rule.paused_reason,
        last_triggered=rule.last_triggered_at, delivered_to=rule.target_platform)


async def _one(request: Request, alert_id: int):  # noqa: ANN202
    rules = [r for r in await alerts_of(request).rules(_caller(request)) if r.id == alert_id]
    if not rules:
        raise ApiError(404, f"No alert #{alert_id} of yours.")
    return rules[0]


@router.post("/alerts", status_code=201, response_model=s.AlertOut, summary="Create an alert",
             responses=documented(409))
async def create_alert(request: Request, body: s.AlertCreate) -> Response:
    card = await card_by_id(request, body.card_id)
    number = lambda v: None if v is None else repr(v)  # noqa: E731 - repr: the digits the client sent, no float maths
    rule_id = await alerts_of(request).add_rule(
        _caller(request), card, body.kind, finish=Finish(body.finish) if body.finish else None,
        condition=body.condition, source=body.source, currency=body.currency,
        threshold=number(getattr(body, "threshold", None)), percent=number(getattr(body, "percent", None)),
        window_days=getattr(body, "window_days", None), cooldown_hours=body.cooldown_hours)
    out = alert_out(await _one(request, rule_id))
    return Response(out.model_dump_json(), 201, media_type="application/json",
                    headers={"Location": str(request.url_for("get_alert", alert_id=rule_id))})


@router.get("/alerts", response_model=s.AlertPage, summary="Your alerts")
async def list_alerts(request: Request, limit: Annotated[int, Query(ge=1, le=100)] = 50,
                      offset: Annotated[int, Query(ge=0, le=10_000)] = 0) -> Response:
    rules = sorted(await alerts_of(request).rules(_caller(request)), key=lambda r: r.id)
    body = s.AlertPage(data=[alert_out(r) for r in rules[offset:offset + limit]], pagination=s.Pagination(
        limit=limit, offset=offset, has_more=len(rules) > offset + limit, total=len(rules)))
    return cached(request, body, PRIVATE)


@router.get("/alerts/{alert_id}", response_model=s.AlertOut, summary="One of your alerts")
async def get_alert(request: Request, alert_id: AlertId) -> Response:
    return cached(request, alert_out(await _one(request, alert_id)), PRIVATE)


@router.delete("/alerts/{alert_id}", status_code=204, response_class=Response, summary="Delete one of your alerts")
async def delete_alert(request: Request, alert_id: AlertId) -> Response:
    await alerts_of(request).remove_rule(_caller(request), alert_id)
    return Response(status_code=204)


@router.get("/alerts/{alert_id}/history", response_model=s.AlertHistoryPage,
            summary="When the alert fired and whether the message was delivered")
async def alert_history(request: Request, alert_id: AlertId, limit: Annotated[int, Query(ge=1, le=50)] = 50,
                        offset: Annotated[int, Query(ge=0, le=49)] = 0) -> Response:
    rows = await alerts_of(request).rule_history(_caller(request), alert_id)
    body = s.AlertHistoryPage(alert_id=alert_id, data=[s.AlertEvent(status=r.status, detail=r.detail, at=r.created_at)
                                                       for r in rows[offset:offset + limit]],
                              pagination=s.Pagination(limit=limit, offset=offset, has_more=len(rows) > offset + limit))
    return cached(request, body, PRIVATE)
