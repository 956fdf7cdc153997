"""Alert rules, pure: what a rule is, how it is validated, and how its state moves on a new price.

A rule fires when the price *crosses* its line (state armed -> fired), not on every snapshot beyond it;
it re-arms only after the price moves back past the line by a margin (hysteresis). A cooldown swallows
crossings that come too soon after the last alert, and `confirm_snapshots` > 1 asks a thin market to
hold the move for that many snapshots before anyone is told (anti-spike guard)."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from core.models import format_cents
from core.prices import CURRENCIES, MAX_PRICE


class RuleKind(enum.StrEnum):
    BELOW = "below"  # price at or below a threshold (the seed's price_drop with <=)
    ABOVE = "above"  # price at or above (the seed's price_increase with >=)
    PCT_MOVE = "pct_move"  # moved by X% within a window; negative percent = a drop
    N_DAY_LOW = "n_day_low"  # the lowest price of the last N days
    AVAILABILITY = "availability"  # any price data appears (one shot)


SEED_KINDS = {("price_drop", "<="): RuleKind.BELOW, ("price_drop", "<"): RuleKind.BELOW,
              ("price_increase", ">="): RuleKind.ABOVE, ("price_increase", ">"): RuleKind.ABOVE,
              ("availability", None): RuleKind.AVAILABILITY}


class RuleError(ValueError):
    """A rule a user asked for that cannot be made; the message says what to change."""


class LimitReached(RuleError):
    """The person already has as many alerts (or API keys) as allowed; the message says which limit."""


@dataclass(frozen=True)
class RuleSpec:
    kind: RuleKind
    currency: str
    threshold_cents: int | None = None
    percent_bp: int | None = None  # basis points: -1500 = down 15 %
    window_days: int | None = None
    rearm_margin_bp: int = 200
    cooldown_s: int = 6 * 3600
    confirm_snapshots: int = 1


def parse_price(raw: object) -> Decimal:
    if raw is None or not str(raw).strip():
        raise RuleError("Give a price, like 12.50.")
    text = str(raw).strip().replace(",", "").lstrip("$€£¥").strip() if raw is not None else ""
    if text.endswith("%"):  # 'above 5%': a move, asked for with the words of a threshold
        raise RuleError(f"“{raw}” is a percent; a price line is written like 12.50. For a move, say "
                        f"“up {text}” or “down {text}”, with a window if you like: “down {text} in 7 days”.")
    try:
        value = Decimal(text)
    except InvalidOperation as err:
        raise RuleError(f"“{raw}” is not a price. Write it like 12.50.") from err
    if not value.is_finite():
        raise RuleError(f"“{raw}” is not a price. Write it like 12.50.")
    if value <= 0:
        raise RuleError("A price threshold must be more than zero.")
    if value > MAX_PRICE:
        raise RuleError(f"{str(raw).strip()} is beyond any card price we track (max {MAX_PRICE:,}).")
    if value != value.quantize(Decimal("0.01")):
        raise RuleError("Prices have at most two decimals.")
    return value


def make_rule(kind: str, currency: str = "USD", *, threshold: object = None, percent: object = None,
              window_days: object = None, cooldown_hours: object = 6, confirm_snapshots: object = 1,
              rearm_margin_percent: object = 2) -> RuleSpec:
    """Validate a user's request into a RuleSpec (raises RuleError with a friendly message)."""
    try:
        rule_kind = RuleKind(str(kind).strip().lower())
    except ValueError as err:
        raise RuleError(f"Unknown alert type “{kind}”. Use one of: {', '.join(k.value for k in RuleKind)}.") from err
    if currency not in CURRENCIES:
        raise RuleError(f"Unknown currency “{currency}”. Use one of: {', '.join(CURRENCIES)}.")
    spec = dict(kind=rule_kind, currency=currency, cooldown_s=_int_in(cooldown_hours, 0, 24 * 90, "cooldown hours") * 3600,
                confirm_snapshots=_int_in(confirm_snapshots, 1, 5, "confirmations"),
                rearm_margin_bp=int(_decimal_in(rearm_margin_percent, 0, 50, "re-arm margin %") * 100))
    if rule_kind in (RuleKind.BELOW, RuleKind.ABOVE):
        spec["threshold_cents"] = int(parse_price(threshold) * 100)
    elif rule_kind is RuleKind.PCT_MOVE:
        pct = _decimal_in(percent, -95, 1000, "percent move")
        if pct == 0:
            raise RuleError("A percent move must not be zero: use -15 for “down 15 %”, 20 for “up 20 %”.")
        spec["percent_bp"] = int(pct * 100)
        spec["window_days"] = _int_in(window_days if window_days is not None else 7, 1, 365, "window days")
    elif rule_kind is RuleKind.N_DAY_LOW:
        spec["window_days"] = _int_in(window_days if window_days is not None else 30, 2, 365, "days")
    return RuleSpec(**spec)


def _decimal_in(raw: object, low: float, high: float, what: str) -> Decimal:
    if raw is None or not str(raw).strip():
        raise RuleError(f"Give the {what} (a number between {low} and {high}).")
    try:
        value = Decimal(str(raw).strip().rstrip("%"))
    except (InvalidOperation, AttributeError) as err:
        raise RuleError(f"{what.capitalize()} must be a number, not “{raw}”.") from err
    if not value.is_finite() or not low <= value <= high:
        raise RuleError(f"{what.capitalize()} must be between {low} and {high}.")
    return value


