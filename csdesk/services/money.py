"""Money in many currencies: the book's base currency and dated exchange rates.

A figure is converted at the rate of its currency on or before the day it belongs to (a
value outcome on its date, today's ARR at today's rate). A rate typed by hand is never
overwritten by an imported one. A figure whose currency has no rate on or before its day is
not converted silently: :class:`MissingRate` names the currency and the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select

from csdesk.db import Database
from csdesk.errors import CsdeskError, ValidationError
from csdesk.models import ExchangeRate, Setting
from csdesk.models.enums import RateSource

BASE_SETTING = "book.base_currency"
DEFAULT_BASE = "USD"


class MissingRate(CsdeskError):
    """No rate for a currency on or before a day: the sum is refused, not guessed."""

    def __init__(self, currency: str, day: date) -> None:
        super().__init__(f"no exchange rate for {currency} on or before {day:%d %b %Y}: add "
                         f"one (csdesk rates) to convert {currency} to the base currency")
        self.currency, self.day = currency, day


@dataclass(frozen=True)
class Rate:
    currency: str
    day: date
    rate_to_base: float
    source: str


def _code(text: str) -> str:
    code = text.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationError("currency", f"a currency is a 3-letter code (EUR), not {text!r}")
    return code


def base_currency(db: Database) -> str:
    with db.read() as s:
        row = s.get(Setting, BASE_SETTING)
    return str(row.value) if row is not None and row.value else DEFAULT_BASE


def set_base_currency(db: Database, currency: str) -> str:
    code = _code(currency)
    with db.write() as s:
        s.merge(Setting(key=BASE_SETTING, value=code))
    return code


def rates(db: Database) -> list[Rate]:
    with db.read() as s:
        rows = s.scalars(select(ExchangeRate).order_by(ExchangeRate.currency,
                                                       ExchangeRate.day)).all()
        return [Rate(r.currency, r.day, r.rate_to_base, r.source.value) for r in rows]


def save_rate(db: Database, currency: str, day: date, rate_to_base: float, *,
              typed: bool = True) -> bool:
    """Keep a rate; returns False when an imported rate meets one typed by hand (kept)."""
    code = _code(currency)
    if not rate_to_base > 0:
        raise ValidationError("rate", f"a rate is above 0, not {rate_to_base}")
    source = RateSource.TYPED if typed else RateSource.IMPORTED
    with db.write() as s:
        old = s.scalars(select(ExchangeRate).where(ExchangeRate.currency == code,
                                                   ExchangeRate.day == day)).first()
        if old is None:
            s.add(ExchangeRate(currency=code, day=day, rate_to_base=float(rate_to_base),
                               source=source))
            return True
        if old.source == RateSource.TYPED and not typed:
            return False
        old.rate_to_base, old.source = float(rate_to_base), source
    return True


def to_base(db: Database, figures: pd.DataFrame) -> pd.DataFrame:
    """``figures`` (columns ``cents``, ``currency``, ``day``) with ``base_cents`` and
    ``rate`` added: each converted at its currency's rate on or before its day (the base
    currency at 1). Raises :class:`MissingRate` for the first figure with no rate."""
    base = base_currency(db)
    out = figures.copy()
    out["rate"] = np.where(out["currency"].fillna(base) == base, 1.0, np.nan)
    foreign = out[out["rate"].isna()]
    if not foreign.empty:
        with db.read() as s:
            table = pd.DataFrame(s.execute(select(
                ExchangeRate.currency, ExchangeRate.day, ExchangeRate.rate_to_base)).all(),
                columns=["currency", "day", "rate_to_base"])
        want = foreign.assign(_day=pd.to_datetime(foreign["day"]), _i=foreign.index)
        have = table.assign(_day=pd.to_datetime(table["day"]))
        found = pd.merge_asof(want.sort_values("_day"), have.sort_values("_day")[
            ["currency", "_day", "rate_to_base"]], on="_day", by="currency",
            direction="backward").set_index("_i")
        out.loc[found.index, "rate"] = found["rate_to_base"]
        missing = out[out["rate"].isna()]
        if not missing.empty:
            first = missing.iloc[0]
            raise MissingRate(str(first["currency"]), pd.Timestamp(first["day"]).date())
    out["base_cents"] = (out["cents"].astype(float) * out["rate"]).round().astype("int64")
    return out
