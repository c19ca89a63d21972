"""The book's base currency as stored: the setting that names it, and the currency when none
is set. Apart from :mod:`csdesk.services.money` (pandas), which owns everything else about
it, so that the window's first paint can read it too."""

from __future__ import annotations

BASE_SETTING = "book.base_currency"
DEFAULT_BASE = "USD"
