"""Price reports: the same as /report in chat, for a script or app that finds a price that looks wrong."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response

from adapters.http import schemas as s
from adapters.http.errors import ApiError, documented
from adapters.http.routes_cards import card_by_id

router = APIRouter()


@router.post("/reports", status_code=201, response_model=s.ReportOut,
             responses={200: {"model": s.ReportOut, "description": "you reported this card already; its note is updated"},
                        **documented(409)},
             summary="Report a card whose price looks wrong (201 when new, 200 when your open report was updated)")
async def report(request: Request, body: s.ReportCreate) -> Response:
    reports = request.app.state.services.reports
    if reports is None:
        raise ApiError(404, "This deployment does not take price reports.")
    card = await card_by_id(request, body.card_id)
    report_id, new = await reports.report(request.state.caller, card, body.note)
    out = s.ReportOut(id=report_id, card_id=card.canonical_id, new=new)
    return Response(out.model_dump_json(), 201 if new else 200, media_type="application/json")
