"""The value-delivered log: dated, evidenced outcomes, and their totals against ARR.

An entry can point at a success-plan objective, carry its metric before and after, a money
value with how it was worked out, evidence (a note, a link, or a file copied into the data
folder so the book keeps it), and who at the customer confirmed it, when.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from csdesk import clock
from csdesk.config import data_dir
from csdesk.db import Database
from csdesk.errors import CsdeskError, FileWriteError, ValidationError
from csdesk.models import Account, Objective, ValueOutcome
from csdesk.safefile import atomic_open, describe_os_error, private_dir
from csdesk.services.money import Rates, account_currency_in, arr_by_account, missing_text


@dataclass(frozen=True)
class ValueEntry:
    id: int
    occurred_on: date
    title: str
    objective_id: int | None
    metric_name: str | None
    metric_unit: str | None
    metric_before: float | None
    metric_after: float | None
    value_cents: int | None
    currency: str
    value_method: str | None
    evidence: str | None
    evidence_url: str | None
    evidence_file: str | None
    confirmed_by: str | None
    confirmed_on: date | None


@dataclass(frozen=True)
class ValueTotals:
    """Value delivered in the customer's currency (an entry in another currency converted
    through the base at the rate of its own day); None with ``note`` when a rate is missing."""

    quarter_cents: int | None
    year_cents: int | None
    to_date_cents: int | None
    arr_cents: int
    roi: float | None  # value delivered to date ÷ current ARR
    currency: str = "USD"  # the customer's: that of its contracts
    to_date_base_cents: int | None = None  # to date in the base, each entry at its day's rate
    base_currency: str = "USD"
    note: str = ""


FIELDS = ("occurred_on", "title", "objective_id", "metric_name", "metric_unit",
          "metric_before", "metric_after", "value_cents", "currency", "value_method",
          "evidence", "evidence_url", "confirmed_by", "confirmed_on")


def _entry(v: ValueOutcome) -> ValueEntry:
    return ValueEntry(v.id, v.occurred_on, v.title, v.objective_id, v.metric_name,
                      v.metric_unit, v.metric_before, v.metric_after, v.value_cents,
                      v.currency, v.value_method, v.evidence, v.evidence_url, v.evidence_file,
                      v.confirmed_by, v.confirmed_on)


def entries(db: Database, account_id: int) -> list[ValueEntry]:
    with db.read() as s:
        rows = s.scalars(select(ValueOutcome).where(ValueOutcome.account_id == account_id)
                         .order_by(ValueOutcome.occurred_on.desc())).all()
        return [_entry(v) for v in rows]


def add_entry(db: Database, account_id: int, data: dict[str, Any],
              evidence_file: Path | None = None) -> ValueEntry:
    values = {k: v for k, v in data.items() if k in FIELDS}
    if not str(values.get("title") or "").strip():
        raise ValidationError("title", "say what value was delivered")
    if values.get("value_cents") is not None and values["value_cents"] < 0:
        raise ValidationError("value_cents", "a value delivered cannot be negative")
    values.setdefault("occurred_on", clock.today())
    with db.write() as s:
        if not values.get("currency"):  # typed for this customer: in its currency
            values["currency"] = account_currency_in(s, account_id, clock.today())
        entry = ValueOutcome(account_id=account_id, **values)
        s.add(entry)
        s.flush()
        if evidence_file is not None:
            entry.evidence_file = str(_keep_file(account_id, entry.id, evidence_file))
        return _entry(entry)


def _keep_file(account_id: int, entry_id: int, source: Path) -> Path:
    """Copy the evidence into the data folder, so the book does not depend on the original."""
    if not source.is_file():
        raise ValidationError("evidence_file", f"no file at {source}")
    folder = data_dir() / "evidence" / str(account_id)
    safe = re.sub(r"[^\w.\-]+", "_", source.name)[:120]
    target = folder / f"{entry_id}-{safe}"
    try:  # private: evidence is often a customer's own document
        private_dir(folder)
        with source.open("rb") as src, atomic_open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
    except OSError as exc:
        raise FileWriteError(f"the evidence file was not kept: "
                             f"{describe_os_error(exc, folder)}; nothing was saved") from exc
    return target


def delete_entry(db: Database, entry_id: int) -> None:
    with db.write() as s:
        entry = s.get(ValueOutcome, entry_id)
        if entry is not None:
            s.delete(entry)


def prefill_from_objective(db: Database, objective_id: int) -> dict[str, Any]:
    """A value entry drafted from an (achieved) objective: its KPI before and after."""
    with db.read() as s:
        o = s.get(Objective, objective_id)
        if o is None:
            return {}
        return {"title": o.title, "objective_id": o.id, "metric_name": o.kpi_name,
                "metric_unit": o.kpi_unit, "metric_before": o.baseline,
                "metric_after": o.current, "occurred_on": clock.today()}


def value_logged_for(db: Database, objective_id: int) -> bool:
    """Whether the value an objective delivered is already in the log (then reaching the
    target again is not news)."""
    with db.read() as s:
        return s.scalar(select(ValueOutcome.id).where(
            ValueOutcome.objective_id == objective_id).limit(1)) is not None


@dataclass(frozen=True)
class _Logged:
    """An account's value outcomes up to a day, each in the customer's currency and in
    the base (NaN where a rate is missing)."""

    days: pd.Series
    in_own: np.ndarray
    in_base: np.ndarray
    currency: str
    arr_cents: int
    rates: Rates
    gaps: list[tuple[str, date]]

    def total(self, since: date | None = None, until: date | None = None) -> int | None:
        pick = np.ones(len(self.days), dtype=bool)
        if since is not None:
            pick &= (self.days >= pd.Timestamp(since)).to_numpy()
        if until is not None:
            pick &= (self.days <= pd.Timestamp(until)).to_numpy()
        values = self.in_own[pick]
        return None if np.isnan(values).any() else int(np.round(values.sum()))


def _logged(db: Database, account_id: int, today: date) -> _Logged:
    with db.read() as s:
        rates = Rates.load(s)
        arr = arr_by_account(s, day=today, account_ids=[account_id], rates_=rates)
        logged = pd.DataFrame(s.execute(select(
            ValueOutcome.value_cents, ValueOutcome.currency, ValueOutcome.occurred_on).where(
            ValueOutcome.account_id == account_id, ValueOutcome.occurred_on <= today,
            ValueOutcome.value_cents.is_not(None))).all(), columns=["cents", "currency", "day"])
    if account_id in arr.index:
        arr_cents, currency = arr.at[account_id, "arr_cents"], str(arr.at[account_id, "currency"])
    else:  # no contract in force: the currency its value was logged in, else the base
        arr_cents = 0
        currency = str(logged["currency"].mode().iat[0]) if len(logged) else rates.base
    arr_cents = 0 if arr_cents is None or arr_cents != arr_cents else int(arr_cents)
    base = rates.convert(logged["cents"].to_numpy(), logged["currency"].to_numpy(),
                         logged["day"].to_numpy())
    own = logged["currency"].eq(currency).to_numpy()
    # another currency: through the base, at the customer's currency's rate of that day
    theirs = rates.convert(np.ones(len(logged)), [currency] * len(logged),
                           logged["day"].to_numpy())["rate"].to_numpy()
    in_own = np.where(own, logged["cents"].to_numpy(dtype=float),
                      base["base_cents"].to_numpy() / theirs)
    days = days_of(logged)
    gaps = rates.missing(base)
    need = ~own & np.isnan(theirs)
    if need.any():
        gaps.append((currency, pd.Timestamp(days[need].min()).date()))
    return _Logged(days, in_own, base["base_cents"].to_numpy(), currency, arr_cents, rates,
                   gaps)


def totals(db: Database, account_id: int, *, today: date | None = None) -> ValueTotals:
    today = today or clock.today()
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    log = _logged(db, account_id, today)
    q, y, all_time = log.total(quarter_start), log.total(date(today.year, 1, 1)), log.total()
    to_date_base = None if np.isnan(log.in_base).any() else int(np.round(log.in_base.sum()))
    roi = all_time / log.arr_cents if log.arr_cents and all_time is not None else None
    # In the customer's own currency a total needs no rate; only one in another does (a
    # missing base amount shows as "no … rate" beside the total, not as a refusal).
    return ValueTotals(q, y, all_time, log.arr_cents, roi, log.currency, to_date_base,
                       log.rates.base, missing_text(log.gaps) if all_time is None else "")


def period_total(db: Database, account_id: int, start: date, end: date) -> int | None:
    """Value logged between two days, in the customer's currency (None: a rate is missing)."""
    return _logged(db, account_id, end).total(start, end)


def days_of(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["day"])


@dataclass(frozen=True)
class ValueReport:
    """Everything the value-delivered document prints, read in one go."""

    account_name: str
    as_of: date
    entries: tuple[ValueEntry, ...]
    totals: ValueTotals
    objectives: dict[int, str]  # objective id → title, for the entries that link one


def value_report(db: Database, account_id: int, *, today: date | None = None) -> ValueReport:
    today = today or clock.today()
    rows = [e for e in entries(db, account_id) if e.occurred_on <= today]
    with db.read() as s:
        name = s.scalar(select(Account.name).where(Account.id == account_id))
        if name is None:
            raise CsdeskError(f"There is no account with id {account_id}.")
        ids = {e.objective_id for e in rows if e.objective_id}
        titles = dict(s.execute(select(Objective.id, Objective.title)
                                .where(Objective.id.in_(ids))).tuples().all()) if ids else {}
    return ValueReport(name, today, tuple(rows), totals(db, account_id, today=today), titles)
