"""Read endpoints: cards, search, prices, history, charts, trending, sets."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from adapters.http import schemas as s
from adapters.http.caching import cached
from adapters.http.convert import card_out, money, percent, price_out, series_out, set_out
from adapters.http.errors import ApiError
from core.alert_service import parse_condition
from core.models import Card, Finish, Game
from core.prices import condition_label
from core.search import Resolved, SearchFilters

router = APIRouter()
Limit = Annotated[int, Query(ge=1, le=100, description="page size (at most 100)")]
Offset = Annotated[int, Query(ge=0, le=10_000)]
CardId = Annotated[str, Path(min_length=1, max_length=64, description="canonical id, e.g. sv3pt5-199 or OP05-119_p1")]
Source = Annotated[s.SourceName | None, Query(description="one source only")]
PNG = {200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
             "description": "a PNG chart, at most 200 KB"}}


def _services(request: Request):  # noqa: ANN202 - adapters.commands.Services
    return request.app.state.services


def _public(request: Request) -> str:
    return f"private, max-age={request.app.state.cache_seconds}"


async def card_by_id(request: Request, card_id: str) -> Card:
    """Exact canonical id; a different spelling of one (op05-119) is accepted, anything else is a 404."""
    catalog = _services(request).catalog
    index = await catalog.index()
    card = index.get(card_id)
    if card is not None:
        return card
    result = await catalog.search(card_id)
    outcome = result.outcome
    if isinstance(outcome, Resolved) and outcome.card.canonical_id.lower() == card_id.lower():
        return outcome.card
    raise ApiError(404, f"No card with id “{card_id}”. Find ids with /v1/cards/search.",
                   details={"suggestions": [c.canonical_id for c in result.ranked[:5]]})


@router.get("/cards/search", response_model=s.SearchPage, summary="Find cards by name, set, number or id")
async def search_cards(request: Request,
                       q: Annotated[str, Query(min_length=1, max_length=200, description="charizard ex 151, sv3pt5 199, OP05-119")],
                       game: s.Game | None = None,
                       set: Annotated[str | None, Query(max_length=32, description="set code, e.g. sv3pt5")] = None,  # noqa: A002
                       rarity: Annotated[str | None, Query(max_length=64)] = None,
                       limit: Limit = 20, offset: Offset = 0) -> Response:
    services = _services(request)
    filters = SearchFilters(game=Game(game) if game else None, set_code=set, rarity=rarity)
    result = await services.catalog.search(q, filters, limit=offset + limit + 1)
    index = await services.catalog.index()
    page = result.ranked[offset:offset + limit]
    body = s.SearchPage(data=[card_out(c, index) for c in page],
                        pagination=s.Pagination(limit=limit, offset=offset, has_more=len(result.ranked) > offset + limit))
    return cached(request, body, _public(request))


@router.get("/cards/{card_id}", response_model=s.CardDetail, summary="A card and its latest prices")
async def get_card(request: Request, card_id: CardId) -> Response:
    services = _services(request)
    card = await card_by_id(request, card_id)
    prices = await services.prices.prices_for(card)
    index = await services.catalog.index()
    body = s.CardDetail(card=card_out(card, index), prices=[price_out(l) for l in prices.lines],
                        notes=list(prices.notes))
    return cached(request, body, _public(request))


@router.get("/cards/{card_id}/prices/history", response_model=s.HistoryOut,
            summary="Price history per source, finish and condition, with its statistics")
async def price_history(request: Request, card_id: CardId,
                        period: Literal["7d", "30d", "3m", "1y", "all"] = "30d", source: Source = None,
                        condition: Annotated[s.ConditionName | None, Query(description="raw = the market price")] = None
                        ) -> Response:
    card = await card_by_id(request, card_id)
    code = parse_condition(condition) if condition else None
    histories = await _services(request).history.history(card, period, source, code)
    body = s.HistoryOut(card_id=card.canonical_id, period=period, series=[series_out(h) for h in histories])
    return cached(request, body, _public(request))


@router.get("/cards/{card_id}/chart.png", response_class=Response, responses=PNG, summary="Price chart image")
async def chart(request: Request, card_id: CardId, period: Literal["7d", "30d", "3m", "1y", "all"] = "30d",
                source: Source = None,
                theme: Annotated[Literal["dark", "light"] | None,
                                 Query(description="default: the server's [history] chart_theme")] = None,
                condition: Annotated[s.ConditionName | None, Query(description="raw = the market price")] = None,
                finish: Annotated[s.FinishName | None, Query(description="default: every finish")] = None,
                ) -> Response:
    services = _services(request)
    card = await card_by_id(request, card_id)
    index = await services.catalog.index()
    code = parse_condition(condition) if condition else None
    png = await services.history.chart(card, index.set_of(card), period, source, theme, condition=code,
                                       finish=Finish(finish) if finish else None)
    return cached(request, png, _public(request), media_type="image/png")


@router.get("/prices/trending", response_model=s.TrendingPage, summary="Biggest gainers, losers or most watched")
async def trending(request: Request, game: s.Game = "pokemon", period: Literal["24h", "7d", "30d"] = "7d",
                   kind: Literal["gainers", "losers", "most_watched"] = "gainers", source: Source = None,
                   min_price: Annotated[float | None, Query(ge=0, le=1_000_000, description="ignore cards below this")] = None,
                   limit: Annotated[int, Query(ge=1, le=100)] = 10,
                   offset: Annotated[int, Query(ge=0, le=99)] = 0) -> Response:
    services = _services(request)
    wanted = min(offset + limit + 1, 100)
    extra = {"min_price_cents": round(min_price * 100)} if min_price is not None else {}
    entries = await services.history.trending(Game(game), period, kind, wanted, source=source, **extra)
    index = await services.catalog.index()
    rows = []
    for entry in entries[offset:offset + limit]:
        card = index.get(entry.card_id)
        row = {"card": card_out(card, index) if card else None, "card_id": entry.card_id}
        if kind == "most_watched":
            row["watchers_added"] = entry.detail
        else:
            m = entry.detail
            row |= {"source": m.source, "finish": m.finish.value, "variant": m.variant,
                    "condition": condition_label(m.condition), "currency": m.currency, "old_price": money(m.old_cents),
                    "new_price": money(m.new_cents), "change_percent": percent(m.percent), "old_at": m.old_ts,
                    "new_at": m.new_ts}
        rows.append(s.TrendingOut(**row))
    body = s.TrendingPage(game=game, period=period, kind=kind, data=rows, pagination=s.Pagination(
        limit=limit, offset=offset, has_more=len(entries) > offset + limit))
    return cached(request, body, _public(request))


@router.get("/sets", response_model=s.SetPage, summary="Sets, newest first")
async def sets(request: Request, game: s.Game | None = None, limit: Limit = 50, offset: Offset = 0) -> Response:
    index = await _services(request).catalog.index()
    everything = index.list_sets(Game(game) if game else None)
    body = s.SetPage(data=[set_out(x) for x in everything[offset:offset + limit]], pagination=s.Pagination(
        limit=limit, offset=offset, has_more=len(everything) > offset + limit, total=len(everything)))
    return cached(request, body, _public(request))
