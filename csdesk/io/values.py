"""Typed values out of CSV text, a whole column at a time (vectorised with pandas).

Every parser takes a Series of strings (missing already ``None``) and returns the parsed
Series plus a boolean mask of cells that could not be parsed, so a caller can report each bad
cell (row, column, value, reason) without a Python loop per cell on the happy path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csdesk.errors import CsdeskError

MISSING_TOKENS = frozenset({"", "na", "n/a", "null", "none", "-", "nan", "#n/a"})
TRUE_TOKENS = frozenset({"true", "yes", "y", "1", "t"})
FALSE_TOKENS = frozenset({"false", "no", "n", "0", "f"})

DATE_FORMATS = ("ymd", "dmy", "mdy")


def blank_to_none(col: pd.Series) -> pd.Series:
    """Strip surrounding spaces; blanks and NA/N/A/NULL/- become missing."""
    s = col.astype("string").str.strip()
    missing = s.isna() | s.str.lower().isin(MISSING_TOKENS)
    return s.mask(missing, None)


@dataclass(frozen=True)
class Parsed:
    values: pd.Series
    bad: pd.Series  # True where the text was present but not parseable
    reason: str


def _mask(values: pd.Series, text: pd.Series) -> pd.Series:
    return text.notna() & values.isna()


_CURRENCY = re.compile(r"[\$€£¥₹\s\u00a0\u202f]|(?<![a-z])(usd|eur|gbp|chf|jpy|cad|aud)(?![a-z])",
                       re.IGNORECASE)


def parse_number(text: pd.Series, *, decimal: str = ".") -> Parsed:
    """Numbers with optional currency symbols, thousands separators and (negatives)."""
    s = text.str.replace(_CURRENCY, "", regex=True)
    negative = s.str.match(r"^\(.*\)$", na=False)
    s = s.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    # A separator order that contradicts the decimal mark (1.234,50 read with ".") would
    # silently give a wrong amount: refuse it instead.
    wrong = s.str.contains(r"\d\.\d*,", regex=True, na=False) if decimal == "." else \
        s.str.contains(r"\d,\d*\.", regex=True, na=False)
    if decimal == ",":
        s = s.str.replace(".", "", regex=False).str.replace("'", "", regex=False)
        s = s.str.replace(",", ".", regex=False)
    else:
        s = s.str.replace(",", "", regex=False).str.replace("'", "", regex=False)
    values = pd.to_numeric(s, errors="coerce")
    values = values.where(~negative, -values).mask(wrong)
    reason = "not a number"
    if wrong.any():
        other = "," if decimal == "." else "."
        reason += f" (if it is written with {other!r} as the decimal mark, choose that)"
    return Parsed(values, _mask(values, text), reason)


def detect_decimal(text: pd.Series) -> str:
    """',' when the column's numbers are written 1.234,50 / 1,5; otherwise '.'."""
    sample = text.dropna().head(2000)
    if sample.empty:
        return "."
    comma_dec = sample.str.contains(r"\d,\d{1,2}$|\d\.\d{3},\d", regex=True).sum()
    dot_dec = sample.str.contains(r"\d\.\d{1,2}$|\d,\d{3}\.\d", regex=True).sum()
    return "," if comma_dec > dot_dec else "."


class AmbiguousDecimal(CsdeskError):
    """Every number with a mark reads two ways (1.234 is 1.234 or 1234): the user must say
    which decimal mark the file uses. ``detail`` is the sentence without the remedy."""

    def __init__(self, row: int, column: str, value: str) -> None:
        digits = re.sub(r"[^0-9.,]", "", value)
        point = digits.replace(",", "")
        comma = digits.replace(".", "").replace(",", ".")
        self.row, self.column, self.value = row, column, value
        self.detail = (f"cannot tell the decimal mark of the numbers: {value!r} (row {row}, "
                       f"column {column!r}) is {_plain_number(point)} with a decimal point "
                       f"but {_plain_number(comma)} with a decimal comma, and no number in "
                       "the file decides it")
        super().__init__(f"{self.detail}; say which with --decimal . or --decimal ,")


def _plain_number(text: str) -> str:
    whole, _, frac = text.partition(".")
    return str(int(whole or 0)) + (f".{frac}" if frac else "")


_MARKED = re.compile(r"^(\d*)([.,])(\d+)$")


