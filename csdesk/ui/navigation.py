"""The main window's views by name, in the order the navigation lists them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget

VIEWS = ("today", "portfolio", "accounts", "renewals", "reports")
VIEW_TITLES = {"today": "Today", "portfolio": "Portfolio", "accounts": "Accounts",
               "renewals": "Renewals", "reports": "Reports"}


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
