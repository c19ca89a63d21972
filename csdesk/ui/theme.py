"""Look and feel: Fusion everywhere, light or dark following the OS, consistent colours."""

from __future__ import annotations

import os
from importlib import resources

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QStyleOptionHeader,
    QStyleOptionViewItem,
    QWidget,
)

BAND_COLOURS = {
    "green": QColor("#16a34a"),
    "yellow": QColor("#d97706"),
    "red": QColor("#dc2626"),
}
ACCENT = QColor("#2563eb")
ERROR_COLOUR = BAND_COLOURS["red"]  # what went wrong, said in red next to where it happened
THEME_ENV = "CSDESK_THEME"  # light | dark: overrides the OS (screenshots, tests)


FIELD_BORDER_DARK = QColor("#4b5563")  # a text field's edge on the dark palette
CHECK_BORDER_DARK = QColor("#9ca3af")  # a check box's edge on the dark palette
CHECKS = (QStyle.PrimitiveElement.PE_IndicatorCheckBox,
          QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck)
# A checked (toggled on) button: Fusion only darkens it a shade, which on the dark
# palette's buttons reads as not checked; an accent-tinted face and edge say "on" (light
# and dark alike).
PANELS = (QStyle.PrimitiveElement.PE_PanelButtonCommand,
          QStyle.PrimitiveElement.PE_PanelButtonTool)
CHECKED_FACE = {True: QColor("#1e3a5f"), False: QColor("#dbeafe")}  # by is_dark()
CHECKED_EDGE = {True: QColor("#3b82f6"), False: ACCENT}
SORT_ARROW_ROOM = 14  # pixels kept beside a header's text for its sort arrow
CELL_PADDING = 4  # pixels each side of a table cell's text: a right-aligned amount never
# touches the left-aligned date in the next column


