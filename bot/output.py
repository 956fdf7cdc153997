"""Plain-text and JSON rendering for the CLI."""
from __future__ import annotations

import dataclasses
import json
from typing import Any

from core.collect import CollectReport
from core.models import CardSet, display_number, format_cents
from core.ports import ImportReport
from core.price_service import CardPrices, format_age
from core.prices import condition_label
from core.services_types import SourceHealth, UnmatchedProduct
from core.search import Ambiguous, CatalogIndex, NotFound, Resolved, SearchResult


def emit(as_json: bool, data: Any, text: str) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print(text)


def report_dict(report: ImportReport) -> dict[str, Any]:
    return {
        "game": report.game,
        "sets": vars(report.sets) | {"total": report.sets.total},
        "cards": vars(report.cards) | {"total": report.cards.total},
        "skipped": report.skipped,
        "notes": report.notes,
    }


def reports_text(reports: list[ImportReport]) -> str:
    lines = []
    for r in reports:
        lines.append(
            f"{r.game}: {r.cards.total} cards ({r.cards.inserted} new, {r.cards.updated} updated, "
            f"{r.cards.unchanged} unchanged) in {r.sets.total} sets ({r.sets.inserted} new, "
            f"{r.sets.updated} updated); {r.skipped} rows skipped"
        )
        lines.extend(f"  note: {note}" for note in r.notes)
    return "\n".join(lines)


def search_items(index: CatalogIndex, result: SearchResult) -> list[dict[str, Any]]:
    outcome = result.outcome
    if isinstance(outcome, Resolved):
        marks = {outcome.card.canonical_id: "resolved"}
    elif isinstance(outcome, Ambiguous):
        marks = {c.canonical_id: "candidate" for c in outcome.choices}
    else:
        marks = {}
    default = "suggestion" if isinstance(outcome, NotFound) else "related"
    items = []
    for card in result.ranked:
        card_set = index.set_of(card)
        items.append(
            {
                "id": card.canonical_id,
                "game": card.game.value,
                "set": card.set_code,
                "set_name": card_set.name if card_set else card.set_code,
                "number": card.number,
                "variant": card.variant,
                "name": card.name,
                "rarity": card.rarity,
                "match": marks.get(card.canonical_id, default),
            }
        )
    return items


def table(items: list[dict[str, Any]]) -> str:
    headers = ("#", "id", "name", "set", "number", "rarity", "match")
    rows = [
        (str(i), it["id"], it["name"], f"{it['set_name']} ({it['set']})", display_number(it["number"], it["variant"]),
         it["rarity"] or "", it["match"])
        for i, it in enumerate(items, 1)
    ]
    widths = [max(len(h), *(len(r[n]) for r in rows)) for n, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(tuple("-" * w for w in widths)), *map(line, rows)])


def search_text(result: SearchResult, items: list[dict[str, Any]], more: str = "add a set or number") -> str:
    """`more`: how this command lists the candidates that did not fit (`search` has --limit)."""
    outcome = result.outcome
    if isinstance(outcome, NotFound):
        head = outcome.message + (" Did you mean one of these?" if items else "")
        return head + ("\n" + table(items) if items else "")
    if isinstance(outcome, Ambiguous):
        if len(outcome.choices) == 1:
            return "1 card comes close; if it is the one, ask again by its id:\n" + table(items)
        shown = sum(item["match"] == "candidate" for item in items)
        if shown < len(outcome.choices):
            return (f"{len(outcome.choices)} cards match, here are {shown} ({more} for the others);"
                    " pick one by id:\n" + table(items))
        return f"{len(outcome.choices)} cards match; pick one by id:\n" + table(items)
    return table(items)


def slots_dict(item: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in dataclasses.asdict(item).items()}


def collect_text(report: CollectReport) -> str:
    c = report.counts
    lines = [
        f"{report.source}: snapshot {report.snapshot.date() if report.snapshot else '?'}: {c.units} units stored"
        f" ({c.skipped_units} already done), {c.inserted} new prices, {c.updated} updated, {c.unchanged} unchanged,"
        f" {c.invalid} invalid, {c.unmatched} unmatched"
    ]
    lines += [f"  {count:6d}  {reason}" for reason, count in c.reasons.most_common(10)]
    lines += [f"  error: {e}" for e in report.errors]
    return "\n".join(lines)


def prices_dict(prices: CardPrices, card_set: CardSet | None) -> dict[str, Any]:
    card = prices.card
    return {
        "card": {"id": card.canonical_id, "game": card.game.value, "name": card.name, "set": card.set_code,
                 "set_name": card_set.name if card_set else card.set_code, "number": card.number,
                 "variant": card.variant, "rarity": card.rarity, "image": card.image_url},
        "prices": [
            {"finish": l.finish.value, "variant": l.variant, "source": l.source,
             "condition": condition_label(l.condition), "currency": l.currency,
             "market": format_cents(l.market_cents, l.currency), "low": format_cents(l.low_cents, l.currency),
             "mid": format_cents(l.mid_cents, l.currency), "high": format_cents(l.high_cents, l.currency),
             "sample_size": l.sample_size, "as_of": l.as_of.isoformat(),
             "age": format_age(prices.checked_at - l.as_of)}
            for l in prices.lines
        ],
        "notes": list(prices.notes),
    }


def prices_text(prices: CardPrices, card_set: CardSet | None) -> str:
    data = prices_dict(prices, card_set)
    card = data["card"]
    head = (f"{card['name']} · {card['set_name']} ({card['set']}) · {display_number(card['number'], card['variant'])}"
            f" · {card['rarity'] or ''}").rstrip(" ·")
    rows = [
        {"finish": p["finish"] + (f" ({p['variant']})" if p["variant"] else ""), "source": p["source"],
         "condition": p["condition"], "market": p["market"] or "-", "low": p["low"] or "-", "high": p["high"] or "-",
         "as of": f"{p['as_of'][:10]} ({p['age']})"}
        for p in data["prices"]
    ]
    body = plain_table(rows) if rows else ""
    return "\n".join([head, body, *(f"note: {n}" for n in prices.notes)]).replace("\n\n", "\n")


