"""Quarters as periods ("2026Q3"): Qt-free and pandas-free, so any layer can use them."""

from __future__ import annotations

import re
from datetime import date, timedelta

from csdesk.errors import CsdeskError


def parse_period(text: str) -> tuple[date, date]:
    m = re.fullmatch(r"(\d{4})Q([1-4])", text.strip().upper())
    if not m:
        raise CsdeskError(f"a period looks like 2026Q1, not {text!r}")
    year, q = int(m.group(1)), int(m.group(2))
    start = date(year, 3 * q - 2, 1)
    end = (date(year + (q == 4), (3 * q) % 12 + 1, 1)) - timedelta(days=1)
    return start, end


def current_period(today: date | None = None) -> str:
    """The last complete quarter."""
    today = today or date.today()
    q = (today.month - 1) // 3
    year = today.year if q else today.year - 1
    return f"{year}Q{q or 4}"