class CsdeskStyle(QProxyStyle):
    """Fusion, with corrections seen on screenshots: a header's text keeps clear of its sort
    arrow (a right-aligned "ARR" was drawn under it); a cell's text has a little padding
    each side (an amount touched the date beside it); and in the dark palette a text field's
    edge and a check box's are visible (Fusion darkens the window colour for them: black on
    black, so a ticked box showed a bare ✓ and an empty one nothing), and so is a checked
    button (:data:`PANELS`)."""

    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))
        self.setObjectName("fusion")

    def sizeFromContents(self, kind: QStyle.ContentsType, option: QStyleOption,
                         size: QSize, widget: QWidget | None = None) -> QSize:
        size = super().sizeFromContents(kind, option, size, widget)
        if kind == QStyle.ContentsType.CT_ItemViewItem:  # room for the padding
            size = QSize(size.width() + 2 * CELL_PADDING, size.height())
        return size

    def drawControl(self, element: QStyle.ControlElement, option: QStyleOption,
                    painter: QPainter, widget: QWidget | None = None) -> None:
        if element == QStyle.ControlElement.CE_HeaderLabel and isinstance(
                option, QStyleOptionHeader) and \
                option.orientation == Qt.Orientation.Horizontal:
            # the cells' padding, and clear of the sort arrow when there is one
            arrow = SORT_ARROW_ROOM if option.sortIndicator != \
                QStyleOptionHeader.SortIndicator.None_ else 0
            option = QStyleOptionHeader(option)
            option.rect = option.rect.adjusted(CELL_PADDING - 3, 0, -CELL_PADDING - arrow, 0)
        if element == QStyle.ControlElement.CE_ItemViewItem and isinstance(
                option, QStyleOptionViewItem):
            # The cell's background and selection across its whole width, then its content
            # inset by the padding (a sizeHint asks for that much more: sizeFromContents).
            super().drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option,
                                  painter, widget)
            option = QStyleOptionViewItem(option)
            option.rect = option.rect.adjusted(CELL_PADDING, 0, -CELL_PADDING, 0)
        super().drawControl(element, option, painter, widget)

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption,
                      painter: QPainter, widget: QWidget | None = None) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element == QStyle.PrimitiveElement.PE_FrameLineEdit and is_dark() and not (
                option.state & QStyle.StateFlag.State_HasFocus):
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(FIELD_BORDER_DARK, 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5), 2, 2)
            painter.restore()
        if element in PANELS and option.state & QStyle.StateFlag.State_On:
            dark = is_dark()
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(CHECKED_EDGE[dark], 1))
            painter.setBrush(CHECKED_FACE[dark])
            painter.drawRoundedRect(QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5), 2, 2)
            painter.restore()
        if element in CHECKS and is_dark():
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(CHECK_BORDER_DARK, 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            box = QRectF(option.rect)
            side = min(box.width(), box.height())  # Fusion's box: a square, centred
            box = QRectF(box.center().x() - side / 2, box.center().y() - side / 2, side, side)
            painter.drawRect(box.adjusted(0.5, 0.5, -0.5, -0.5))
            painter.restore()


def apply_style(app: QApplication, theme: str | None = None) -> str:
    """Fusion (with :class:`CsdeskStyle`'s corrections) with a light or dark palette;
    returns the theme applied."""
    app.setStyle(CsdeskStyle())
    app.setWindowIcon(app_icon())
    theme = theme or os.environ.get(THEME_ENV)
    if theme is None:
        scheme = app.styleHints().colorScheme()
        theme = "dark" if scheme == Qt.ColorScheme.Dark else "light"
    app.setPalette(dark_palette() if theme == "dark" else light_palette())
    app.setProperty("csdesk_theme", theme)
    return theme


def light_palette() -> QPalette:
    p = QPalette()
    p.setColor(QPalette.ColorRole.Window, QColor("#f3f4f6"))
    p.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#f8fafc"))
    p.setColor(QPalette.ColorRole.Text, QColor("#111827"))
    p.setColor(QPalette.ColorRole.WindowText, QColor("#111827"))
    p.setColor(QPalette.ColorRole.Button, QColor("#f9fafb"))
    p.setColor(QPalette.ColorRole.ButtonText, QColor("#111827"))
    p.setColor(QPalette.ColorRole.Highlight, ACCENT)
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#6b7280"))
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor("#111827"))
    p.setColor(QPalette.ColorRole.ToolTipText, QColor("#f9fafb"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#9ca3af"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#9ca3af"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#9ca3af"))
    return p


def dark_palette() -> QPalette:
    p = QPalette()
    p.setColor(QPalette.ColorRole.Window, QColor("#1f2329"))
    p.setColor(QPalette.ColorRole.Base, QColor("#16191d"))
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#1c2026"))
    p.setColor(QPalette.ColorRole.Text, QColor("#e5e7eb"))
    p.setColor(QPalette.ColorRole.WindowText, QColor("#e5e7eb"))
    p.setColor(QPalette.ColorRole.Button, QColor("#2a2f36"))
    p.setColor(QPalette.ColorRole.ButtonText, QColor("#e5e7eb"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#3b82f6"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#9ca3af"))
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor("#e5e7eb"))
    p.setColor(QPalette.ColorRole.ToolTipText, QColor("#111827"))
    p.setColor(QPalette.ColorRole.Link, QColor("#60a5fa"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6b7280"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#6b7280"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6b7280"))
    return p


def app_icon() -> QIcon:
    path = resources.files("csdesk.resources") / "icons" / "csdesk.svg"
    return QIcon(str(path))


def is_dark(app: QApplication | None = None) -> bool:
    app = app or QApplication.instance()  # type: ignore[assignment]
    return app is not None and app.palette().window().color().lightness() < 128


def error_label(parent: QWidget | None = None) -> QLabel:
    """An empty label that shows a problem in the theme's error colour."""
    label = QLabel(parent)
    label.setStyleSheet(f"color: {ERROR_COLOUR.name()};")
    return label
