"""The main window's views by name, in the order the navigation lists them."""

from __future__ import annotations

from PySide6.QtWidgets import QListWidget

VIEWS = ("today", "portfolio", "accounts", "renewals", "reports")
VIEW_TITLES = {"today": "Today", "portfolio": "Portfolio", "accounts": "Accounts",
               "renewals": "Renewals", "reports": "Reports"}


def style_navigation(nav: QListWidget) -> None:
    """The side navigation's look: roomy items, no frame, and no focus rectangle drawn
    inside the selected item (the item's highlight already shows where the keyboard is:
    the current item is the selected one)."""
    nav.setStyleSheet("#nav { border: none; font-size: 11pt; padding-top: 8px; outline: 0; }"
                      "#nav::item { padding: 8px 14px; border: none; }"
                      "#nav::item:selected { background: palette(highlight);"
                      " color: palette(highlighted-text); }")
