"""The renewal forecast of a quarter (ARR by track, weighted by likelihood) and, once the
quarter is over, how close the forecast came."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from csdesk import clock
from csdesk.db import Database
from csdesk.models import (
    Account,
    Renewal,
)
from csdesk.models.enums import (
    AccountStatus,
    RenewalOutcome,
)
from csdesk.services.money import Rates, arr_by_account, missing_text
from csdesk.services.periods import next_quarter, parse_period, quarter_of
from csdesk.services.renewals.pipeline import RenewalRow, default_likelihood, pipeline


@dataclass(frozen=True)
class QuarterForecast:
    """Amounts in the base currency at today's rates; None (with ``note``) when a rate the
    quarter's renewals need is missing: a total is refused, never summed raw."""

    period: str
    renewals: int
    arr_cents: int | None  # up for renewal in the quarter
    expected_arr_cents: int | None
    at_risk_arr_cents: int | None
    start_arr_cents: int | None  # the book's ARR when the quarter starts (or today, if it has)
    expected_grr: float | None
    expected_nrr: float | None
    by_track: dict[str, tuple[int, int | None, int | None]]  # track → (n, ARR, expected ARR)
    currency: str = "USD"
    note: str = ""
    counted_from: date | None = None  # the quarter has begun: renewals from this day on


def base_total(values: Iterable[int | None]) -> int | None:
    """A sum of base amounts, or None when any could not be converted (no rate)."""
    total = 0
    for v in values:
        if v is None:
            return None
        total += v
    return total


def track_totals(rows: list[RenewalRow]) -> dict[str, tuple[int, int | None, int | None]]:
    """Renewals, ARR and expected ARR per track, in the base currency (None: a rate is
    missing): what the renewals screen, the forecast and the CLI total."""
    by: dict[str, list[RenewalRow]] = {}
    for r in rows:
        by.setdefault(r.track, []).append(r)
    return {t: (len(mine), base_total(r.arr_base_cents for r in mine),
                base_total(r.expected_base_cents for r in mine)) for t, mine in by.items()}


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
        rates = Rates.load(s)
        live = select(Account.id).where(Account.status == AccountStatus.ACTIVE)
        book = arr_by_account(s, day=as_of, account_ids=live, rates_=rates)
    gaps = sorted({c.strip() for m in book.loc[book["base_cents"].isna(), "missing"]
                   for c in str(m).split(",")} |
                  {r.currency for r in rows if r.arr_base_cents is None})
    note = missing_text([(c, as_of) for c in gaps])
    by_track = track_totals(rows)
    begun = today if today > start else None
    if note:
        return QuarterForecast(period.upper(), len(rows), None, None, None, None, None, None,
                               by_track, rates.base, note, begun)
    start_arr = int(book["base_cents"].sum())
    arr = sum(r.arr_base_cents or 0 for r in rows)
    expected = sum(r.expected_base_cents or 0 for r in rows)
    loss = sum(max(0, (r.arr_base_cents or 0) - (r.expected_base_cents or 0)) for r in rows)
    return QuarterForecast(
        period.upper(), len(rows), arr, expected,
        sum(r.arr_base_cents or 0 for r in rows if r.track == "at_risk"), start_arr,
        (start_arr - loss) / start_arr if start_arr else None,
        (start_arr - arr + expected) / start_arr if start_arr else None, by_track,
        rates.base, counted_from=begun)


def quarter_forecasts(db: Database, *, today: date | None = None,
                      rows: list[RenewalRow] | None = None
                      ) -> tuple[QuarterForecast, QuarterForecast]:
    """The forecast of the quarter in progress and of the next calendar quarter (its real
    first to last day): the one answer the renewals screen and ``csdesk renewals forecast``
    show. ``rows``: the whole book's pipeline as of ``today``, when the caller has it."""
    today = today or clock.today()
    if rows is None:
        _start, end = parse_period(next_quarter(today))
        rows = pipeline(db, today=today, within=(end - today).days)
    return (forecast(db, quarter_of(today), today=today, rows=rows),
            forecast(db, next_quarter(today), today=today, rows=rows))


def describe_forecast(f: QuarterForecast) -> str:
    """A quarter's forecast in one line, as the screen and the command line word it."""
    from csdesk.services.formatting import counted, format_money
    from csdesk.services.periods import date_range, period_label

    start, end = parse_period(f.period)
    rest, still = "", ""
    if f.counted_from is not None:  # begun: what is counted is what is still to come (the
        start = f.counted_from  # rest of it: never read as the quarter's own dates)
        rest, still = "the rest of ", " still to come"
    head = (f"{rest}{period_label(f.period)} ({date_range(start, end)}): "
            f"{counted(f.renewals, 'renewal')}{still}")
    if f.note:
        return f"{head}; no forecast in {f.currency}: {f.note}"
    pct = "—" if f.expected_grr is None else f"{f.expected_grr:.1%}"
    nrr = "—" if f.expected_nrr is None else f"{f.expected_nrr:.1%}"
    return (f"{head}, {format_money(f.arr_cents, f.currency)} up for renewal, "
            f"{format_money(f.expected_arr_cents, f.currency)} expected · expected GRR {pct}, "
            f"NRR {nrr} · ARR at risk {format_money(f.at_risk_arr_cents, f.currency)}")


@dataclass(frozen=True)
class ForecastAccuracy:
    period: str
    renewals: int
    forecast_cents: int | None  # Σ current ARR × the likelihood on record (base currency)
    actual_cents: int | None  # Σ new ARR (0 for churn)
    accuracy: float | None  # 1 − |forecast − actual| ÷ actual
    currency: str = "USD"
    note: str = ""


def forecast_accuracy(db: Database, period: str) -> ForecastAccuracy:
    """How close the likelihoods on record came to what the quarter's renewals brought."""

    start, end = parse_period(period)
    with db.read() as s:
        rows = s.execute(select(Renewal.current_arr_cents, Renewal.likelihood,
                                Renewal.new_arr_cents, Renewal.track, Renewal.track_override,
                                Renewal.currency, Renewal.renewal_date)
                         .where(Renewal.renewal_date >= start, Renewal.renewal_date <= end,
                                Renewal.outcome != RenewalOutcome.PENDING)).all()
        rates = Rates.load(s)
    # Each renewal in the base at the rate of its own day.
    conv = rates.convert([r[0] for r in rows], [r[5] for r in rows], [r[6] for r in rows])
    gaps = rates.missing(conv)
    if gaps:
        return ForecastAccuracy(period.upper(), len(rows), None, None, None, rates.base,
                                missing_text(gaps))
    rate = conv["rate"].tolist()
    # No likelihood on record: the default of the track it was on (its health then unknown).
    predicted = round(sum(
        arr * k * (lik if lik is not None else default_likelihood((over or track).value, None))
        for (arr, lik, _new, track, over, _c, _d), k in zip(rows, rate, strict=True)))
    actual = round(sum(int(row[2] or 0) * k for row, k in zip(rows, rate, strict=True)))
    accuracy = max(0.0, 1 - abs(predicted - actual) / actual) if actual else None
    return ForecastAccuracy(period.upper(), len(rows), predicted, actual, accuracy, rates.base)
