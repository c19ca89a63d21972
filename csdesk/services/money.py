"""Money in many currencies: the book's base currency and dated exchange rates.

A figure is converted at the rate of its currency on or before the day it belongs to (a
value outcome on its date, today's ARR at today's rate). A rate typed by hand is never
overwritten by an imported one. A figure whose currency has no rate on or before its day is
not converted silently: :class:`MissingRate` names the currency and the day.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from csdesk.db import Database
from csdesk.errors import CsdeskError, ValidationError
from csdesk.models import ExchangeRate, Setting, Subscription
from csdesk.models.enums import RateSource
from csdesk.services.base_currency import BASE_SETTING, DEFAULT_BASE


class MissingRate(CsdeskError):
    """No rate for a currency on or before a day: the sum is refused, not guessed."""

    def __init__(self, currency: str, day: date, *, others: list[str] | None = None) -> None:
        also = f" (and for {', '.join(others)})" if others else ""
        super().__init__(f"no exchange rate for {currency} on or before {day:%d %b %Y}{also}: "
                         f"add one (csdesk rates --add) to convert {currency} to the base "
                         "currency; nothing was summed")
        self.currency, self.day = currency, day


@dataclass(frozen=True)
class Rate:
    currency: str
    day: date
    rate_to_base: float
    source: str


def code_of(text: str) -> str:
    """An ISO 4217 code from what a person types: "eur", "€" and "EUR" are EUR."""
    from csdesk.io.values import CURRENCY_SYMBOLS

    code = CURRENCY_SYMBOLS.get(text.strip(), text.strip().upper())
    if len(code) != 3 or not code.isalpha():
        raise ValidationError("currency", f"a currency is a 3-letter code (EUR) or €, £, $, "
                                          f"not {text!r}")
    return code


def base_currency(db: Database) -> str:
    with db.read() as s:
        return base_currency_in(s)


def base_currency_in(s: Any) -> str:
    """:func:`base_currency` inside an open session."""
    row = s.get(Setting, BASE_SETTING)
    return str(row.value) if row is not None and row.value else DEFAULT_BASE


def set_base_currency(db: Database, currency: str) -> str:
    """Make ``currency`` the base: every rate is re-expressed against it (one transaction),
    so the rates typed and imported so far keep their meaning. Refused, with nothing changed,
    when a rate of another currency is older than the new base's first rate (it could not
    be re-expressed)."""
    code = code_of(currency)
    with db.write() as s:
        set_base_currency_in(s, code)
    return code


def set_base_currency_in(s: Any, code: str) -> None:
    old = base_currency_in(s)
    rows = s.scalars(select(ExchangeRate)).all() if code != old else []
    if rows:
        pivot = sorted((r.day, r.rate_to_base) for r in rows if r.currency == code)
        if not pivot:
            raise CsdeskError(f"there is no {code} rate to {old}: add one (csdesk rates --add "
                              f"{code} DATE RATE) before making {code} the base; nothing "
                              "was changed")
        days = [d for d, _r in pivot]
        for r in rows:
            if r.currency == code:
                continue
            at = bisect_right(days, r.day) - 1
            if at < 0:
                raise CsdeskError(f"the {r.currency} rate of {r.day:%d %b %Y} is older than the "
                                  f"first {code} rate ({days[0]:%d %b %Y}): add a {code} rate "
                                  f"for that day first; nothing was changed")
            r.rate_to_base = r.rate_to_base / pivot[at][1]
        for r in rows:  # the new base's rates become the old base's, inverted
            if r.currency == code:
                r.currency, r.rate_to_base = old, 1 / r.rate_to_base
    s.merge(Setting(key=BASE_SETTING, value=code))


def rates(db: Database) -> list[Rate]:
    with db.read() as s:
        rows = s.scalars(select(ExchangeRate).order_by(ExchangeRate.currency,
                                                       ExchangeRate.day)).all()
        return [Rate(r.currency, r.day, r.rate_to_base, r.source.value) for r in rows]


def save_rate(db: Database, currency: str, day: date, rate_to_base: float, *,
              typed: bool = True) -> bool:
    """Keep a rate; returns False when an imported rate meets one typed by hand (kept).
    (To re-place the accounts in their bands too: ``book.segments.add_rate``.)"""
    with db.write() as s:
        return save_rate_in(s, currency, day, rate_to_base, typed=typed)


def save_rate_in(s: Any, currency: str, day: date, rate_to_base: float, *,
                 typed: bool = True) -> bool:
    code = code_of(currency)
    if not rate_to_base > 0:
        raise ValidationError("rate", f"a rate is above 0, not {rate_to_base}")
    base = base_currency_in(s)
    if code == base:
        raise ValidationError("currency", f"{base} is the base currency, worth 1 by "
                                          "definition")
    source = RateSource.TYPED if typed else RateSource.IMPORTED
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
    with db.read() as s:
        rates_ = Rates.load(s)
    converted = rates_.convert(figures["cents"].to_numpy(), figures["currency"].to_numpy(),
                               figures["day"].to_numpy())
    rates_.require(converted)
    out = figures.copy()
    out["rate"] = converted["rate"].to_numpy()
    out["base_cents"] = converted["base_cents"].to_numpy().astype("int64")
    return out


# ---------------------------------------------------------------------------------------
# Conversion inside an open session: every sum of money in the book goes through here.

@dataclass(frozen=True)
class Rates:
    """The book's base currency and its rate table, loaded once per computation."""

    base: str
    table: pd.DataFrame  # currency, day (datetime64), rate_to_base; sorted by day

    @classmethod
    def load(cls, s: Any) -> Rates:
        base = base_currency_in(s)
        table = pd.DataFrame(s.execute(select(
            ExchangeRate.currency, ExchangeRate.day, ExchangeRate.rate_to_base)).all(),
            columns=["currency", "day", "rate_to_base"])
        table["day"] = pd.to_datetime(table["day"])
        return cls(base, table.sort_values("day", kind="stable").reset_index(drop=True))

    def convert(self, cents: Any, currency: Any, day: Any) -> pd.DataFrame:
        """Figures (arrays or scalars, aligned) at their currency's rate on or before their
        day: columns ``base_cents`` (float, NaN where no rate), ``rate`` and ``rate_day``
        (NaT for the base currency and where no rate)."""
        n = max(len(x) for x in (cents, currency, day) if _is_array(x)) \
            if any(_is_array(x) for x in (cents, currency, day)) else 1
        frame = pd.DataFrame({
            "cents": _column(cents, n, float),
            "currency": _column(currency, n, object),
            "day": pd.to_datetime(pd.Series(_column(day, n, object))),
        })
        frame["currency"] = frame["currency"].fillna(self.base)
        rate = np.where(frame["currency"].to_numpy() == self.base, 1.0, np.nan)
        rate_day = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
        foreign = np.flatnonzero(np.isnan(rate))
        if foreign.size and not self.table.empty:
            want = frame.iloc[foreign][["currency", "day"]].assign(_i=foreign)
            want = want[want["day"].notna()].sort_values("day", kind="stable")
            have = self.table.assign(rate_day=self.table["day"])
            found = pd.merge_asof(want, have, on="day", by="currency", direction="backward")
            rate[found["_i"].to_numpy()] = found["rate_to_base"].to_numpy()
            rate_day.iloc[found["_i"].to_numpy()] = found["rate_day"].to_numpy()
        frame["rate"] = rate
        frame["rate_day"] = rate_day
        frame["base_cents"] = (frame["cents"] * frame["rate"]).round()
        return frame

    def missing(self, converted: pd.DataFrame) -> list[tuple[str, date]]:
        """Each currency with no rate among ``converted`` figures, with the earliest day
        that needed one."""
        gap = converted[converted["rate"].isna() & converted["cents"].notna()]
        if gap.empty:
            return []
        first = gap.groupby("currency")["day"].min()
        return [(str(c), pd.Timestamp(d).date()) for c, d in first.items() if pd.notna(d)]

    def require(self, converted: pd.DataFrame) -> None:
        """Refuse (:class:`MissingRate`) when any figure had no rate."""
        gaps = self.missing(converted)
        if gaps:
            raise MissingRate(*gaps[0], others=[c for c, _ in gaps[1:]])

    def explain(self, currency: str, rate: float, rate_day: Any) -> str:
        """How a figure was converted, for the place that explains a number."""
        if currency == self.base or rate != rate:
            return ""
        return f"1 {currency} = {rate:.4g} {self.base} (rate of {pd.Timestamp(rate_day):%d %b %Y})"