def _int_in(raw: object, low: int, high: int, what: str) -> int:
    value = _decimal_in(raw, low, high, what)
    if value != value.to_integral_value():
        raise RuleError(f"{what.capitalize()} must be a whole number.")
    return int(value)


# ---------------------------------------------------------------- state machine


@dataclass(frozen=True)
class RuleState:
    state: str  # armed | fired
    pending_count: int
    last_triggered_at: datetime | None
    cooldown_s: int
    confirm_snapshots: int


@dataclass(frozen=True)
class Step:
    state: str
    pending_count: int
    fire: bool  # send an alert
    suppressed: bool = False  # crossed, but inside the cooldown: consumed without a message
    deactivate: bool = False  # one-shot rules (availability) end here


def step(rule: RuleState, holds: bool, rearm: bool, now: datetime, one_shot: bool = False) -> Step:
    """The next state of a rule given whether its condition holds on the newest price."""
    if rule.state == "fired":
        return Step("armed", 0, False) if rearm else Step("fired", rule.pending_count, False)
    if not holds:
        return Step("armed", 0, False)
    pending = rule.pending_count + 1
    if pending < rule.confirm_snapshots:
        return Step("armed", pending, False)  # wait for the next snapshot to confirm
    cooling = rule.last_triggered_at is not None and now - rule.last_triggered_at < timedelta(seconds=rule.cooldown_s)
    if cooling:
        return Step("fired", 0, False, suppressed=True)
    return Step("fired", 0, True, deactivate=one_shot)


# ---------------------------------------------------------------- the message (platform-neutral)


@dataclass(frozen=True)
class AlertMessage:
    """What every platform renders: structured, never markup."""

    kind: str  # rule | feed | digest
    headline: str  # "at or below 5.00 EUR", "down 15% in 7 days", "new 30-day low"
    card_id: str
    card_name: str
    set_name: str
    number: str
    printing: str  # "Holofoil", "Foil (staff)"
    condition: str
    source: str
    currency: str
    new_price: str
    old_price: str | None
    percent: str | None  # "-12.33%"
    as_of: str  # ISO UTC
    link: str | None
    image_url: str | None = None
    rule_id: int | None = None
    feed_id: int | None = None
    dedup_key: str = ""
    extra: dict = field(default_factory=dict)

    def plain_text(self, now: datetime | None = None) -> str:
        if self.kind == "digest":
            return "\n".join([f"📊 {self.card_name} · {self.set_name} · {self.headline}", *self.extra.get("lines", [])])
        move = f"{self.old_price} → {self.new_price}" if self.old_price else self.new_price
        pct = f" ({self.percent})" if self.percent else ""
        age = ""
        if now is not None:
            from core.price_service import format_age

            age = f", {format_age(now - datetime.fromisoformat(self.as_of))}"
        return (f"🔔 {self.card_name} · {self.set_name} · {self.number} [{self.printing}, {self.condition}] "
                f"{self.headline}: {move}{pct} on {self.source} (as of {self.as_of[:16].replace('T', ' ')} UTC{age})"
                + (f" {self.link}" if self.link else ""))

    def as_json(self) -> dict:
        """A shallow dict of the fields (asdict's deep copy costs more than the whole evaluation)."""
        data = {name: getattr(self, name) for name in _MESSAGE_FIELDS}
        data["extra"] = dict(self.extra)
        return data

    @classmethod
    def from_json(cls, data: dict) -> AlertMessage:
        return cls(**data)


_MESSAGE_FIELDS = tuple(f.name for f in fields(AlertMessage))


def headline(kind: str, threshold_cents: int | None, percent_bp: int | None, window_days: int | None,
             currency: str) -> str:
    """What happened, after the card's name: 'is at or below 5.00 EUR', 'moved down 15% within 7 days'."""
    if kind in (RuleKind.BELOW, RuleKind.ABOVE):
        return f"is {watched_for(kind, threshold_cents, percent_bp, window_days, currency)}"
    if kind == RuleKind.PCT_MOVE:
        return f"moved {watched_for(kind, threshold_cents, percent_bp, window_days, currency)}"
    if kind == RuleKind.N_DAY_LOW:
        return f"hit {watched_for(kind, threshold_cents, percent_bp, window_days, currency)}"
    return "has price data now"


def watched_for(kind: str, threshold_cents: int | None, percent_bp: int | None, window_days: int | None,
                currency: str) -> str:
    """What a rule waits for, as its confirmation and /alert list say it: 'at or below 1,000.50 USD',
    'down 15% within 7 days', 'a new 30-day low', 'the first price in USD'."""
    if kind == RuleKind.BELOW:
        return f"at or below {format_cents(threshold_cents, currency)}"
    if kind == RuleKind.ABOVE:
        return f"at or above {format_cents(threshold_cents, currency)}"
    if kind == RuleKind.PCT_MOVE:
        return f"{'down' if percent_bp < 0 else 'up'} {abs(percent_bp) / 100:g}% within {window_days} days"
    if kind == RuleKind.N_DAY_LOW:
        return f"a new {window_days}-day low"
    return f"the first price in {currency}"
