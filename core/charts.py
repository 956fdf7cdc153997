"""Price-history charts as PNG bytes: matplotlib's object API on the Agg canvas (no pyplot; figures are
per thread, so rendering is safe in worker threads). Callers render off the event loop: in the chart worker
process the service uses, or `await asyncio.to_thread(render_chart, spec)`."""
from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from core.pricing import SeriesPoint  # noqa: E402

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 100  # 800 x 450 px: readable in a Discord embed and a Telegram photo
MAX_BYTES = 200_000


@dataclass(frozen=True)
class Theme:
    background: str
    panel: str
    text: str
    grid: str
    palette: tuple[str, ...]
    ath: str
    atl: str


THEMES = {
    "dark": Theme("#2b2d31", "#313338", "#dbdee1", "#4e5058", ("#5865f2", "#f0b232", "#23a55a", "#eb459e"),
                  "#23a55a", "#f23f43"),
    "light": Theme("#ffffff", "#f7f7f9", "#1f2328", "#d0d7de", ("#0969da", "#bf8700", "#1a7f37", "#8250df"),
                   "#1a7f37", "#cf222e"),
}


@dataclass(frozen=True)
class ChartSeries:
    label: str  # "tcgcsv · holofoil"
    points: list[SeriesPoint]


@dataclass(frozen=True)
class ChartSpec:
    title: str  # card name · set · number
    subtitle: str  # printing, condition, currency
    currency: str
    series: list[ChartSeries]
    theme: str = "dark"
    notes: list[str] = field(default_factory=list)


def _gapped(points: list[SeriesPoint]) -> tuple[list[float], list[float], list[float], list[float]]:
    """x, market, low, high with NaN breaks where the data has a hole (> 3x the usual spacing)."""
    spacing = _usual_spacing(points)
    stamps: list[datetime] = []
    market, low, high = [], [], []
    previous = None
    for point in points:
        if previous is not None and spacing and point.ts - previous > spacing * 3:
            stamps.append(previous + (point.ts - previous) / 2)
            market.append(math.nan)
            low.append(math.nan)
            high.append(math.nan)
        stamps.append(point.ts)
        market.append(_units(point.market_cents))
        low.append(_units(point.low_cents))
        high.append(_units(point.high_cents))
        previous = point.ts
    xs = list(date2num(stamps)) if stamps else []  # one vectorised call, not one per point
    return xs, market, low, high


def _units(cents: int | None) -> float:
    """Cents as a float amount for plotting; NaN breaks the line where there is no price."""
    return math.nan if cents is None else cents / 100


def _usual_spacing(points: list[SeriesPoint]) -> timedelta | None:
    gaps = sorted(b.ts - a.ts for a, b in zip(points, points[1:]))
    return gaps[len(gaps) // 2] if gaps else None


def _money(value: float, currency: str) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.01')):,} {currency}"


def render_chart(spec: ChartSpec) -> bytes:
    """PNG bytes for one card's price history; handles one point, gaps and flat series."""
    theme_name = spec.theme if spec.theme in THEMES else "dark"
    theme = THEMES[theme_name]
    drawn = [s for s in spec.series if any(p.market_cents is not None for p in s.points)]
    # An empty chart keeps matplotlib's default axes, so it gets a fresh figure (and it is rare)
    figure, axes = _reused_canvas(theme_name) if drawn else _new_canvas(theme)
    if not drawn:
        axes.text(0.5, 0.5, "No price history yet", ha="center", va="center", color=theme.text,
                  transform=axes.transAxes, fontsize=14)
    for index, series in enumerate(drawn):
        _plot_series(axes, series, theme.palette[index % len(theme.palette)], spec.currency, theme, index == 0)
    if drawn:
        _set_limits(axes, drawn)
        locator = AutoDateLocator(minticks=3, maxticks=8)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        if len(drawn) > 1 or drawn[0].label:
            legend = axes.legend(loc="upper left", fontsize=8, frameon=False)
            for text in legend.get_texts():
                text.set_color(theme.text)
    title = figure.text(0.09, 0.93, spec.title, color=theme.text, fontsize=13, fontweight="bold", va="center")
    subtitle = figure.text(0.09, 0.875, spec.subtitle, color=theme.text, fontsize=9, alpha=0.8, va="center")
    fit_width(title, TEXT_WIDTH_PX, min_size=9)
    fit_width(subtitle, TEXT_WIDTH_PX, min_size=7)
    if spec.notes:
        figure.text(0.09, 0.03, " · ".join(spec.notes)[:140], color=theme.text, fontsize=7, alpha=0.7)
    buffer = io.BytesIO()
    # zlib level 3 instead of 6: ~5 ms less per chart for ~18% more bytes (~39 KB, far under the 200 KB cap)
    figure.savefig(buffer, format="png", facecolor=theme.background, dpi=DPI, pil_kwargs={"compress_level": 3})
    return buffer.getvalue()


def _new_canvas(theme: Theme) -> tuple[Figure, Any]:
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor=theme.background)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.09, 0.14, 0.88, 0.70), facecolor=theme.panel)
    _style(axes, theme)
    return figure, axes


_canvases = threading.local()


