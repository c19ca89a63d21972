"""In the dark theme every check box shows its box, ticked or not (Fusion outlines it in
the window colour darkened: black on black, so a ticked box was a bare ✓)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyleOptionButton,
)

from csdesk.ui.theme import apply_style


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[None]:
    style, palette = qapp.style().name(), QPalette(qapp.palette())
    apply_style(qapp, "dark")
    yield
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setProperty("csdesk_theme", None)


def _edge_contrast(image: QImage, left: int, top: int, side: int, around: QColor) -> int:
    """How far the box's edge (its left side, mid-height) stands from the colour around it."""
    y = top + side // 2
    return max(abs(QColor(image.pixel(QPoint(left + dx, y))).lightness() - around.lightness())
               for dx in range(2))


@pytest.mark.parametrize("ticked", [True, False])
def test_a_check_box_shows_its_box_in_the_dark_theme(qtbot, dark: None, ticked: bool  # type: ignore[no-untyped-def]
                                                      ) -> None:
    box = QCheckBox("Log it on the timeline as a proactive touch")
    qtbot.addWidget(box)
    box.setChecked(ticked)
    box.show()
    qtbot.waitExposed(box)
    option = QStyleOptionButton()
    box.initStyleOption(option)
    rect = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    image = box.grab().toImage()
    around = box.palette().color(QPalette.ColorRole.Window)
    assert _edge_contrast(image, rect.left(), rect.top(), rect.height(), around) > 60


def test_a_list_items_check_box_shows_in_the_dark_theme(qtbot, dark: None  # type: ignore[no-untyped-def]
                                                        ) -> None:
    listed = QListWidget()
    qtbot.addWidget(listed)
    item = QListWidgetItem("Amara Clarke — VP Finance")
    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Unchecked)
    listed.addItem(item)
    listed.resize(300, 80)
    listed.show()
    qtbot.waitExposed(listed)
    image = listed.viewport().grab().toImage()
    row = listed.visualItemRect(item)
    y = row.center().y()
    base = QColor(image.pixel(QPoint(row.left() + 1, y))).lightness()
    # somewhere left of the text, the box's edge stands out from the list's background
    assert max(abs(QColor(image.pixel(QPoint(x, y))).lightness() - base)
               for x in range(row.left(), row.left() + 30)) > 60