def decimal_votes(text: pd.Series, *, whole_cents: bool = False,
                  ) -> tuple[int, int, object | None]:
    """(numbers that only a decimal comma reads, only a decimal point reads, index label of
    the first that reads both ways) among ``text``, the distinct values of a numeric column.

    A mark followed by exactly three digits after one to three others (1.234, 12,500) may
    be a thousands separator or a decimal mark; anything else with a mark decides: two
    marks (the last is the decimal one), a mark repeated (1,234,567), other digit counts.
    ``whole_cents``: the column holds money or whole numbers, where three decimals cannot
    be kept (1.234 would be stored as 1.23), so only the thousands reading is possible and
    the mark is the other one.
    """
    s = text.dropna().astype(str).str.replace(_CURRENCY, "", regex=True)
    s = s.str.replace(r"^[(\-+]|[)%]$", "", regex=True).str.replace("'", "", regex=False)
    comma = dot = 0
    ambiguous: int | None = None
    both = s.str.contains(",", regex=False) & s.str.contains(".", regex=False)
    last_comma = s.str.rfind(",") > s.str.rfind(".")
    comma += int((both & last_comma).sum())
    dot += int((both & ~last_comma).sum())
    one = s[~both]
    repeated_comma = one.str.count(",") > 1
    repeated_dot = one.str.count(r"\.") > 1
    dot += int(repeated_comma.sum())
    comma += int(repeated_dot.sum())
    parts = one[~(repeated_comma | repeated_dot)].str.extract(_MARKED)
    marked = parts[1].notna()
    if marked.any():
        before, mark, after = parts.loc[marked, 0], parts.loc[marked, 1], parts.loc[marked, 2]
        grouping = (after.str.len() == 3) & before.str.len().between(1, 3) & \
            ~before.str.startswith("0")
        comma += int((~grouping & mark.eq(",")).sum())
        dot += int((~grouping & mark.eq(".")).sum())
        if whole_cents:
            comma += int((grouping & mark.eq(".")).sum())
            dot += int((grouping & mark.eq(",")).sum())
        elif grouping.any():
            ambiguous = grouping[grouping].index[0]
    return comma, dot, ambiguous


def parse_money_cents(text: pd.Series, *, decimal: str = ".") -> Parsed:
    parsed = parse_number(text, decimal=decimal)
    cents = (parsed.values * 100).round()
    reason = parsed.reason.replace("not a number", "not an amount of money")
    return Parsed(cents.astype("Int64"), parsed.bad, reason)


def parse_int(text: pd.Series, *, decimal: str = ".") -> Parsed:
    parsed = parse_number(text, decimal=decimal)
    whole = parsed.values.notna() & (parsed.values != parsed.values.round())
    values = parsed.values.where(~whole).round().astype("Int64")
    return Parsed(values, parsed.bad | whole,
                  parsed.reason.replace("not a number", "not a whole number"))


def parse_percent(text: pd.Series, *, decimal: str = ".") -> Parsed:
    """'45%' → 0.45 and '0.45' → 0.45; a bare number above 1 is read as a percentage."""
    has_pct = text.str.contains("%", regex=False, na=False)
    parsed = parse_number(text.str.replace("%", "", regex=False), decimal=decimal)
    values = parsed.values.where(~(has_pct | (parsed.values > 1)), parsed.values / 100)
    return Parsed(values, parsed.bad, "not a percentage")


def parse_bool(text: pd.Series) -> Parsed:
    low = text.str.lower()
    values = pd.Series(pd.NA, index=text.index, dtype="boolean")
    values[low.isin(TRUE_TOKENS)] = True
    values[low.isin(FALSE_TOKENS)] = False
    return Parsed(values, _mask(values, text), "not yes/no (true/false, yes/no, y/n, 1/0)")


# -- dates ------------------------------------------------------------------------------

_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([T ].*)?$")
_SLASHED = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T].*)?$")
_YMD_SLASHED = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[ T].*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


class AmbiguousDates(ValueError):
    """The column's dates read both as d/m/y and m/d/y; the user must choose."""

    def __init__(self, examples: list[tuple[int, str]]) -> None:
        self.examples = examples
        shown = ", ".join(f"row {r}: {v!r}" for r, v in examples[:3])
        super().__init__(
            f"dates could be day/month/year or month/day/year ({shown}); "
            "choose a date format (dmy or mdy)")


def detect_date_format(text: pd.Series) -> str | None:
    """'ymd' when every present date is ISO-like, 'dmy'/'mdy' when the data decide it.

    Returns None when the column has no slashed dates that decide it, so the caller can
    raise :class:`AmbiguousDates` with example rows; never guesses row by row.
    """
    sample = text.dropna()
    if sample.empty:
        return "ymd"
    parts = sample.str.extract(_SLASHED)
    slashed = parts[0].notna()
    if not slashed.any():
        return "ymd"
    first = pd.to_numeric(parts.loc[slashed, 0])
    second = pd.to_numeric(parts.loc[slashed, 1])
    if (first > 12).any() and not (second > 12).any():
        return "dmy"
    if (second > 12).any() and not (first > 12).any():
        return "mdy"
    if not (first > 12).any() and not (second > 12).any():
        same = first == second
        if same.all():
            return "dmy"  # 01/01, 02/02: both readings agree
        return None
    return None  # contradictory: some rows only dmy, others only mdy


