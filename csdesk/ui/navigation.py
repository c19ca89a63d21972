"""The main window's views by name, in the order the navigation lists them."""

from __future__ import annotations

VIEWS = ("today", "portfolio", "accounts", "renewals", "reports")
VIEW_TITLES = {"today": "Today", "portfolio": "Portfolio", "accounts": "Accounts",
               "renewals": "Renewals", "reports": "Reports"}
