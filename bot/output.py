"""Plain-text and JSON rendering for the CLI."""
from __future__ import annotations

import json
from typing import Any

from core.ports import ImportReport
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
                "name": card.name,
                "rarity": card.rarity,
                "match": marks.get(card.canonical_id, default),
            }
        )
    return items


def table(items: list[dict[str, Any]]) -> str:
    headers = ("#", "id", "name", "set", "number", "rarity", "match")
    rows = [
        (str(i), it["id"], it["name"], f"{it['set_name']} ({it['set']})", it["number"], it["rarity"] or "", it["match"])
        for i, it in enumerate(items, 1)
    ]
    widths = [max(len(h), *(len(r[n]) for r in rows)) for n, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(tuple("-" * w for w in widths)), *map(line, rows)])


def search_text(result: SearchResult, items: list[dict[str, Any]]) -> str:
    outcome = result.outcome
    if isinstance(outcome, NotFound):
        head = outcome.message + (" Did you mean one of these?" if items else "")
        return head + ("\n" + table(items) if items else "")
    if isinstance(outcome, Ambiguous):
        return f"{len(outcome.choices)} cards match; pick one by id:\n" + table(items)
    return table(items)