def _is_array(x: Any) -> bool:
    return isinstance(x, (list, tuple, np.ndarray, pd.Series, pd.Index))


def _column(x: Any, n: int, dtype: Any) -> np.ndarray:
    if _is_array(x):
        return np.asarray(x, dtype=dtype)
    out = np.empty(n, dtype=dtype)
    out[:] = x
    return out


def missing_text(gaps: list[tuple[str, date]]) -> str:
    """One plain line naming the currencies with no rate (empty when none)."""
    if not gaps:
        return ""
    names = " or ".join(f"{c} on or before {d:%d %b %Y}" for c, d in gaps)
    return (f"no exchange rate for {names}: add one (Book ▸ Currencies and exchange rates, "
            "or csdesk rates --add)")


def arr_by_account(s: Any, *, day: date, account_ids: Any = None,
                   rates_: Rates | None = None) -> pd.DataFrame:
    """Each account's ARR on ``day`` (its subscriptions live that day): the one function
    every screen, document and command reads an account's ARR from.

    Indexed by account id, columns ``arr_cents`` and ``currency`` (the customer's own
    currency; an account whose contracts are in several currencies shows the base sum),
    ``base_cents`` (float, NaN where a rate is missing), ``rate`` and ``rate_day`` (the rate
    used, for the place that explains the number) and ``missing`` (the currencies with no
    rate, empty when none).
    """
    rates_ = rates_ or Rates.load(s)
    stmt = (select(Subscription.account_id, Subscription.currency,
                   func.sum(Subscription.arr_cents))
            .where(Subscription.start_date <= day, Subscription.end_date >= day)
            .group_by(Subscription.account_id, Subscription.currency))
    if account_ids is not None:
        stmt = stmt.where(Subscription.account_id.in_(
            account_ids if hasattr(account_ids, "subquery") else list(account_ids)))
    parts = pd.DataFrame(s.execute(stmt).all(), columns=["account_id", "currency", "cents"])
    columns = ["arr_cents", "currency", "base_cents", "rate", "rate_day", "missing"]
    if parts.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="account_id"))
    # PostgreSQL sums a BIGINT column as NUMERIC: back to whole cents
    parts["cents"] = parts["cents"].astype("int64")
    conv = rates_.convert(parts["cents"].to_numpy(), parts["currency"].to_numpy(), day)
    parts["base_cents"] = conv["base_cents"].to_numpy()
    parts["rate"] = conv["rate"].to_numpy()
    parts["rate_day"] = conv["rate_day"].to_numpy()
    grouped = parts.groupby("account_id", sort=False)
    count = grouped["currency"].transform("size")
    single = parts[count == 1].set_index("account_id")
    out = single[["cents", "currency", "base_cents", "rate", "rate_day"]].rename(
        columns={"cents": "arr_cents"})
    out["missing"] = out["currency"].where(out["base_cents"].isna(), "")
    mixed = parts[count > 1]
    if not mixed.empty:  # several currencies on one account: its ARR is the base sum
        sums = mixed.groupby("account_id")["base_cents"].sum(min_count=1)
        gaps = mixed["base_cents"].isna().groupby(mixed["account_id"]).any()
        sums[gaps] = np.nan
        lacking = mixed[mixed["base_cents"].isna()].groupby("account_id")["currency"].agg(
            lambda c: ", ".join(sorted(c)))
        several = pd.DataFrame({"arr_cents": sums, "currency": rates_.base,
                                "base_cents": sums, "rate": 1.0, "rate_day": pd.NaT})
        several["missing"] = lacking.reindex(several.index).fillna("")
        several["arr_cents"] = several["arr_cents"].astype(object).where(
            several["arr_cents"].notna(), None)
        out = pd.concat([out.astype({"arr_cents": object}), several])
    out.index.name = "account_id"
    return out


