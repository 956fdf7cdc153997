"""The caller's watchlist: the same one /watchlist shows in chat, with latest prices."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from adapters.http import schemas as s
from adapters.http.caching import cached
from adapters.http.convert import price_out
from adapters.http.routes_alerts import PRIVATE, alerts_of
from adapters.http.routes_cards import card_by_id
from core.alert_service import parse_condition
from core.models import Finish
from core.prices import condition_label

router = APIRouter()


def item_out(line) -> s.WatchItemOut:  # noqa: ANN001 - core.alert_service.WatchLine
    return s.WatchItemOut(id=line.item_id, card_id=line.card_id, finish=line.finish.value, variant=line.variant,
                          condition=condition_label(line.condition), prices=[price_out(p) for p in line.prices])


@router.get("/watchlist", response_model=s.WatchPage, summary="Your watchlist with latest prices")
async def watchlist(request: Request, limit: Annotated[int, Query(ge=1, le=100)] = 50,
                    offset: Annotated[int, Query(ge=0, le=10_000)] = 0) -> Response:
    lines = await alerts_of(request).watchlist(request.state.caller)
    body = s.WatchPage(data=[item_out(l) for l in lines[offset:offset + limit]], pagination=s.Pagination(
        limit=limit, offset=offset, has_more=len(lines) > offset + limit, total=len(lines)))
    return cached(request, body, PRIVATE)


@router.post("/watchlist", status_code=201, response_model=s.WatchItemOut,
             responses={200: {"model": s.WatchItemOut, "description": "already on the watchlist"}},
             summary="Watch a card (201 when added, 200 when it was already there)")
async def watch(request: Request, body: s.WatchCreate) -> Response:
    card = await card_by_id(request, body.card_id)
    alerts, caller = alerts_of(request), request.state.caller
    chosen = await alerts.choose_printing(card, Finish(body.finish) if body.finish else None)  # once, for both steps
    added = await alerts.watch_printing(caller, chosen, body.condition)
    wanted = (card.canonical_id, chosen.key.finish, "", parse_condition(body.condition))
    line = next(l for l in await alerts.watchlist(caller) if (l.card_id, l.finish, l.variant, l.condition) == wanted)
    return Response(item_out(line).model_dump_json(), 201 if added else 200, media_type="application/json")


@router.delete("/watchlist/{item_id}", status_code=204, response_class=Response, summary="Stop watching")
async def unwatch(request: Request, item_id: Annotated[int, Path(ge=1, lt=2**31)]) -> Response:
    await alerts_of(request).unwatch(request.state.caller, item_id)
    return Response(status_code=204)
