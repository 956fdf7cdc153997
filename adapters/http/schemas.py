"""Request and response shapes of the HTTP API; the OpenAPI document is generated from these.

Money travels as a decimal string ("12.34") next to its currency, never as a float; times are UTC
ISO 8601. Lists carry `pagination` (limit, offset, has_more and, where cheap to know, total)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from core.models import Finish
from core.prices import CURRENCIES, GRADERS, PRICE_SOURCES

MONEY = Field(pattern=r"^-?\d+\.\d{2}$", examples=["12.34"])
Game = Literal["pokemon", "onepiece"]
FinishName = Literal[tuple(f.value for f in Finish)]
FINISH_DEFAULT = ("default: the plain printing priced most recently; before any source has priced the card, the "
                  "finish its rarity is printed in, moved to the finish its first prices come in if that is another")
Currency = Literal[tuple(CURRENCIES)]
SourceName = Literal[PRICE_SOURCES]
GRADES = tuple(f"{grader} {half / 2:g}" for grader in GRADERS for half in range(20, 1, -1))
ConditionName = Literal[("raw", "NM", "LP", "MP", "HP", "DMG", *GRADES)]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorDetail(_Out):
    code: str = Field(examples=["not_found"])
    message: str
    details: dict | list | None = None
    timestamp: datetime


class ErrorBody(_Out):
    error: ErrorDetail


class Pagination(_Out):
    limit: int
    offset: int
    has_more: bool
    total: int | None = None


class SetOut(_Out):
    code: str = Field(examples=["sv3pt5"])
    name: str
    game: Game
    series: str
    release_date: date | None
    printed_total: int | None
    total: int | None


class SetBrief(_Out):
    code: str
    name: str | None


class CardOut(_Out):
    id: str = Field(examples=["sv3pt5-199", "OP05-119_p1"])
    game: Game
    name: str
    set: SetBrief
    number: str
    rarity: str | None
    supertype: str | None
    image_url: str | None
    language: str
    variant: str | None = Field(description="One Piece parallels and alternate arts: p1, p2 ...")


class PriceOut(_Out):
    finish: str = Field(examples=["holofoil"])
    variant: str = Field(description="special printings (staff, prerelease, cosmos_holo ...); empty for the plain one")
    source: str = Field(examples=["tcgcsv"])
    condition: str = Field(examples=["raw (market)", "near mint", "PSA 10"])
    currency: str = Field(examples=["USD"])
    market: str | None = MONEY
    low: str | None = MONEY
    mid: str | None = MONEY
    high: str | None = MONEY
    sample_size: int | None
    as_of: datetime = Field(description="when the source priced it (sources update at most daily)")
    change_percent: str | None = Field(description="since the previous snapshot", examples=["-3.25"])
    previous_as_of: datetime | None


class CardDetail(_Out):
    card: CardOut
    prices: list[PriceOut]
    notes: list[str] = Field(description="e.g. a source is down and the price shown is its last known one")


class SearchPage(_Out):
    data: list[CardOut]
    pagination: Pagination


class SetPage(_Out):
    data: list[SetOut]
    pagination: Pagination


class HistoryPoint(_Out):
    t: datetime
    market: str | None = MONEY
    low: str | None = MONEY
    high: str | None = MONEY


class ChangeOut(_Out):
    amount: str = MONEY
    percent: str | None
    since: datetime


class Extreme(_Out):
    price: str = MONEY
    at: datetime


class SeriesSummary(_Out):
    current: str = MONEY
    as_of: datetime
    avg_price: str = MONEY
    low: str = MONEY
    high: str = MONEY
    change: dict[str, ChangeOut | None] = Field(description="per window: 24h, 7d, 30d, 90d")
    change_percent: str | None = Field(description="over the requested period")
    ath: Extreme
    atl: Extreme
    volatility: float | None = Field(description="standard deviation of daily log returns")
    trend: Literal["up", "down", "flat", "unknown"]
    points: int
    thin_market: bool
    thin_reason: str | None


class SeriesOut(_Out):
    source: str
    finish: str
    variant: str
    condition: str
    currency: str
    points: list[HistoryPoint] = Field(description="downsampled for long periods")
    summary: SeriesSummary | None = Field(description="over all history we hold; null without priced points")


class HistoryOut(_Out):
    card_id: str
    period: str
    series: list[SeriesOut]


class TrendingOut(_Out):
    card: CardOut | None
    card_id: str
    source: str | None = None
    finish: str | None = None
    variant: str | None = Field(None, description="'' for the plain printing; e.g. 'staff', 'jumbo', 'p1'")
    condition: str | None = Field(None, description="'raw (market)' or a grade such as 'PSA 10'")
    currency: str | None = None
    old_price: str | None = None
    new_price: str | None = None
    change_percent: str | None = None
    old_at: datetime | None = None
    new_at: datetime | None = None
    watchers_added: int | None = Field(None, description="most_watched only")


class TrendingPage(_Out):
    game: Game
    period: str
    kind: str
    data: list[TrendingOut]
    pagination: Pagination


def _json_number_only(value: object) -> object:
    """JSON's types as documented: 5 and 5.0 are numbers; "5", true and false are not."""
    if isinstance(value, (bool, str)):
        raise ValueError("must be a JSON number")
    return value


