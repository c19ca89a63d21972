"""Look and feel: Fusion style, palette-aware colours for health bands and accents."""

from __future__ import annotations

from importlib import resources

from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import QApplication

BAND_COLOURS = {
    "green": QColor("#16a34a"),
    "yellow": QColor("#d97706"),
    "red": QColor("#dc2626"),
}
ACCENT = QColor("#2563eb")


def apply_style(app: QApplication) -> None:
    """Fusion everywhere, so the app looks the same on every OS, light or dark."""
    app.setStyle("Fusion")
    app.setWindowIcon(app_icon())


def app_icon() -> QIcon:
    path = resources.files("csdesk.resources") / "icons" / "csdesk.svg"
    return QIcon(str(path))


def is_dark(app: QApplication) -> bool:
    return app.palette().window().color().lightness() < 128