def ambiguous_examples(text: pd.Series, rows: pd.Series) -> list[tuple[int, str]]:
    parts = text.str.extract(_SLASHED)
    both = (pd.to_numeric(parts[0], errors="coerce") <= 12) & \
        (pd.to_numeric(parts[1], errors="coerce") <= 12) & (parts[0] != parts[1])
    picked = text[both.fillna(False)].head(3)
    return [(int(rows[i]), str(v)) for i, v in picked.items()]


def parse_dates(text: pd.Series, fmt: str) -> Parsed:
    """Dates (and date-times, reduced to their date in their own zone) in format ``fmt``.

    Accepts ISO dates, ``2006-06-15T20:47:07.000Z``, ``07/15/2009 02:14:45+0800``,
    ``2014/01/02`` and ``20140102``. A time part never shifts the calendar date.
    """
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    iso = text.str.match(_ISO, na=False)
    if iso.any():
        out[iso] = pd.to_datetime(text[iso].str.slice(0, 10), format="%Y-%m-%d",
                                  errors="coerce")
    rest = text.notna() & ~iso
    if rest.any():
        parts = text[rest].str.extract(_SLASHED)
        ok = parts[0].notna()
        if ok.any():
            a, b, y = (pd.to_numeric(parts.loc[ok, k]) for k in (0, 1, 2))
            y = y.where(y >= 100, y + 2000)
            day, month = (a, b) if fmt == "dmy" else (b, a)
            if fmt == "ymd":  # 2-part-first slashed dates cannot be ymd; leave them bad
                day = month = pd.Series(np.nan, index=a.index)
            out[parts.index[ok]] = pd.to_datetime(
                pd.DataFrame({"year": y, "month": month, "day": day}), errors="coerce")
        rest2 = rest.copy()
        rest2[parts.index[ok]] = False
        for pattern in (_YMD_SLASHED, _COMPACT):
            if not rest2.any():
                break
            p = text[rest2].str.extract(pattern)
            hit = p[0].notna()
            if hit.any():
                out[p.index[hit]] = pd.to_datetime(pd.DataFrame({
                    "year": pd.to_numeric(p.loc[hit, 0]), "month": pd.to_numeric(p.loc[hit, 1]),
                    "day": pd.to_numeric(p.loc[hit, 2])}), errors="coerce")
                rest2[p.index[hit]] = False
    values = out.dt.date.where(out.notna(), None)
    return Parsed(values, _mask(out, text), f"not a date ({fmt_label(fmt)})")


# Excel's 1900 date system: serial 1 is 1900-01-01 and (for Lotus' phantom 1900-02-29)
# day 0 of every serial after February 1900 is 1899-12-30. Only serials of 1950–2099 are
# read as dates, so a year (2024) or a count in a date column stays an error.
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_SERIALS = (18_264, 73_050)  # 1950-01-01 … 2099-12-31
_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")


def excel_serial_dates(text: pd.Series) -> pd.Series:
    """Excel date serials (``45292``, ``45292.5``) as ISO dates; other text unchanged."""
    hit = text.str.match(_SERIAL, na=False)
    if not hit.any():
        return text
    days = pd.to_numeric(text[hit]).astype(float)
    days = days[(days >= EXCEL_SERIALS[0]) & (days < EXCEL_SERIALS[1] + 1)]
    if days.empty:
        return text
    out = text.copy()
    out[days.index] = (_EXCEL_EPOCH + pd.to_timedelta(days.floordiv(1), unit="D")
                       ).dt.strftime("%Y-%m-%d")
    return out


def fmt_label(fmt: str) -> str:
    return {"ymd": "year-month-day", "dmy": "day/month/year", "mdy": "month/day/year"}[fmt]


# A currency as spreadsheets write it: a code in any case, or the symbol of a currency only
# one code uses ("$" is the US dollar as in every CRM default; "kr" and the like are asked).
CURRENCY_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY",
                    "CHF": "CHF", "₹": "INR", "A$": "AUD", "C$": "CAD"}


def parse_currency(text: pd.Series) -> Parsed:
    """ISO 4217 codes: "eur" and "€" are EUR; anything else is reported, not guessed."""
    clean = text.str.strip()
    upper = clean.str.upper()
    symbol = clean.map(CURRENCY_SYMBOLS)
    code = upper.where(upper.str.fullmatch(r"[A-Z]{3}").fillna(False).astype(bool))
    values = symbol.where(symbol.notna(), code)
    return Parsed(values.astype(object).where(values.notna(), None),
                  text.notna() & values.isna(),
                  "not a currency: a 3-letter code such as EUR, or €, £, $")
