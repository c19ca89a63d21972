"""Quarters as periods ("2026Q3"): Qt-free and pandas-free, so any layer can use them."""

from __future__ import annotations

import re
from datetime import date, timedelta

from csdesk import clock
from csdesk.errors import CsdeskError, UsageError


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


def next_quarter(today: date | None = None) -> str:
    """The calendar quarter after the one ``today`` falls in: 2026-12-31 → 2027Q1."""
    return shift_quarter(quarter_of(today or clock.today()), 1)


def quarter_window(period: str, today: date | None = None) -> tuple[date, date, int, int]:
    """A quarter's real first and last day, and the days from ``today`` to each (the window
    a pipeline list shows: "next quarter" follows the calendar, never a fixed 90 days)."""
    start, end = parse_period(period)
    today = today or clock.today()
    return start, end, (start - today).days, (end - today).days


# The portfolio's periods besides a quarter ("2026Q3"): a calendar year ("2026") and the
# twelve months that end on a day ("TTM:2026-11-27").
_TTM = "TTM:"


def period_span(text: str) -> tuple[date, date]:
    """First and last day of a quarter, a calendar year or a trailing twelve months."""
    text = text.strip().upper()
    if re.fullmatch(r"\d{4}", text):
        return date(int(text), 1, 1), date(int(text), 12, 31)
    if text.startswith(_TTM):
        try:
            end = date.fromisoformat(text[len(_TTM):])
        except ValueError:
            raise CsdeskError(
                f"twelve months end on a day (TTM:2026-11-27), not {text!r}") from None
        try:
            year_before = end.replace(year=end.year - 1)
        except ValueError:  # 29 Feb: a year before is 28 Feb
            year_before = date(end.year - 1, 2, 28)
        start = year_before + timedelta(days=1)
        return start, end
    return parse_period(text)


def period_label(text: str) -> str:
    """How a period reads beside a figure: "Q3 2026", "2026", "12 months to 27 Nov 2026"."""
    text = text.strip().upper()
    if text.startswith(_TTM):
        return f"12 months to {date.fromisoformat(text[len(_TTM):]):%d %b %Y}"
    if re.fullmatch(r"\d{4}Q[1-4]", text):
        return f"{text[-2:]} {text[:4]}"
    return text


NOT_BEGUN, TO_DATE, COMPLETE = "not begun", "to date", "complete"


def period_state(text: str, today: date | None = None) -> str:
    """Whether a period has ``NOT_BEGUN`` (no figure can be real yet), runs ``TO_DATE``
    (its figures are measured to today) or is ``COMPLETE``."""
    start, end = period_span(text)
    today = today or clock.today()
    if today < start:
        return NOT_BEGUN
    return TO_DATE if today < end else COMPLETE


def date_range(start: date, end: date) -> str:
    """"1 Oct – 31 Dec 2026"; "1 Dec 2025 – 30 Nov 2026" across a year."""
    first = f"{start.day} {start:%b}" + (f" {start.year}" if start.year != end.year else "")
    return f"{first} – {end.day} {end:%b %Y}"


def period_heading(text: str, today: date | None = None) -> str:
    """A period with its days: "Q4 2026 to date (1 Oct – 27 Nov 2026)" while it runs,
    "Q1 2027 (1 Jan – 31 Mar 2027)" otherwise."""
    today = today or clock.today()
    start, end = period_span(text)
    state = period_state(text, today)
    if state == TO_DATE:
        return f"{period_label(text)} to date ({date_range(start, today)})"
    return f"{period_label(text)} ({date_range(start, end)})"


def portfolio_period(kind: str, today: date | None = None) -> str:
    """The period a portfolio picker choice means on ``today``: ``quarter`` the last complete
    quarter, ``ttm`` the twelve months to today, ``year`` this calendar year to date."""
    today = today or clock.today()
    if kind == "quarter":
        return current_period(today)
    if kind == "ttm":
        return f"{_TTM}{today.isoformat()}"
    if kind == "year":
        return str(today.year)
    raise CsdeskError(f"a portfolio period is quarter, ttm or year, not {kind!r}")


def chosen_period(text: str | None, today: date | None = None) -> str:
    """A period as a person types it (``csdesk metrics --period``): ``quarter``, ``ttm`` or
    ``year`` as on the Portfolio's picker (:func:`portfolio_period`), or a quarter
    (2026Q3), a year (2026) or twelve months to a day (TTM:2026-11-27); none, the last
    complete quarter. Anything else (an empty text, twelve months to a day still to come)
    is one plain error naming what is accepted."""
    if text is None:
        return current_period(today)
    kind = text.strip().lower()
    if kind in ("quarter", "ttm", "year"):
        return portfolio_period(kind, today)
    try:
        _start, end = period_span(text)
    except CsdeskError:
        raise UsageError(f"a period is quarter, ttm, year, a quarter such as 2026Q1, a year "
                          f"such as 2026 or TTM:2026-11-27, not {text!r}") from None
    today = today or clock.today()
    if kind.startswith(_TTM.lower()) and end > today:
        raise UsageError(f"twelve months end on a day up to today ({today:%d %b %Y}), "
                         f"not {end:%d %b %Y}: {_TTM}{today.isoformat()} is the latest")
    return text.strip().upper()
