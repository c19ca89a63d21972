"""Look and feel: Fusion everywhere, light or dark following the OS, consistent colours."""

from __future__ import annotations

import os
from importlib import resources

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

BAND_COLOURS = {
    "green": QColor("#16a34a"),
    "yellow": QColor("#d97706"),
    "red": QColor("#dc2626"),
}
ACCENT = QColor("#2563eb")
ERROR_COLOUR = BAND_COLOURS["red"]  # what went wrong, said in red next to where it happened
THEME_ENV = "CSDESK_THEME"  # light | dark: overrides the OS (screenshots, tests)


def apply_style(app: QApplication, theme: str | None = None) -> str:
    """Fusion with a light or dark palette; returns the theme applied."""
    app.setStyle("Fusion")
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
