"""Cardmarket price guides (One Piece market 18): daily JSON files per expansion, EUR.

Two shapes exist: the raw guide (`createdAt`, `priceGuides` without names) and the enriched one
(`date`, `expansionName`, `productName` such as "Douglas Bullet (ST05-011)"). Cardmarket gives base,
parallel and manga printings the same name, so products sharing a name are told apart by idProduct:
the lowest is the base print, the next ones the parallels in order (confidence 0.6, a heuristic)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from core.identity import onepiece
from core.ingest import IngestUnit, Observation
from core.mapping import Match, PrintingKey
from core.models import Finish
from core.prices import Quote, day_start, to_decimal
from core.search import CatalogIndex

SOURCE = "cardmarket"


def guide_date(payload: dict[str, Any]) -> datetime | None:
    raw = payload.get("date") or payload.get("createdAt")
    if not isinstance(raw, str):
        return None
    try:
        stamp = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return day_start(stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc))


def product_names(payloads: list[dict[str, Any]]) -> dict[int, str]:
    """idProduct -> productName from every guide that has names (the raw format has none)."""
    names: dict[int, str] = {}
    for payload in payloads:
        for guide in payload.get("priceGuides") or []:
            if isinstance(guide, dict) and guide.get("productName") and guide.get("idProduct"):
                names[int(guide["idProduct"])] = str(guide["productName"])
    return names


def product_keys(names: dict[int, str], index: CatalogIndex) -> dict[int, Match]:
    """idProduct -> printing match; same-name products ordered by id map onto base, _p1, _p2 ..."""
    by_id: dict[str, list[int]] = defaultdict(list)
    matches: dict[int, Match] = {}
    for product_id, name in sorted(names.items()):
        parsed = onepiece.parse_id(name)
        if parsed is None:
            matches[product_id] = Match.unmatched("not a single card (no card id in the product name)")
            continue
        by_id[parsed.base_id].append(product_id)
    for base_id, product_ids in by_id.items():
        group = index.onepiece_group(base_id)
        ordered = [c for c in group if c.variant is None] + [c for c in group if (c.variant or "").startswith("p")]
        for position, product_id in enumerate(sorted(product_ids)):
            if position >= len(ordered):
                matches[product_id] = Match.unmatched(f"{base_id}: more Cardmarket products than catalog printings")
                continue
            confidence = 1.0 if len(product_ids) == 1 else 0.6
            matches[product_id] = Match(PrintingKey(ordered[position].canonical_id, Finish.NORMAL), confidence,
                                        "cardmarket-name" if confidence == 1.0 else "cardmarket-name+order")
    return matches


def guide_unit(payload: dict[str, Any], names: dict[int, str], matches: dict[int, Match]) -> IngestUnit | None:
    """One guide file -> one unit: trend as market, low as low, avg as mid (EUR). Foil prices -> foil."""
    ts = guide_date(payload)
    if ts is None:
        return None
    expansion = payload.get("expansionId") or payload.get("idExpansion") or "?"
    observations = []
    for guide in payload.get("priceGuides") or []:
        if not isinstance(guide, dict) or not guide.get("idProduct"):
            continue
        product_id = int(guide["idProduct"])
        match = matches.get(product_id) or Match.unmatched("product never seen with a name")
        for suffix, finish in (("", Finish.NORMAL), ("-foil", Finish.FOIL)):
            market, low, mid = (to_decimal(guide.get(f"{k}{suffix}")) for k in ("trend", "low", "avg"))
            if not any((market, low, mid)):  # Cardmarket writes 0 or null for "no data"
                continue
            key = match.key if match.key is None or finish is Finish.NORMAL else PrintingKey(match.key.card_id, finish)
            quote = Quote(SOURCE, ts, "EUR", market=market or None, low=low or None, mid=mid or None)
            observations.append(Observation(str(product_id), finish.value, names.get(product_id, ""),
                                            f"exp{expansion}", Match(key, match.confidence, match.method, match.reason),
                                            quote))
    return IngestUnit(SOURCE, f"exp{expansion}", ts, observations)
