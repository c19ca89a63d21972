"""The renewal forecast of a quarter (ARR by track, weighted by likelihood) and, once the
quarter is over, how close the forecast came."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from csdesk import clock
from csdesk.db import Database
from csdesk.models import (
    Account,
    Renewal,
    Subscription,
)
from csdesk.models.enums import (
    AccountStatus,
    RenewalOutcome,
)
from csdesk.services.periods import parse_period
from csdesk.services.renewals.pipeline import RenewalRow, default_likelihood, pipeline


@dataclass(frozen=True)
class QuarterForecast:
    period: str
    renewals: int
    arr_cents: int  # up for renewal in the quarter
    expected_arr_cents: int
    at_risk_arr_cents: int
    start_arr_cents: int  # the book's ARR when the quarter starts (or today, if it has)
    expected_grr: float | None
    expected_nrr: float | None
    by_track: dict[str, tuple[int, int, int]]  # track → (renewals, ARR, expected ARR)


def forecast(db: Database, period: str, *, today: date | None = None,
             rows: list[RenewalRow] | None = None) -> QuarterForecast:
    """The quarter's renewals still to come, their expected ARR, and the GRR/NRR that implies.

    ``rows``: the whole book's pipeline as of ``today``, when the caller already has it."""

    today = today or clock.today()
    start, end = parse_period(period)
    if rows is None:
        rows = pipeline(db, today=today, within=max(0, (end - today).days))
    rows = [r for r in rows if start <= r.renewal_date <= end]
    as_of = max(start, today)
    with db.read() as s:
        start_arr = int(s.scalar(select(func.coalesce(func.sum(Subscription.arr_cents), 0))
                                 .join(Account, Account.id == Subscription.account_id)
                                 .where(Subscription.start_date <= as_of,
                                        Subscription.end_date >= as_of,
                                        Account.status == AccountStatus.ACTIVE)) or 0)
    by_track: dict[str, tuple[int, int, int]] = {}
    for r in rows:
        n, arr, exp = by_track.get(r.track, (0, 0, 0))
        by_track[r.track] = (n + 1, arr + r.arr_cents, exp + r.expected_arr_cents)
    arr = sum(r.arr_cents for r in rows)
    expected = sum(r.expected_arr_cents for r in rows)
    loss = sum(max(0, r.arr_cents - r.expected_arr_cents) for r in rows)
    return QuarterForecast(
        period.upper(), len(rows), arr, expected,
        sum(r.arr_cents for r in rows if r.track == "at_risk"), start_arr,
        (start_arr - loss) / start_arr if start_arr else None,
        (start_arr - arr + expected) / start_arr if start_arr else None, by_track)


@dataclass(frozen=True)
class ForecastAccuracy:
    period: str
    renewals: int
    forecast_cents: int  # Σ current ARR × the likelihood on record
    actual_cents: int  # Σ new ARR (0 for churn)
    accuracy: float | None  # 1 − |forecast − actual| ÷ actual


def forecast_accuracy(db: Database, period: str) -> ForecastAccuracy:
    """How close the likelihoods on record came to what the quarter's renewals brought."""

    start, end = parse_period(period)
    with db.read() as s:
        rows = s.execute(select(Renewal.current_arr_cents, Renewal.likelihood,
                                Renewal.new_arr_cents, Renewal.track, Renewal.track_override)
                         .where(Renewal.renewal_date >= start, Renewal.renewal_date <= end,
                                Renewal.outcome != RenewalOutcome.PENDING)).all()
    # No likelihood on record: the default of the track it was on (its health then unknown).
    predicted = round(sum(
        arr * (lik if lik is not None else default_likelihood((over or track).value, None))
        for arr, lik, _new, track, over in rows))
    actual = sum(int(row[2] or 0) for row in rows)
    accuracy = max(0.0, 1 - abs(predicted - actual) / actual) if actual else None
    return ForecastAccuracy(period.upper(), len(rows), predicted, actual, accuracy)
