"""Set-wise alert evaluation inside the ingest transaction.

SQL does the work that scales: it joins every active rule on the touched printings with the newest
prices (best across sources when the rule names none) and returns only rules whose state would change.
The pure `core.alerts.step` decides each of those few; state updates and outbox rows are written in
the same transaction as the prices that caused them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, case, false, func, literal, literal_column, null, or_, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.alerts import AlertMessage, RuleKind, RuleState, headline, step
from core.models import display_number, format_cents, printing_label
from core.prices import CURRENCY_BY_CODE, condition_label, from_epoch
from storage.first_prices import any_guessed, follow_first_prices
from storage.sql import ids_param, ids_value, in_ids, in_ids_param, insert_ignore
from storage.tables import (
    alert_rules,
    cards,
    channel_subscriptions,
    data_sources,
    latest_prices,
    notification_log,
    outbox,
    price_history,
    printings,
    tcg_sets,
)

DAY = 86_400


@dataclass
class EvalCounts:
    fired: int = 0
    suppressed: int = 0
    rearmed: int = 0
    pending: int = 0
    feed_events: int = 0
    outbox_ids: list[int] = field(default_factory=list)


def _rules_on(printing_ids: list[int] | None):  # noqa: ANN202
    r = alert_rules.c
    clause = r.active.is_(True)
    return clause if printing_ids is None else and_(clause, r.printing_id.in_(printing_ids))


def _joined():  # noqa: ANN202
    r, lp = alert_rules.c, latest_prices.c
    return alert_rules.join(latest_prices, and_(
        lp.printing_id == r.printing_id, lp.condition == r.condition, lp.currency == r.currency,
        or_(r.source_id.is_(None), lp.source_id == r.source_id)))


_STATE_COLUMNS = ("id", "kind", "state", "pending_count", "last_triggered_at", "cooldown_s", "confirm_snapshots",
                  "threshold_cents", "percent_bp", "window_days", "rearm_margin_bp")
# What ix_alert_rules_evaluation covers: the threshold scan reads the index only, never the wide rows
# (percent_bp and window_days belong to the series kinds: NULL for below/above by construction).
_INDEXED_COLUMNS = ("id", "kind", "state", "pending_count", "last_triggered_at", "cooldown_s", "confirm_snapshots",
                    "threshold_cents", "rearm_margin_bp")


def _threshold_flags(lp):  # noqa: ANN001, ANN202 - SQLAlchemy column collections
    """Per price row: does a below/above rule hold, and is the price back past its re-arm line?"""
    r = alert_rules.c
    holds = or_(and_(r.kind == "below", lp.market_cents <= r.threshold_cents),
                and_(r.kind == "above", lp.market_cents >= r.threshold_cents))
    rearm = or_(and_(r.kind == "below", lp.market_cents * 10000 > r.threshold_cents * (10000 + r.rearm_margin_bp)),
                and_(r.kind == "above", lp.market_cents * 10000 < r.threshold_cents * (10000 - r.rearm_margin_bp)))
    return holds, rearm


async def _threshold_candidates(conn: AsyncConnection, printing_ids: list[int] | None) -> list[Any]:
    """below/above rules whose state would change. Two index-driven joins, no aggregation:
    armed rules where any watched source holds (or a confirmation is pending), and fired rules whose
    every watched source is back past the re-arm line."""
    r, lp = alert_rules.c, latest_prices.c
    holds, rearm = _threshold_flags(lp)
    columns = [*(getattr(r, c) for c in _INDEXED_COLUMNS), null().label("percent_bp"), null().label("window_days"),
               lp.market_cents.label("price"), lp.ts]
    kinds = r.kind.in_(("below", "above"))
    # An armed rule's next step ignores re-arming and a fired one's ignores holding: compute only what counts.
    armed = (select(*columns, holds.label("holds"), false().label("rearm")).select_from(_joined())
             .where(_rules_on(printing_ids), kinds, r.state == "armed", or_(r.pending_count > 0, holds)))
    other = latest_prices.alias("other").c
    other_holds, other_rearm = _threshold_flags(other)
    not_back = (select(other.printing_id).where(
        other.printing_id == r.printing_id, other.condition == r.condition, other.currency == r.currency,
        or_(r.source_id.is_(None), other.source_id == r.source_id), ~other_rearm).exists())
    fired = (select(*columns, false().label("holds"), rearm.label("rearm")).select_from(_joined())
             .where(_rules_on(printing_ids), kinds, r.state == "fired", rearm, ~not_back))
    return (await conn.execute(armed)).all() + (await conn.execute(fired)).all()


async def _series_candidates(conn: AsyncConnection, printing_ids: list[int] | None) -> list[Any]:
    """pct_move, n_day_low and availability rules, one row per source: the reference price comes from
    history by primary-key seeks (the price a window ago, the lowest of the last N days)."""
    r, lp, h = alert_rules.c, latest_prices.c, price_history.alias("h").c
    series_kinds = r.kind.in_(("pct_move", "n_day_low", "availability"))
    # Most deployments have few or none of these: a covering-index probe saves a pass over every rule.
    if (await conn.execute(select(r.id).where(_rules_on(printing_ids), series_kinds).limit(1))).first() is None:
        return []
    same = and_(h.printing_id == lp.printing_id, h.source_id == lp.source_id, h.condition == lp.condition,
                h.currency == lp.currency)
    old_ts = select(h.ts).where(same, h.ts <= lp.ts - r.window_days * DAY).order_by(h.ts.desc()).limit(1).scalar_subquery()
    old_cents = (select(h.market_cents).where(same, h.ts <= lp.ts - r.window_days * DAY).order_by(h.ts.desc())
                 .limit(1).scalar_subquery())
    prior_low = select(func.min(h.market_cents)).where(same, h.ts < lp.ts, h.ts >= lp.ts - r.window_days * DAY).scalar_subquery()
    query = (
        select(*(getattr(r, c) for c in _STATE_COLUMNS), lp.source_id, lp.ts, lp.market_cents.label("price"),
               case((r.kind == "pct_move", old_ts), else_=literal_column("NULL")).label("old_ts"),
               case((r.kind == "pct_move", old_cents), else_=literal_column("NULL")).label("old_cents"),
               case((r.kind == "n_day_low", prior_low), else_=literal_column("NULL")).label("prior_low"))
        .select_from(_joined())
        .where(_rules_on(printing_ids), series_kinds)
    )
    return (await conn.execute(query)).all()


def _series_flags(row: Any) -> tuple[bool, bool]:
    """(holds, rearm) for one rule/source row of the series kinds."""
    price, margin = row.price, row.rearm_margin_bp
    if not price:
        return False, False
    if row.kind == RuleKind.AVAILABILITY:
        return True, False
    if row.kind == RuleKind.PCT_MOVE:
        window = (row.window_days or 1) * DAY
        if not row.old_cents or row.old_ts < row.ts - 2 * window:  # the reference must be from the window
            return False, True
        move_bp = (price - row.old_cents) * 10000 // row.old_cents
        if row.percent_bp < 0:
            return move_bp <= row.percent_bp, move_bp > row.percent_bp + margin
        return move_bp >= row.percent_bp, move_bp < row.percent_bp - margin
    if not row.prior_low:  # n_day_low needs earlier prices in the window
        return False, False
    return price < row.prior_low, price * 10000 > row.prior_low * (10000 + margin)


def _decide(rows: list[Any], now: datetime) -> list[tuple[Any, Any]]:
    """(row, step) per rule whose state changes. A rule watching several sources holds when any source
    holds and re-arms only when all of them are back past the line."""
    grouped: dict[int, dict[str, Any]] = {}
    for row in rows:
        holds, rearm = (row.holds, row.rearm) if "holds" in row._fields else _series_flags(row)
        group = grouped.setdefault(row.id, {"rows": [], "holds": False, "rearm": True})
        group["rows"].append((row, bool(holds)))
        group["holds"] |= bool(holds)
        group["rearm"] &= bool(rearm)
    decisions = []
    for group in grouped.values():
        row = next((r for r, h in group["rows"] if h), group["rows"][0][0])
        state = RuleState(row.state, row.pending_count, row.last_triggered_at, row.cooldown_s, row.confirm_snapshots)
        decision = step(state, group["holds"], group["rearm"], now, one_shot=row.kind == RuleKind.AVAILABILITY)
        if (decision.state, decision.pending_count) != (row.state, row.pending_count) or decision.fire:
            decisions.append((row, decision))
    return decisions


async def evaluate(conn: AsyncConnection, printing_ids: list[int] | None, now: datetime) -> EvalCounts:
    """Evaluate every active rule on these printings (None: all); write outbox rows."""
    counts = EvalCounts()
    if printing_ids is not None:
        printing_ids = (await _probe(conn, printing_ids))[0]
    if printing_ids is None or printing_ids:
        await _evaluate_rules(conn, printing_ids, now, counts)
    return counts


async def evaluate_snapshot(conn: AsyncConnection, printing_ids: list[int], now: datetime) -> EvalCounts:
    """After an ingest unit: the rules on its printings, then the channel feeds. Most units touch no
    printing anyone has a rule on and most deployments have few feeds: one probe statement decides both."""
    counts = EvalCounts()
    with_rules, feeds_active, guessed = await _probe(conn, printing_ids)
    if guessed:  # before the rules: an alert that moves to the printing this unit priced is evaluated with it
        with_rules = sorted({*with_rules, *await follow_first_prices(conn, printing_ids)})
    if with_rules:
        await _evaluate_rules(conn, with_rules, now, counts)
    if feeds_active:
        await _feeds(conn, printing_ids, now, counts)
    return counts


async def _evaluate_rules(conn: AsyncConnection, printing_ids: list[int] | None, now: datetime,
                          counts: EvalCounts) -> None:
    rows = await _threshold_candidates(conn, printing_ids) + await _series_candidates(conn, printing_ids)
    decisions = _decide(rows, now)
    if decisions:
        await _apply(conn, decisions, now, counts)


_FEEDS_ACTIVE = -1  # printing ids start at 1: the probe's marker row for "some feed is active"
_GUESSES = -2  # ... and for "some watch or alert holds a guessed printing" (storage/first_prices.py)


@lru_cache(maxsize=2)
def _probe_statement(dialect: str):  # noqa: ANN202 - a CompoundSelect
    """Built once per dialect: it runs after every ingest unit, and building it cost more than running it."""
    r, f = alert_rules.c, channel_subscriptions.c
    ids = ids_param(dialect, "printing_ids")
    rules = select(r.printing_id).where(in_ids_param(dialect, r.printing_id, ids), r.active.is_(True)).distinct()
    feeds = select(literal(_FEEDS_ACTIVE)).where(select(f.id).where(f.active.is_(True)).exists())
    return union_all(rules, feeds, select(literal(_GUESSES)).where(any_guessed()))


async def _probe(conn: AsyncConnection, printing_ids: list[int]) -> tuple[list[int], bool, bool]:
    """(touched printings someone has an active rule on, whether any feed is active, whether any item holds a
    guessed printing), by index seeks."""
    dialect = conn.dialect.name
    params = {"printing_ids": ids_value(dialect, printing_ids)}
    found = {row[0] for row in await conn.execute(_probe_statement(dialect), params)}
    markers = found & {_FEEDS_ACTIVE, _GUESSES}
    return sorted(found - markers), _FEEDS_ACTIVE in markers, _GUESSES in markers


async def _apply(conn: AsyncConnection, decisions: list[tuple[Any, Any]], now: datetime, counts: EvalCounts) -> None:
    updates = []
    for row, decision in decisions:
        values = {"b_id": row.id, "state": decision.state, "pending_count": decision.pending_count,
                  "last_triggered_at": now if decision.fire else row.last_triggered_at,
                  "active": not decision.deactivate,
                  "paused_reason": "fired once (availability)" if decision.deactivate else None}
        updates.append(values)
        counts.fired += decision.fire
        counts.suppressed += decision.suppressed
        counts.rearmed += decision.state == "armed" and row.state == "fired"
        counts.pending += decision.pending_count > 0
    r = alert_rules.c
    await conn.execute(
        update(alert_rules).where(r.id == bindparam("b_id")).values(
            state=bindparam("state"), pending_count=bindparam("pending_count"),
            last_triggered_at=bindparam("last_triggered_at"), active=bindparam("active"),
            paused_reason=bindparam("paused_reason")),
        updates,
    )
    fired = [row for row, decision in decisions if decision.fire]
    suppressed = [row for row, decision in decisions if decision.suppressed]
    if suppressed:
        await conn.execute(notification_log.insert(), [
            {"rule_id": row.id, "platform": "-", "target_id": "-", "status": "suppressed",
             "detail": "crossed again inside the cooldown", "created_at": now} for row in suppressed])
    if fired:
        await _enqueue_rule_messages(conn, fired, now, counts)


async def _enqueue_rule_messages(conn: AsyncConnection, fired: list[Any], now: datetime, counts: EvalCounts) -> None:
    r, p, c, s, lp, ds = (alert_rules.c, printings.c, cards.c, tcg_sets.c, latest_prices.c, data_sources.c)
    ids = [row.id for row in fired]
    details: dict[int, Any] = {}
    sources: dict[int, list[Any]] = {}
    for d in await conn.execute(
        select(r.id, r.source_id, r.condition, r.currency, r.target_platform, r.target_id, c.canonical_id, c.name,
               c.number, c.variant.label("card_variant"), c.image_url, s.name.label("set_name"), p.finish, p.variant,
               r.printing_id)
        .select_from(alert_rules.join(printings, p.id == r.printing_id).join(cards, c.id == p.card_id)
                     .join(tcg_sets, s.id == c.set_id))
        .where(in_ids(conn, r.id, ids))
    ):
        details[d.id] = d
    for q in await conn.execute(
        select(r.id, ds.name, lp.ts, lp.market_cents, lp.prev_market_cents)
        .select_from(_joined().join(data_sources, ds.id == lp.source_id)).where(in_ids(conn, r.id, ids))
    ):
        sources.setdefault(q.id, []).append(q)
    rows = []
    for row in fired:
        message = _rule_message(row, details[row.id], sources.get(row.id, []))
        rows.append({"dedup_key": message.dedup_key, "rule_id": row.id, "target_platform": details[row.id].target_platform or "console",
                     "target_id": details[row.id].target_id or "-", "payload": message.as_json(), "status": "pending",
                     "attempts": 0, "next_attempt_at": now, "created_at": now})
    await conn.execute(insert_ignore(conn, outbox), rows)  # a re-evaluated price event never queues twice
    counts.outbox_ids.extend(ids)


def _rule_message(row: Any, detail: Any, quotes: list[Any]) -> AlertMessage:
    """Old -> new on the source that decided: the lowest price for 'below', the highest otherwise."""
    pick = min if row.kind in (RuleKind.BELOW, RuleKind.N_DAY_LOW) or (row.percent_bp or 0) < 0 else max
    quote = pick(quotes, key=lambda q: q.market_cents or 0) if quotes else None
    currency = CURRENCY_BY_CODE.get(detail.currency, "?")
    new_cents = quote.market_cents if quote else row.price
    old_cents = getattr(row, "old_cents", None) or (quote.prev_market_cents if quote else None)
    ts = quote.ts if quote else row.ts
    percent = None
    if old_cents:
        percent = f"{(Decimal(new_cents - old_cents) / old_cents * 100).quantize(Decimal('0.01')):+}%"
    printing = printing_label(detail.finish, detail.variant)
    return AlertMessage(
        kind="rule", headline=headline(row.kind, row.threshold_cents, row.percent_bp, row.window_days, currency),
        card_id=detail.canonical_id, card_name=detail.name, set_name=detail.set_name,
        number=display_number(detail.number, detail.card_variant),
        printing=printing, condition=condition_label(detail.condition), source=quote.name if quote else "?",
        currency=currency, new_price=format_cents(new_cents, currency), old_price=format_cents(old_cents, currency) if old_cents else None,
        percent=percent, as_of=from_epoch(ts).isoformat(), link=card_link(detail.canonical_id, detail.name, detail.number),
        image_url=detail.image_url, rule_id=row.id, dedup_key=f"rule:{row.id}:{ts}",
    )


def card_link(card_id: str, name: str, number: str) -> str:
    """A TCGplayer search for the card: works for both games without a stored product URL."""
    from urllib.parse import quote_plus

    return f"https://www.tcgplayer.com/search/all/product?q={quote_plus(f'{name} {number}')}"


async def _feeds(conn: AsyncConnection, printing_ids: list[int], now: datetime, counts: EvalCounts) -> None:
    """Price moves on the touched printings that a channel feed asked for, within its hourly cap."""
    f, lp, p, c, s, ds = (channel_subscriptions.c, latest_prices.c, printings.c, cards.c, tcg_sets.c, data_sources.c)
    moved = lp.market_cents - lp.prev_market_cents
    query = (
        select(f.id.label("feed_id"), f.platform, f.channel_id, f.hourly_cap, f.direction, lp.printing_id, lp.source_id,
               lp.ts, lp.market_cents, lp.prev_market_cents, lp.currency, lp.condition, c.canonical_id, c.name,
               c.number, c.variant.label("card_variant"), c.image_url, s.name.label("set_name"), p.finish, p.variant,
               ds.name.label("source"))
        .select_from(channel_subscriptions.join(latest_prices, lp.printing_id.in_(printing_ids))
                     .join(printings, p.id == lp.printing_id).join(cards, c.id == p.card_id)
                     .join(tcg_sets, s.id == c.set_id).join(data_sources, ds.id == lp.source_id))
        .where(f.active.is_(True), lp.prev_market_cents > 0, lp.condition == 0,
               or_(f.game.is_(None), c.game == f.game), or_(f.set_code.is_(None), s.code == f.set_code),
               or_(f.rarity.is_(None), c.rarity == f.rarity),
               lp.market_cents >= func.coalesce(f.min_price_cents, 0),
               or_(and_(f.direction.in_(("down", "both")), moved < 0,
                        -moved * 10000 >= lp.prev_market_cents * func.coalesce(f.min_move_bp, 0)),
                   and_(f.direction.in_(("up", "both")), moved > 0,
                        moved * 10000 >= lp.prev_market_cents * func.coalesce(f.min_move_bp, 0))))
    )
    events = (await conn.execute(query)).all()
    if not events:
        return
    by_feed: dict[int, list[Any]] = {}
    for event in events:
        by_feed.setdefault(event.feed_id, []).append(event)
    hour_ago = now - timedelta(hours=1)
    rows = []
    for feed_id, items in by_feed.items():
        sent = (await conn.execute(select(func.count()).select_from(outbox).where(
            outbox.c.feed_id == feed_id, outbox.c.created_at >= hour_ago))).scalar_one()
        room = max(items[0].hourly_cap - sent, 0)
        items.sort(key=lambda e: abs(e.market_cents - e.prev_market_cents) / e.prev_market_cents, reverse=True)
        for event in items[:room]:
            rows.append(_feed_row(event, now))
    if rows:
        await conn.execute(insert_ignore(conn, outbox), rows)
        counts.feed_events += len(rows)


def _feed_row(event: Any, now: datetime) -> dict[str, Any]:
    currency = CURRENCY_BY_CODE.get(event.currency, "?")
    change = Decimal(event.market_cents - event.prev_market_cents) / event.prev_market_cents * 100
    printing = printing_label(event.finish, event.variant)
    key = f"feed:{event.feed_id}:{event.printing_id}:{event.source_id}:{event.ts}"
    message = AlertMessage(
        kind="feed", headline="price drop" if change < 0 else "price rise", card_id=event.canonical_id,
        card_name=event.name, set_name=event.set_name,
        number=display_number(event.number, event.card_variant), printing=printing,
        condition=condition_label(event.condition), source=event.source, currency=currency,
        new_price=format_cents(event.market_cents, currency), old_price=format_cents(event.prev_market_cents, currency),
        percent=f"{change.quantize(Decimal('0.01')):+}%", as_of=from_epoch(event.ts).isoformat(),
        link=card_link(event.canonical_id, event.name, event.number), image_url=event.image_url,
        feed_id=event.feed_id, dedup_key=key,
    )
    return {"dedup_key": key, "feed_id": event.feed_id, "target_platform": event.platform,
            "target_id": event.channel_id, "payload": message.as_json(), "status": "pending", "attempts": 0,
            "next_attempt_at": now, "created_at": now}


async def _card_titles(conn: AsyncConnection, card_ids: set[str]) -> dict[str, str]:
    """canonical id -> 'Pikachu ex · 238 (sv8-238)', 'Monkey.D.Luffy · OP05-119 (parallel 1) (OP05-119_p1)'."""
    if not card_ids:
        return {}
    c = cards.c
    rows = await conn.execute(select(c.canonical_id, c.name, c.number, c.variant).where(c.canonical_id.in_(sorted(card_ids))))
    return {r.canonical_id: f"{r.name} · {display_number(r.number, r.variant)} ({r.canonical_id})" for r in rows}


async def enqueue_digests(conn: AsyncConnection, feeds: list[Any], movers_by_game: dict[str, tuple[list, list]],
                          day: str, now: datetime) -> int:
    """One daily gainers/losers message per digest feed; the dedup key makes the day's digest unique."""
    rows = []
    names = await _card_titles(conn, {m.card_id for gainers, losers in movers_by_game.values()
                                      for m in (*gainers[:5], *losers[:5])})
    for feed in feeds:
        gainers, losers = movers_by_game.get(feed.game or "pokemon", ([], []))
        lines = [f"{arrow} {names.get(m.card_id, m.card_id)} · {printing_label(m.finish, m.variant)}: {format_cents(m.old_cents, m.currency)}"
                 f" → {format_cents(m.new_cents, m.currency)} ({m.percent:+}%)"
                 for arrow, movers in (("▲", gainers), ("▼", losers)) for m in movers[:5]]
        if not lines:
            continue
        key = f"digest:{feed.id}:{day}"
        message = AlertMessage(kind="digest", headline=f"daily movers, {day}", card_id="", card_name="Daily digest",
                               set_name=feed.game or "all games", number="", printing="", condition="", source="",
                               currency="", new_price="", old_price=None, percent=None, as_of=now.isoformat(),
                               link=None, feed_id=feed.id, dedup_key=key, extra={"lines": lines})
        rows.append({"dedup_key": key, "feed_id": feed.id, "target_platform": feed.platform,
                     "target_id": feed.channel_id, "payload": message.as_json(), "status": "pending", "attempts": 0,
                     "next_attempt_at": now, "created_at": now})
    if rows:
        await conn.execute(insert_ignore(conn, outbox), rows)
    return len(rows)
