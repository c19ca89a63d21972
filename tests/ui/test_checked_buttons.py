"""A checked button (Month / Quarter, "Needs attention") reads as on, in light and dark:
Fusion only darkens its face a shade, which on the dark palette looked unchecked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QPushButton, QToolButton, QWidget

from csdesk.ui.theme import apply_style


@pytest.fixture(params=["light", "dark"])
def theme(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    style, palette = qapp.style().name(), QPalette(qapp.palette())
    apply_style(qapp, request.param)
    yield request.param
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setProperty("csdesk_theme", None)


def _face(button: QWidget) -> QColor:
    """The button's face beside its left edge, clear of its text."""
    image = button.grab().toImage()
    return QColor(image.pixel(QPoint(4, image.height() // 2)))


def _distance(a: QColor, b: QColor) -> int:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())


@pytest.mark.parametrize("kind", [QPushButton, QToolButton])
def test_a_checked_button_stands_apart_from_an_unchecked_one(qtbot, theme: str,  # type: ignore[no-untyped-def]
                                                              kind: type) -> None:
    faces = []
    for checked in (True, False):
        button = kind()
        button.setText("Quarter")
        button.setCheckable(True)
        button.setChecked(checked)
        button.resize(120, 30)
        qtbot.addWidget(button)
        button.show()
        qtbot.waitExposed(button)
        faces.append(_face(button))
    on, off = faces
    assert _distance(on, off) > 40, (theme, on.name(), off.name())
    assert on.blue() > on.red() + 20  # the accent's tint: blue, not a shade of grey
