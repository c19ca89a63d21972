"""Tabs found by a stable name (``plan``, ``forecast``) rather than by position or title,
and a quiet close button for closable tabs (the style's own is a red box in Fusion)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QAbstractButton, QTabBar, QTabWidget, QWidget

from csdesk.errors import CsdeskError

_PROPERTY = "csdeskTabName"


def add_named_tab(tabs: QTabWidget, widget: QWidget, name: str, title: str) -> int:
    """Add ``widget`` as a tab titled ``title`` that :func:`show_tab` finds by ``name``."""
    widget.setProperty(_PROPERTY, name)
    return tabs.addTab(widget, title)


def tab_names(tabs: QTabWidget) -> list[str]:
    return [str(tabs.widget(i).property(_PROPERTY) or "") for i in range(tabs.count())]


def show_tab(tabs: QTabWidget, name: str, what: str = "tab") -> QWidget:
    """Bring the tab called ``name`` forward; an unknown name is a user-facing error."""
    names = tab_names(tabs)
    if name not in names:
        raise CsdeskError(f"{what} is one of {', '.join(n for n in names if n)}, not {name!r}")
    tabs.setCurrentIndex(names.index(name))
    return tabs.currentWidget()


class QuietCloseButton(QAbstractButton):
    """A small × in the theme's muted text colour; on hover, the text colour on a faint
    rounded background (as browsers and editors draw it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCursor(Qt.CursorShape.ArrowCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setToolTip("Close tab")
        self.setAccessibleName("Close tab")
        self.setFixedSize(self.sizeHint())

    def sizeHint(self) -> QSize:
        return QSize(16, 16)

    def enterEvent(self, event: object) -> None:  # type: ignore[override]
        self.update()
        super().enterEvent(event)  # type: ignore[arg-type]

    def leaveEvent(self, event: object) -> None:  # type: ignore[override]
        self.update()
        super().leaveEvent(event)  # type: ignore[arg-type]

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        hot = self.underMouse() or self.isDown()
        if hot:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(pal.color(QPalette.ColorRole.Mid))
            p.setOpacity(0.45)
            p.drawRoundedRect(QRectF(self.rect()), 3, 3)
            p.setOpacity(1.0)
        colour = pal.color(QPalette.ColorRole.Text if hot else QPalette.ColorRole.PlaceholderText)
        p.setPen(QPen(colour, 1.4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        m = 4.5
        w, h = self.width(), self.height()
        p.drawLine(QPointF(m, m), QPointF(w - m, h - m))
        p.drawLine(QPointF(w - m, m), QPointF(m, h - m))
        p.end()


def quiet_close_button(tabs: QTabWidget, widget: QWidget) -> None:
    """Give ``widget``'s tab the quiet close button; a click asks to close that tab, wherever
    it has moved to since."""
    button = QuietCloseButton()
    button.clicked.connect(lambda: tabs.tabCloseRequested.emit(tabs.indexOf(widget)))
    tabs.tabBar().setTabButton(tabs.indexOf(widget), QTabBar.ButtonPosition.RightSide, button)
