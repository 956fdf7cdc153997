"""Pure parsing of TCGplayer-shaped data: the API's JSON, tcgcsv's verbatim caches and its CSV dumps."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable

from core.prices import to_decimal


class FormatError(ValueError):
    """A payload that is not in the TCGplayer shape at all."""


@dataclass(frozen=True, slots=True)
class TcgGroup:
    group_id: int
    name: str
    abbreviation: str | None
    category_id: int | None
    published_on: date | None = None


@dataclass(frozen=True, slots=True)
class TcgProduct:
    product_id: int
    name: str
    group_id: int
    category_id: int | None
    number: str | None
    rarity: str | None
    url: str | None = None
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class TcgPriceRow:
    product_id: int
    sub_type: str
    low: Decimal | None
    mid: Decimal | None
    high: Decimal | None
    market: Decimal | None
    direct_low: Decimal | None


@dataclass
class Parsed:
    """What a payload held: the good records and how many were unusable."""

    items: list
    bad: int = 0


def results(payload: Any) -> list[Any]:
    """TCGplayer wraps lists as {"success": true, "errors": [], "results": [...]}; tcgcsv copies that."""
    if isinstance(payload, dict):
        if payload.get("success") is False and payload.get("errors"):
            raise FormatError(f"source reported errors: {payload['errors'][:3]}")
        payload = payload.get("results")
    if not isinstance(payload, list):
        raise FormatError("expected a results list")
    return payload


def _int(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _date(raw: Any) -> date | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def parse_groups(payload: Any) -> Parsed:
    out = Parsed([])
    for raw in results(payload):
        group_id = _int(raw.get("groupId")) if isinstance(raw, dict) else None
        if group_id is None or not raw.get("name"):
            out.bad += 1
            continue
        out.items.append(
            TcgGroup(group_id, str(raw["name"]), raw.get("abbreviation") or None, _int(raw.get("categoryId")),
                     _date(raw.get("publishedOn")))
        )
    return out


def extended(raw: dict[str, Any], name: str) -> str | None:
    for entry in raw.get("extendedData") or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            value = entry.get("value")
            return str(value).strip() if value not in (None, "") else None
    return None


def parse_products(payload: Any) -> Parsed:
    out = Parsed([])
    for raw in results(payload):
        product = _product(raw, extended(raw, "Number") if isinstance(raw, dict) else None,
                           extended(raw, "Rarity") if isinstance(raw, dict) else None)
        if product is None:
            out.bad += 1
        else:
            out.items.append(product)
    return out


def _product(raw: Any, number: str | None, rarity: str | None) -> TcgProduct | None:
    if not isinstance(raw, dict):
        return None
    product_id, group_id = _int(raw.get("productId")), _int(raw.get("groupId"))
    if product_id is None or group_id is None or not raw.get("name"):
        return None
    return TcgProduct(product_id, str(raw["name"]).strip(), group_id, _int(raw.get("categoryId")), number, rarity,
                      raw.get("url") or None, raw.get("imageUrl") or None)


def parse_prices(payload: Any) -> Parsed:
    out = Parsed([])
    for raw in results(payload):
        row = _price(raw) if isinstance(raw, dict) else None
        if row is None:
            out.bad += 1
        else:
            out.items.append(row)
    return out


def _price(raw: dict[str, Any]) -> TcgPriceRow | None:
    product_id = _int(raw.get("productId"))
    if product_id is None:
        return None
    return TcgPriceRow(
        product_id,
        str(raw.get("subTypeName") or "Normal"),
        to_decimal(raw.get("lowPrice")),
        to_decimal(raw.get("midPrice")),
        to_decimal(raw.get("highPrice")),
        to_decimal(raw.get("marketPrice")),
        to_decimal(raw.get("directLowPrice")),
    )


def parse_products_and_prices_csv(data: bytes | str) -> tuple[Parsed, Parsed]:
    """tcgcsv's ProductsAndPrices.csv: one row per product and sub-type (CRLF, quoted multi-line fields)."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "productId" not in reader.fieldnames:
        raise FormatError("not a ProductsAndPrices.csv (no productId column)")
    products: dict[int, TcgProduct] = {}
    prices, bad = Parsed([]), 0
    for raw in reader:
        product = _product(raw, (raw.get("extNumber") or "").strip() or None, (raw.get("extRarity") or "").strip() or None)
        if product is None:
            bad += 1
            continue
        products.setdefault(product.product_id, product)
        row = _price(raw)
        if row is not None and any((raw.get(k) or "").strip() for k in ("lowPrice", "midPrice", "highPrice", "marketPrice", "directLowPrice")):
            prices.items.append(row)
    return Parsed(list(products.values()), bad), prices


def index_products(products: Iterable[TcgProduct]) -> dict[int, TcgProduct]:
    return {p.product_id: p for p in products}
