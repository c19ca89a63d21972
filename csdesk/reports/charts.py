"""Charts for the PDFs: matplotlib ``Figure`` on the Agg canvas (never pyplot, so nothing is
kept in a global figure registry and memory stays flat over a batch). The Agg pixel buffer goes
to reportlab as an image directly, without encoding and decoding a PNG.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable

from csdesk.reports.fonts import _font_dir

INK, MUTED, GRID = "#111827", "#6b7280", "#e5e7eb"
DPI = 150


class ChartImage(Flowable):
    """A rendered chart: RGBA pixels from Agg drawn at a fixed size on the page."""

    def __init__(self, image: Any, width: float, height: float) -> None:
        super().__init__()
        self.image, self.width, self.height = image, width, height

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.drawImage(ImageReader(self.image), 0, 0, self.width, self.height)


def _figure(width_mm: float, height_mm: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _style(ax: Any, title: str) -> None:
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=str(_font_dir() / "DejaVuSans-Bold.ttf"), size=8)
    ax.set_title(title, loc="left", fontproperties=font, color=INK, pad=4)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(GRID)
    ax.tick_params(colors=MUTED, labelsize=6.5, length=0)
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)


def _render(fig: Any, width_mm: float, height_mm: float) -> ChartImage:
    from PIL import Image

    fig.tight_layout(pad=0.6)
    canvas = fig.canvas
    canvas.draw()
    w, h = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    image = image.convert("RGB")  # reportlab would otherwise keep an alpha mask
    fig.clear()
    return ChartImage(image, width_mm * mm, height_mm * mm)


def _quarter_ticks(ax: Any, dates: Sequence[date]) -> None:
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))


def line_chart(title: str, dates: Sequence[date], series: Sequence[tuple[str, Sequence[Any],
                                                                         str]],
               width_mm: float = 174, height_mm: float = 52) -> ChartImage:
    """Lines over time: (label, values, colour) each; None values leave gaps."""
    return _render(line_figure(title, dates, series, width_mm, height_mm), width_mm, height_mm)


def line_figure(title: str, dates: Sequence[date],
                series: Sequence[tuple[str, Sequence[Any], str]],
                width_mm: float = 174, height_mm: float = 52) -> Any:
    fig = _figure(width_mm, height_mm)
    ax = fig.add_subplot()
    _style(ax, title)
    for label, values, colour in series:
        ys = [float("nan") if v is None else v for v in values]
        ax.plot(dates, ys, color=colour, linewidth=1.4, label=label)
    _quarter_ticks(ax, dates)
    ax.set_ylim(bottom=0)
    if len(series) > 1:
        ax.legend(fontsize=6.5, frameon=False, loc="lower right")
    return fig


def bar_chart(title: str, dates: Sequence[date], values: Sequence[Any], colour: str,
              width_mm: float = 174, height_mm: float = 52) -> ChartImage:
    fig = _figure(width_mm, height_mm)
    ax = fig.add_subplot()
    _style(ax, title)
    ax.bar(dates, [0 if v is None else v for v in values], width=5, color=colour)
    _quarter_ticks(ax, dates)
    return _render(fig, width_mm, height_mm)