def book_currencies(s: Any) -> dict[str, int]:
    """Each currency the book's money is in, with how many records use it."""
    from csdesk.models import Opportunity, Renewal, ValueOutcome

    counts: dict[str, int] = {}
    for model in (Subscription, Renewal, Opportunity, ValueOutcome):
        for code, n in s.execute(select(model.currency, func.count())
                                 .group_by(model.currency)):
            if code:
                counts[code] = counts.get(code, 0) + int(n)
    return counts


def base_is_set(s: Any) -> bool:
    """Whether someone chose the base (a setting), rather than the default."""
    row = s.get(Setting, BASE_SETTING)
    return row is not None and bool(row.value)


def settle_base_currency(s: Any) -> str:
    """Once the book holds money and nobody chose a base: choose it and say so (one line,
    empty when there was nothing to choose). A book in one currency takes it as its base; a
    book in several keeps US dollars when it holds any, else its most used currency, and
    needs rates for the rest. Asked once: the choice is kept as the book's setting."""
    if base_is_set(s):
        return ""
    counts = book_currencies(s)
    if not counts:
        return ""
    codes = sorted(counts, key=lambda c: (-counts[c], c))
    base = codes[0] if len(codes) == 1 else (DEFAULT_BASE if DEFAULT_BASE in counts
                                             else codes[0])
    if s.scalar(select(func.count()).select_from(ExchangeRate)):
        base = base_currency_in(s)  # rates were typed against the default: keep it
    s.merge(Setting(key=BASE_SETTING, value=base))
    if len(codes) == 1:
        return (f"The book's money is in {base}: totals are in {base}, its base currency "
                f"(csdesk settings base-currency to change it).")
    return (f"The book holds {', '.join(codes)} amounts: totals are in {base}, its base "
            f"currency (csdesk settings base-currency to change it).")


