"""Chart images: valid PNGs of the expected size for short, long, single-point and empty series."""
from __future__ import annotations

import io
import struct
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from core import charts
from core.charts import ChartSeries, ChartSpec, render_chart
from core.pricing import SeriesPoint

NOW = datetime(2026, 11, 27, tzinfo=timezone.utc)


def series(days: int, gap: bool = False, flat: bool = False) -> list[SeriesPoint]:
    points = []
    for i in range(days):
        if gap and days // 3 < i < days // 2:
            continue
        value = Decimal("50") if flat else Decimal(100 + (i % 17) * 3 - i // 5)
        points.append(SeriesPoint.of(NOW - timedelta(days=days - i), value, value * Decimal("0.9"), value * Decimal("1.2")))
    return points


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.mark.parametrize("theme", ["dark", "light"])
@pytest.mark.parametrize(
    "points", [series(7), series(365), series(1), series(90, gap=True), series(30, flat=True), []],
    ids=["7d", "1y", "one-point", "gap", "flat", "empty"],
)
def test_every_shape_renders_a_small_png(points, theme):
    spec = ChartSpec("Charizard ex · 151 · 199", "raw (market) · USD · 1y", "USD",
                     [ChartSeries("tcgcsv · holofoil", points)], theme)
    png = render_chart(spec)
    assert png_size(png) == (800, 450)
    assert len(png) <= charts.MAX_BYTES


def test_several_sources_overlay():
    spec = ChartSpec("Pikachu ex", "raw · USD", "USD",
                     [ChartSeries("tcgcsv", series(60)), ChartSeries("pokemontcg", series(45)), ChartSeries("ebay", series(10))])
    assert png_size(render_chart(spec)) == (800, 450)


def pixels(png: bytes) -> bytes:
    from PIL import Image

    return Image.open(io.BytesIO(png)).convert("RGBA").tobytes()


def test_a_reused_figure_draws_exactly_what_a_fresh_one_draws():
    """Charts reuse one figure per theme and thread; nothing of the previous chart may show in the next."""
    specs = [
        ChartSpec("Charizard ex · 151 · 199", "raw (market) · USD · 1y", "USD", [ChartSeries("tcgcsv", series(365))]),
        ChartSpec("No legend after a legend", "raw · USD · 14d", "USD", [ChartSeries("", series(14))]),
        ChartSpec("Pikachu ex · Surging Sparks · 238", "raw · USD · 7d", "USD", [ChartSeries("", series(7))], "light"),
        ChartSpec("One point", "raw · USD", "USD", [ChartSeries("tcgcsv", series(1))]),
        ChartSpec("Nothing yet", "raw · USD", "USD", [ChartSeries("tcgcsv", [])]),
        ChartSpec("Three sources", "raw · USD · 3m", "USD",
                  [ChartSeries("tcgcsv", series(90)), ChartSeries("ebay", series(40, gap=True))], notes=["thin market"]),
        ChartSpec("Flat · " + "A VERY LONG SET NAME " * 5 + "· OP10-119 (parallel 2)", "raw · EUR", "EUR",
                  [ChartSeries("cardmarket", series(30, flat=True))], "light"),
        ChartSpec("Charizard ex · 151 · 199", "raw (market) · USD · 30d", "USD", [ChartSeries("tcgcsv", series(30))]),
    ]
    in_turn = [render_chart(spec) for spec in specs]  # one thread: each theme's figure serves several charts
    for spec, png in zip(specs, in_turn):
        charts._canvases.__dict__.clear()  # the next render builds its figure from scratch
        assert pixels(render_chart(spec)) == pixels(png), spec.title


def test_a_long_title_shrinks_then_is_cut_but_never_runs_off_the_image():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(charts.WIDTH_IN, charts.HEIGHT_IN), dpi=charts.DPI)
    FigureCanvasAgg(figure)
    renderer = figure.canvas.get_renderer()
    fits = figure.text(0.09, 0.9, "Monkey.D.Luffy · AWAKENING OF THE NEW ERA · OP05-119 (parallel 1)", fontsize=13,
                       fontweight="bold")
    charts.fit_width(fits, charts.TEXT_WIDTH_PX, min_size=9)
    assert fits.get_window_extent(renderer).width <= charts.TEXT_WIDTH_PX and "(parallel 1)" in fits.get_text()
    huge = figure.text(0.09, 0.8, "Trafalgar Law · " + "A VERY LONG PREMIUM BOOSTER SET NAME " * 4 + "· OP10-119 (parallel 2)",
                       fontsize=13, fontweight="bold")
    charts.fit_width(huge, charts.TEXT_WIDTH_PX, min_size=9)
    assert huge.get_window_extent(renderer).width <= charts.TEXT_WIDTH_PX
    assert huge.get_fontsize() == 9 and huge.get_text().startswith("Trafalgar Law · A VERY")
    assert huge.get_text().endswith("… · OP10-119 (parallel 2)")  # the set name gave way, not the print


async def test_chart_renders_in_a_worker_thread(monkeypatch, sample_index):
    from core.history_service import HistoryService
    from storage.history_repo import SeriesKey
    from core.models import Finish

    loop_thread = threading.get_ident()
    seen = []
    real = charts.render_chart

    def recording(spec):
        seen.append(threading.get_ident())
        return real(spec)

    class Queries:
        async def series(self, *args, **kwargs):
            return {SeriesKey(1, Finish.HOLOFOIL, "", "tcgcsv", 0, "USD"): series(30)}

        async def source_names(self):
            return ["tcgcsv"]

    monkeypatch.setattr(charts, "render_chart", recording)
    card = sample_index.get("sv3pt5-199")
    png = await HistoryService(Queries(), clock=lambda: NOW).chart(card, sample_index.set_of(card), "30d")
    assert png_size(png) == (800, 450)
    assert seen and seen[0] != loop_thread


async def test_the_service_renders_charts_in_a_worker_process():
    from bot.chart_pool import ProcessChartRenderer

    renderer = ProcessChartRenderer(1)
    try:
        spec = ChartSpec("Charizard ex", "raw · USD", "USD", [ChartSeries("tcgcsv", series(30))])
        assert png_size(await renderer(spec)) == (800, 450)
    finally:
        renderer.close()


async def test_a_chart_nobody_chose_a_theme_for_has_the_operators_theme(sample_index):
    from core.history_service import HistoryService
    from core.models import Finish
    from storage.history_repo import SeriesKey

    class Queries:
        async def series(self, *args, **kwargs):
            return {SeriesKey(1, Finish.HOLOFOIL, "", "tcgcsv", 0, "USD"): series(30)}

        async def source_names(self):
            return ["tcgcsv"]

    themes = []

    async def renderer(spec):
        themes.append(spec.theme)
        return render_chart(spec)

    card = sample_index.get("sv3pt5-199")
    service = HistoryService(Queries(), clock=lambda: NOW, renderer=renderer, chart_theme="light")
    await service.chart(card, sample_index.set_of(card), "30d")  # [history] chart_theme = "light"
    await service.chart(card, sample_index.set_of(card), "30d", theme="dark")  # someone asked for dark
    assert themes == ["light", "dark"]