def _reused_canvas(theme_name: str) -> tuple[Figure, Any]:
    """One figure per theme and thread (a chart worker process is one thread), emptied for each chart.

    Building the figure, its axes and their ticks was ~20 ms of a ~85 ms chart. Every artist of the previous
    chart is removed and everything a chart sets (limits, date locator, legend, texts) is set again, so the
    pixels equal a fresh figure's (tests/core/test_charts.py renders a sequence both ways and compares)."""
    cache = _canvases.__dict__.setdefault("by_theme", {})
    if theme_name not in cache:
        cache[theme_name] = _new_canvas(THEMES[theme_name])
    figure, axes = cache[theme_name]
    for artist in [*axes.lines, *axes.collections, *axes.texts, *axes.patches, *axes.images, *figure.texts]:
        artist.remove()
    if axes.get_legend() is not None:
        axes.get_legend().remove()
    return figure, axes


TEXT_WIDTH_PX = 0.89 * WIDTH_IN * DPI  # from the left margin to just inside the right edge
_SURELY_FITS = 50  # characters: shorter titles are not measured (measuring costs a text layout)


def fit_width(text, width_px: float, min_size: float) -> None:  # noqa: ANN001 - a matplotlib Text
    """Shrink a long title ('name · set · number (parallel 2)') down to `min_size`, then shorten its longest
    part with an ellipsis (the set name, as a rule), so it never runs off the image and keeps the number."""
    if len(text.get_text()) <= _SURELY_FITS:
        return
    renderer = text.figure.canvas.get_renderer()
    while text.get_window_extent(renderer).width > width_px and text.get_fontsize() > min_size:
        text.set_fontsize(text.get_fontsize() - 0.5)
    parts = text.get_text().split(" · ")
    while (width := text.get_window_extent(renderer).width) > width_px:
        longest = max(range(len(parts)), key=lambda i: len(parts[i]))
        if len(parts[longest]) <= 4:
            break
        # each cut is proportional to the overflow (one character at least): a few layouts, not one per character
        excess = len(text.get_text()) - int(len(text.get_text()) * width_px / width)
        parts[longest] = parts[longest].rstrip("…")[:-max(excess, 1)].rstrip(" ·") + "…"
        text.set_text(" · ".join(parts))


def _style(axes, theme: Theme) -> None:  # noqa: ANN001
    axes.tick_params(colors=theme.text, labelsize=8)
    for spine in axes.spines.values():
        spine.set_color(theme.grid)
    axes.grid(True, color=theme.grid, linewidth=0.6, alpha=0.6)
    axes.yaxis.set_major_formatter(lambda value, _pos: f"{value:,.2f}")


def _plot_series(axes, series: ChartSeries, color: str, currency: str, theme: Theme, primary: bool) -> None:  # noqa: ANN001
    xs, market, low, high = _gapped(series.points)
    if any(not math.isnan(v) for v in low) and any(not math.isnan(v) for v in high):
        axes.fill_between(xs, low, high, color=color, alpha=0.15, linewidth=0, label=None)
    single = sum(1 for v in market if not math.isnan(v)) == 1
    axes.plot(xs, market, color=color, linewidth=2, marker="o" if single else None, markersize=6,
              label=series.label or None)
    priced = [(x, v) for x, v in zip(xs, market) if not math.isnan(v)]
    last_x, last_v = priced[-1]
    axes.annotate(_money(last_v, currency), (last_x, last_v), xytext=(6, 0), textcoords="offset points",
                  color=color, fontsize=9, fontweight="bold", va="center")
    if primary and len(priced) > 2:
        high_point = max(priced, key=lambda p: p[1])
        low_point = min(priced, key=lambda p: p[1])
        if high_point[1] != low_point[1]:
            for point, label, mark_color, offset in ((high_point, "ATH", theme.ath, 8), (low_point, "ATL", theme.atl, -14)):
                axes.scatter(*point, color=mark_color, zorder=5, s=30)
                if point != priced[-1]:  # the current value is already labelled
                    axes.annotate(f"{label} {_money(point[1], currency)}", point, xytext=(0, offset),
                                  textcoords="offset points", color=mark_color, fontsize=8, ha="center")


def _set_limits(axes, drawn: list[ChartSeries]) -> None:  # noqa: ANN001
    values = [v / 100 for s in drawn for p in s.points for v in (p.market_cents, p.low_cents, p.high_cents)
              if v is not None]
    times = [p.ts for s in drawn for p in s.points]
    low, high = min(values), max(values)
    pad = (high - low) * 0.12 or max(high * 0.05, 0.05)  # flat series still get a visible band
    axes.set_ylim(max(low - pad, 0), high + pad)
    start, end = min(times), max(times)
    if end - start < timedelta(days=1):  # one point: centre it in a one-week frame
        start, end = start - timedelta(days=3), end + timedelta(days=3)
    span = end - start
    axes.set_xlim(date2num(start - span * 0.02), date2num(end + span * 0.12))


def clamp_size(png: bytes) -> bytes:
    """Charts are small by construction; refuse to hand a chat platform an oversized file."""
    if len(png) > MAX_BYTES:
        raise ValueError(f"chart is {len(png)} bytes, over the {MAX_BYTES} limit")
    return png