def json_int(low: int, high: int) -> type:
    # constraints before the validator, or pydantic writes them into the schema as unknown "ge"/"le" keys
    return Annotated[int, Field(ge=low, le=high), BeforeValidator(_json_number_only)]


def _two_decimals(value: float | None) -> float | None:
    """JSON numbers arrive as floats; the shortest repr is what the client wrote (95.1 -> "95.1")."""
    if value is not None and Decimal(repr(value)) != Decimal(repr(value)).quantize(Decimal("0.01")):
        raise ValueError("use at most two decimals")
    return value


class _AlertBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_id: str = Field(min_length=1, max_length=64, examples=["sv3pt5-199"])
    finish: FinishName | None = Field(None, description=FINISH_DEFAULT)
    condition: ConditionName | None = Field(None, description="default: the raw market price")
    source: SourceName | None = Field(None, description="default: best across sources")
    currency: Currency = "USD"
    cooldown_hours: json_int(0, 2160) | None = Field(
        None, description="quiet time after it fires (default 6)")


class PriceAlert(_AlertBase):
    """Fires when the price crosses the line: at or below (`below`) or at or above (`above`)."""

    kind: Literal["below", "above"]
    threshold: Annotated[float, Field(gt=0, le=2_000_000), BeforeValidator(_json_number_only)] = Field(
        examples=[95.5], json_schema_extra={"multipleOf": 0.01})

    _check = field_validator("threshold")(_two_decimals)


class MoveAlert(_AlertBase):
    """Fires when the price moves by `percent` within `window_days` (-15 = down 15 %)."""

    kind: Literal["pct_move"]
    percent: Annotated[float, Field(ge=-95, le=1000), BeforeValidator(_json_number_only)] = Field(
        examples=[-15], json_schema_extra={"multipleOf": 0.01, "not": {"const": 0}})
    window_days: json_int(1, 365) = 7

    @field_validator("percent")
    @classmethod
    def _nonzero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("a move of 0 % never happens: use -15 for down 15 %, 20 for up 20 %")
        return _two_decimals(value)


class LowAlert(_AlertBase):
    """Fires on a new `window_days`-day low."""

    kind: Literal["n_day_low"]
    window_days: json_int(2, 365) = 30


class AvailabilityAlert(_AlertBase):
    """Fires when prices for the printing appear (again)."""

    kind: Literal["availability"]


AlertCreate = Annotated[PriceAlert | MoveAlert | LowAlert | AvailabilityAlert, Field(discriminator="kind")]


class WatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_id: str = Field(min_length=1, max_length=64, examples=["sv3pt5-199"])
    finish: FinishName | None = Field(None, description=FINISH_DEFAULT)
    condition: ConditionName | None = Field(None, description="default: the raw market price")


class WatchItemOut(_Out):
    id: int
    card_id: str
    finish: str
    variant: str
    condition: str
    prices: list[PriceOut] = Field(description="latest per source for this printing and condition")


class WatchPage(_Out):
    data: list[WatchItemOut]
    pagination: Pagination


class AlertOut(_Out):
    id: int
    card_id: str
    finish: str
    variant: str
    condition: str
    source: str | None
    currency: str
    kind: str
    threshold: str | None = MONEY
    percent: str | None
    window_days: int | None
    state: str = Field(description="armed, pending (waiting for confirmation) or fired (re-arms past the margin)")
    active: bool
    paused_reason: str | None
    last_triggered: datetime | None
    delivered_to: str | None = Field(description="the chat platform its messages go to")


class AlertPage(_Out):
    data: list[AlertOut]
    pagination: Pagination


class AlertEvent(_Out):
    status: str = Field(examples=["sent", "failed", "suppressed"])
    detail: str | None
    at: datetime


class AlertHistoryPage(_Out):
    alert_id: int
    data: list[AlertEvent]
    pagination: Pagination


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_id: str = Field(min_length=1, max_length=64, examples=["sv3pt5-199"])
    note: str | None = Field(None, max_length=300, description="what looks wrong", examples=["the price is the jumbo's"])


class ReportOut(_Out):
    id: int
    card_id: str
    new: bool = Field(description="false when your open report of this card was updated instead")