def plain_table(rows: list[dict[str, Any]]) -> str:
    headers = list(rows[0])
    cells = [[str(r[h]) for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    fmt = lambda cs: "  ".join(c.ljust(w) for c, w in zip(cs, widths)).rstrip()  # noqa: E731
    return "\n".join([fmt(headers), fmt(["-" * w for w in widths]), *map(fmt, cells)])


def unmatched_text(rows: list[UnmatchedProduct]) -> str:
    if not rows:
        return "Every product seen so far is mapped to a printing."
    return plain_table([
        {"source": r.source, "id": r.external_id, "sub-type": r.sub_type, "group": r.group_ref,
         "product": r.product_name, "reason": r.reason or ""} for r in rows
    ])


def health_text(rows: list[SourceHealth]) -> str:
    if not rows:
        return "No source has run yet."
    return plain_table([
        {"source": h.name, "circuit": h.circuit_state, "last success": _when(h.last_success_at),
         "last snapshot": _when(h.last_snapshot_at), "failures": h.consecutive_failures,
         "last error": (h.last_error or "")[:60]} for h in rows
    ])


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def title_text(parsed: Any) -> str:
    data = parsed.as_dict()
    verdict = "USED" if data["usable"] and data["card_id"] else "REJECTED"
    fields = ("kind", "game", "card_id", "number", "total", "onepiece_id", "language", "grader", "grade", "finish")
    lines = [f"{verdict}: {data['reason']}"] + [f"  {f:<12}{data[f]}" for f in fields if data[f] not in (None, "")]
    return "\n".join(lines)


def history_text(card: Any, data: dict[str, Any]) -> str:
    if not data["series"]:
        asked = f"{data['condition']} " if data.get("condition") else ""
        return f"No {asked}price history for {card.name} ({card.canonical_id}) yet."
    lines = [f"{card.name} ({card.canonical_id}) · {data['period']}"]
    for series in data["series"]:
        stats = series["stats"]
        label = f"{series['source']} · {series['finish']}{' (' + series['variant'] + ')' if series['variant'] else ''}"
        if not stats:
            lines.append(f"  {label}: no prices")
            continue
        currency = series["currency"]
        changes = ", ".join(f"{k} {_change_text(v, currency)}" for k, v in stats["changes"].items())
        volatility = "n/a" if stats["volatility"] is None else f"{stats['volatility'] * 100:.2f}% a day"
        lines.append(f"  {label} · {series['condition']}: {stats['current']} {currency} ({stats['age']} old)")
        lines.append(f"    change {changes}")
        lines.append(f"    ATH {stats['ath'][0]} {currency} ({stats['ath'][1][:10]}), ATL {stats['atl'][0]} {currency}"
                     f" ({stats['atl'][1][:10]}); trend {stats['trend']}; volatility {volatility}")
        if stats["thin_market"]:
            lines.append(f"    thin market: {stats['thin_reason']}")
    return "\n".join(lines)


def _change_text(change: dict[str, Any] | None, currency: str) -> str:
    """'+4.20 USD (+1.43%)'; 'n/a' when the series does not reach back that far."""
    if not change:
        return "n/a"
    amount = change["amount"] if change["amount"].startswith("-") else f"+{change['amount']}"
    percent = "" if change["percent"] is None else f" ({'' if change['percent'].startswith('-') else '+'}{change['percent']}%)"
    return f"{amount} {currency}{percent}"


def trending_row(index: Any, entry: Any, kind: str) -> dict[str, Any]:
    card = index.get(entry.card_id)
    row: dict[str, Any] = {"id": entry.card_id, "name": card.name if card else entry.card_id,
                           "set": card.set_code if card else ""}
    if kind == "most_watched":
        row["adds"] = entry.detail
        return row
    mover = entry.detail
    row.update({"printing": mover.finish.value + (f" ({mover.variant})" if mover.variant else ""),
                "condition": condition_label(mover.condition), "source": mover.source, "old": format_cents(mover.old_cents, mover.currency),
                "new": format_cents(mover.new_cents, mover.currency), "change": f"{mover.percent:+}%",
                "since": mover.old_ts.date().isoformat()})
    return row


def price_reports_text(reports: list) -> str:  # core.reports.PriceReport
    """Each report with the products priced as its card: what an operator compares the complaint against."""
    if not reports:
        return "No open price reports."
    blocks = []
    for r in reports:
        state = f"resolved {_when(r.resolved_at)}" + (f": {r.resolution}" if r.resolution else "") if r.resolved_at else "open"
        lines = [f"#{r.id} {r.card_name} ({r.card_id}) · {r.platform} {r.reporter or '?'} · {_when(r.created_at)} · {state}",
                 f"  note: {r.note or '(none)'}"]
        if r.mapped:
            lines.append("  priced from:\n    " + plain_table([
                {"source": m.source, "id": m.external_id, "sub-type": m.sub_type, "printing": m.printing,
                 "product": m.product_name, "how": "manual pin" if m.is_override else m.method} for m in r.mapped
            ]).replace("\n", "\n    "))
        else:
            lines.append("  priced from: no source product is mapped to this card")
        blocks.append("\n".join(lines))
    fix = "Fix one with: tcgtracker mapping set SOURCE EXTERNAL_ID CARD_ID[:FINISH[:VARIANT]]; then: tcgtracker mapping resolve ID"
    return "\n\n".join(blocks) + "\n\n" + fix
