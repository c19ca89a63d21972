"""Quarters as periods ("2026Q3"): Qt-free and pandas-free, so any layer can use them."""

from __future__ import annotations

import re
from datetime import date, timedelta

from csdesk import clock
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
    today = today or clock.today()
    q = (today.month - 1) // 3
    year = today.year if q else today.year - 1
    return f"{year}Q{q or 4}"


def quarter_of(day: date) -> str:
    """The quarter a day falls in: 2026-11-22 → 2026Q4."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def shift_quarter(period: str, by: int) -> str:
    """The quarter ``by`` quarters after ``period`` (before it when negative)."""
    parse_period(period)
    index = int(period[:4]) * 4 + int(period.strip()[-1]) - 1 + by
    return f"{index // 4}Q{index % 4 + 1}"


def quarters_back(last: str, n: int) -> list[str]:
    """``n`` quarters ending with ``last``, oldest first."""
    return [shift_quarter(last, k) for k in range(1 - n, 1)]
