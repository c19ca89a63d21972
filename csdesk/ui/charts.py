"""Matplotlib charts inside Qt: a Figure on the QtAgg canvas, coloured to match the app.

matplotlib is imported on first use (it costs a noticeable part of a second), never at
start-up; figures are made with ``Figure`` (never pyplot) so nothing global leaks.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QSizePolicy, QWidget

from csdesk.ui.theme import is_dark


class Chart(QWidget):
    """A titled matplotlib chart; ``draw(fn)`` calls ``fn(ax)`` and refreshes."""

    def __init__(self, title: str, parent: QWidget | None = None, height: float = 2.6, *,
                 margins: tuple[int, int, int, int] | None = None) -> None:
        """``margins`` (left, top, right, bottom, in pixels) fix the room around the axes:
        a chart whose tick labels are short (dates, small counts) then skips matplotlib's
        constrained layout, most of the cost of drawing it."""
        super().__init__(parent)
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure
        from PySide6.QtWidgets import QVBoxLayout

        self.title = title
        self.is_empty = False
        self.figure = Figure(figsize=(5, height), dpi=100,
                             layout=None if margins else "constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.margins = margins
        if margins:
            self.canvas.mpl_connect("resize_event", lambda _e: self._fit())
            self._fit()
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.canvas.setMinimumHeight(int(height * 80))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)

    def _fit(self) -> None:
        assert self.margins is not None
        left, top, right, bottom = self.margins
        w, h = (self.figure.get_size_inches() * self.figure.dpi).tolist()
        if w > left + right + 20 and h > top + bottom + 20:
            self.figure.subplots_adjust(left=left / w, right=1 - right / w,
                                        top=1 - top / h, bottom=bottom / h)

    def draw(self, fn: Any, *, empty: bool = False, empty_text: str = "No data yet") -> None:
        """Draw with ``fn(ax)``; when ``empty``, say ``empty_text`` instead of drawing axes
        (no made-up −0.04…0.04 scale, no "$0K" on every tick, no 0 % for an unknown)."""
        dark = is_dark()
        fg, bg = ("#e5e7eb", "#16191d") if dark else ("#1f2937", "#ffffff")
        grid = "#374151" if dark else "#e5e7eb"
        self.figure.clear()
        self.figure.set_facecolor(bg)
        ax = self.figure.add_subplot(111)
        ax.set_facecolor(bg)
        self.is_empty = empty
        if empty:
            ax.set_axis_off()
            ax.text(0.5, 0.45, empty_text, ha="center", va="center", transform=ax.transAxes,
                    color="#9ca3af", fontsize=10)
            ax.set_title(self.title, color=fg, fontsize=10, loc="left")
            self.canvas.draw_idle()
            return
        fn(ax)
        ax.set_title(self.title, color=fg, fontsize=10, loc="left")
        ax.tick_params(colors=fg, labelsize=8)
        for spine in ax.spines.values():
            spine.set_color(grid)
        ax.grid(True, color=grid, linewidth=0.6, alpha=0.8)
        ax.set_axisbelow(True)
        legend = ax.get_legend()
        if legend is not None:
            legend.get_frame().set_facecolor(bg)
            for text in legend.get_texts():
                text.set_color(fg)
        self.canvas.draw_idle()


def warm_up() -> None:
    """Import matplotlib ahead of the first chart (on the idle lane, after start-up): the
    first account page then opens as fast as the next ones."""
    import matplotlib.backends.backend_qtagg
    import matplotlib.dates
    import matplotlib.figure  # noqa: F401