def without_rate_in(s: Any) -> list[str]:
    """The book's currencies (not the base) with no exchange rate at all."""
    base = base_currency_in(s)
    have = set(s.scalars(select(ExchangeRate.currency).distinct()))
    return sorted(c for c in book_currencies(s) if c != base and c not in have)


@dataclass(frozen=True)
class CurrencyState:
    """What the currencies dialog shows: the base, the rates, and what is missing."""

    base: str
    rates: list[Rate]
    in_book: dict[str, int]  # currency → records of money in it
    without_rate: list[str]  # currencies of the book with no rate at all (not the base)


def currency_state(db: Database) -> CurrencyState:
    with db.read() as s:
        base = base_currency_in(s)
        in_book = book_currencies(s)
        rows = s.scalars(select(ExchangeRate).order_by(ExchangeRate.currency,
                                                       ExchangeRate.day)).all()
        listed = [Rate(r.currency, r.day, r.rate_to_base, r.source.value) for r in rows]
    have = {r.currency for r in listed}
    return CurrencyState(base, listed, in_book,
                         sorted(c for c in in_book if c != base and c not in have))


def account_currency_in(s: Any, account_id: int, day: date) -> str:
    """The customer's currency: that of its contracts in force (the base when several or
    none): new money typed for the account is in it unless said otherwise."""
    arr = arr_by_account(s, day=day, account_ids=[account_id])
    if account_id in arr.index:
        return str(arr.at[account_id, "currency"])
    return base_currency_in(s)
