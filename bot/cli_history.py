"""CLI commands for history: chart, history, trending."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bot import output
from bot.app import build_app
from bot.config import Settings
from core.alert_service import parse_condition
from core.alerts import RuleError
from core.history_service import TRENDING_KINDS, TRENDING_WINDOWS, HistoryError, PrintingHistory
from core.models import Game
from core.prices import cents_str, condition_label
from core.price_service import format_duration
from core.pricing import PERIODS
from core.search import Resolved, SearchFilters


def add_commands(commands: argparse._SubParsersAction, json_flag) -> None:  # noqa: ANN001
    chart = commands.add_parser("chart", help="price-history chart of a card as a PNG")
    chart.add_argument("query")
    chart.add_argument("--period", default="30d", help=f"one of {', '.join(PERIODS)}")
    chart.add_argument("--source")
    chart.add_argument("--condition", help="a condition or grade (NM, PSA 10); default: the raw market price")
    chart.add_argument("--theme", choices=["dark", "light"], help="default: [history] chart_theme")
    chart.add_argument("--out", type=Path, default=Path("chart.png"))
    json_flag(chart).set_defaults(handler=cmd_chart)

    history = commands.add_parser("history", help="price history and statistics of a card")
    history.add_argument("query")
    history.add_argument("--period", default="30d", help=f"one of {', '.join(PERIODS)}")
    history.add_argument("--source")
    history.add_argument("--condition", help="only this condition or grade (NM, PSA 10); default: all of them")
    json_flag(history).set_defaults(handler=cmd_history)

    trending = commands.add_parser("trending", help="biggest movers or most watched cards")
    trending.add_argument("--game", default="pokemon", choices=[g.value for g in Game])
    trending.add_argument("--period", default="7d", choices=list(TRENDING_WINDOWS))
    trending.add_argument("--kind", default="gainers", choices=list(TRENDING_KINDS))
    trending.add_argument("--limit", type=int, default=10)
    trending.add_argument("--min-price", default="1.00", help="ignore cards below this price (both ends)")
    trending.add_argument("--source")
    trending.add_argument("--as-of", help="measure as of this UTC day (YYYY-MM-DD), e.g. for backfilled data")
    json_flag(trending).set_defaults(handler=cmd_trending)


async def _resolve(app, query: str):  # noqa: ANN001, ANN202
    index = await app.catalog.index()
    result = index.search(query, SearchFilters())
    if isinstance(result.outcome, Resolved):
        return index, result.outcome.card, None
    items = output.search_items(index, result)
    return index, None, output.search_text(result, items)


async def cmd_chart(args: argparse.Namespace, settings: Settings) -> int:
    async with build_app(settings) as app:
        index, card, problem = await _resolve(app, args.query)
        if card is None:
            print(problem, file=sys.stderr)
            return 1
        try:
            theme = args.theme or settings.history.chart_theme
            condition = parse_condition(args.condition) if args.condition else None
            png = await app.history.chart(card, index.set_of(card), args.period, args.source, theme, condition=condition)
        except (HistoryError, RuleError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(png)
    output.emit(args.json, {"card": card.canonical_id, "path": str(args.out), "bytes": len(png)},
                f"Chart of {card.name} ({card.canonical_id}) written to {args.out} ({len(png):,} bytes).")
    return 0


def history_dict(h: PrintingHistory) -> dict[str, Any]:
    stats = h.stats
    data: dict[str, Any] = {"finish": h.finish, "variant": h.variant, "source": h.source, "condition": h.condition,
                            "currency": h.currency, "points": len(h.points), "stats": None}
    if stats:
        data["stats"] = {
            "current": cents_str(stats.current), "as_of": stats.as_of.isoformat(), "age": format_duration(stats.age),
            "low": cents_str(stats.low), "high": cents_str(stats.high), "average": cents_str(stats.average),
            "ath": [cents_str(stats.ath[0]), stats.ath[1].isoformat()],
            "atl": [cents_str(stats.atl[0]), stats.atl[1].isoformat()],
            "changes": {k: (None if c is None else {"amount": cents_str(c.amount), "percent": None if c.percent is None
                                                     else str(c.percent), "since": c.since.isoformat()})
                        for k, c in stats.changes.items()},
            "volatility": None if stats.volatility is None else round(stats.volatility, 6),
            "trend": stats.trend, "points": stats.points, "thin_market": stats.thin, "thin_reason": stats.thin_reason,
        }
    return data


async def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    async with build_app(settings) as app:
        _, card, problem = await _resolve(app, args.query)
        if card is None:
            print(problem, file=sys.stderr)
            return 1
        try:
            condition = parse_condition(args.condition) if args.condition else None
            histories = await app.history.history(card, args.period, args.source, condition)
        except (HistoryError, RuleError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    data = {"card": card.canonical_id, "name": card.name, "period": args.period,
            "condition": condition_label(condition) if condition is not None else None,
            "series": [history_dict(h) for h in histories]}
    output.emit(args.json, data, output.history_text(card, data))
    return 0


async def cmd_trending(args: argparse.Namespace, settings: Settings) -> int:
    try:
        min_cents = int(round(float(args.min_price) * 100))
        if min_cents < 0:
            raise ValueError
    except ValueError:
        print(f"error: --min-price must be a positive amount like 1.00, not {args.min_price!r}", file=sys.stderr)
        return 2
    as_of = None
    if args.as_of:
        try:
            as_of = datetime.strptime(args.as_of, "%Y-%m-%d").replace(tzinfo=timezone.utc) + timedelta(days=1, seconds=-1)
        except ValueError:
            print(f"error: --as-of must look like 2026-11-27, not {args.as_of!r}", file=sys.stderr)
            return 2
    async with build_app(settings) as app:
        try:
            entries = await app.history.trending(Game(args.game), args.period, args.kind, args.limit, min_cents,
                                                 args.source, now=as_of)
        except HistoryError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        index = await app.catalog.index()
    rows = [output.trending_row(index, e, args.kind) for e in entries]
    output.emit(args.json, rows, output.plain_table(rows) if rows else "Nothing moved enough to list.")
    return 0

