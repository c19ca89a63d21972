"""The main window's views by name, in the order the navigation lists them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QWidget

VIEWS = ("today", "portfolio", "accounts", "renewals", "reports")
VIEW_TITLES = {"today": "Today", "portfolio": "Portfolio", "accounts": "Accounts",
               "renewals": "Renewals", "reports": "Reports"}
MENUS = ("&File", "&Edit", "&View", "&Account", "&Book", "&Help")  # the menu bar's titles


def style_navigation(nav: QListWidget) -> None:
    """The side navigation's look: roomy items, no frame, and no focus rectangle drawn
    inside the selected item (the item's highlight already shows where the keyboard is:
    the current item is the selected one)."""
    nav.setStyleSheet("#nav { border: none; font-size: 11pt; padding-top: 8px; outline: 0; }"
                      "#nav::item { padding: 8px 12px; border: none; }"
                      "#nav::item:selected { background: palette(highlight);"
                      " color: palette(highlighted-text); }")


def fit_navigation(nav: QListWidget) -> None:
    """As wide as its widest item (the badge "Today (176)" included), so it never scrolls
    sideways nor cuts a title short; called again whenever an item's text changes. The
    splitter cannot squeeze it: the views take what the window has left."""
    nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    nav.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    nav.setTextElideMode(Qt.TextElideMode.ElideNone)
    nav.ensurePolished()
    # The items' own hint (their text, font and padding as the style sheet sets them) and
    # the list's own margins (the style sheet's: none at the sides).
    margins = nav.contentsMargins()
    nav.setFixedWidth(nav.sizeHintForColumn(0) + margins.left() + margins.right())


def build_navigation() -> QListWidget:
    """The side navigation: one item per view (its key in ``UserRole``), styled and fitted;
    the same in the first paint and in the main window."""
    nav = QListWidget()
    nav.setObjectName("nav")
    for key in VIEWS:
        item = QListWidgetItem(VIEW_TITLES[key])
        item.setData(Qt.ItemDataRole.UserRole, key)
        nav.addItem(item)
    style_navigation(nav)
    fit_navigation(nav)
    return nav


def beside_navigation(nav: QListWidget, content: QWidget) -> QWidget:
    """The window's body: the navigation as wide as its titles (:func:`fit_navigation`), the
    content taking the rest (no splitter to squeeze it into a sideways scroll bar or leave
    a gap beside it)."""
    body = QWidget()
    row = QHBoxLayout(body)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(0)
    row.addWidget(nav)
    row.addWidget(content, 1)
    return body
