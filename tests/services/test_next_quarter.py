"""Issue 21: "next quarter" follows the calendar; its forecast is one answer; the portfolio's
periods; the renewal rate on the ARR up for renewal, against hand computations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.models import Account, Renewal, Subscription
from csdesk.services.health.metrics import portfolio_metrics, portfolio_view
from csdesk.services.periods import (
    next_quarter,
    parse_period,
    period_label,
    period_span,
    portfolio_period,
    quarter_window,
)


@pytest.mark.parametrize(("today", "quarter", "start", "end"), [
    (date(2026, 11, 22), "2027Q1", date(2027, 1, 1), date(2027, 3, 31)),
    (date(2026, 12, 31), "2027Q1", date(2027, 1, 1), date(2027, 3, 31)),
    (date(2027, 1, 1), "2027Q2", date(2027, 4, 1), date(2027, 6, 30)),
    (date(2028, 2, 29), "2028Q2", date(2028, 4, 1), date(2028, 6, 30)),  # a leap day
    (date(2027, 9, 30), "2027Q4", date(2027, 10, 1), date(2027, 12, 31)),
    (date(2027, 10, 1), "2028Q1", date(2028, 1, 1), date(2028, 3, 31)),
    (date(2027, 11, 15), "2028Q1", date(2028, 1, 1), date(2028, 3, 31)),  # Q1 of a leap year
])
def test_next_quarter_is_the_calendars(today: date, quarter: str, start: date,
                                       end: date) -> None:
    assert next_quarter(today) == quarter
    first, last, to_first, to_last = quarter_window(quarter, today)
    assert (first, last) == (start, end) == parse_period(quarter)
    assert (to_first, to_last) == ((start - today).days, (end - today).days)
    if quarter == "2028Q1":
        assert date(2028, 2, 29) - first == timedelta(days=59)  # the leap day is inside


def test_portfolio_periods() -> None:
    today = date(2026, 11, 27)
    assert portfolio_period("quarter", today) == "2026Q3"
    assert period_span(portfolio_period("year", today)) == (date(2026, 1, 1), date(2026, 12, 31))
    assert period_span(portfolio_period("ttm", today)) == (date(2025, 11, 28), today)
    assert period_span("TTM:2028-02-29") == (date(2027, 3, 1), date(2028, 2, 29))
    assert period_span("TTM:2027-03-01") == (date(2026, 3, 2), date(2027, 3, 1))
    assert period_label("2026Q3") == "Q3 2026"
    assert period_label("TTM:2026-11-27") == "12 months to 27 Nov 2026"
    assert period_label("2026") == "2026"
    with pytest.raises(CsdeskError):
        portfolio_period("fortnight", today)
    with pytest.raises(CsdeskError):
        period_span("TTM:yesterday")


def _acc(s, ext: str, owner: str = "Ana") -> Account:  # type: ignore[no-untyped-def]
    a = Account(external_id=ext, name=ext, segment="smb", engagement_model="tech_touch",
                owner=owner)
    s.add(a)
    s.flush()
    return a


def test_renewal_rate_on_the_arr_up_for_renewal(db: Database) -> None:
    """Hand computation: four renewals decided in 2026Q1 brought up 100 + 200 + 100 + 100
    = 500; renewed flat 100, churned 0, expanded 100 → 150 counts 100 (an expansion is not
    renewed ARR), downsold 100 → 60 counts 60: 260 ÷ 500 = 52 %. A renewal still pending
    and one decided in another quarter do not count."""
    before, after = date(2025, 3, 1), date(2026, 12, 31)
    with db.write() as s:
        for ext, arr, outcome, new in (("FLAT", 100, "renewed", None),
                                       ("GONE", 200, "churned", None),
                                       ("GROW", 100, "expanded", 150),
                                       ("SHRINK", 100, "downsold", 60)):
            a = _acc(s, ext)
            s.add(Subscription(account_id=a.id, start_date=before, end_date=after,
                               arr_cents=arr * 100))
            s.add(Renewal(account_id=a.id, renewal_date=date(2026, 2, 1),
                          current_arr_cents=arr * 100, outcome=outcome,
                          churn_reason_code="budget_cut" if outcome == "churned" else None,
                          new_arr_cents=None if new is None else new * 100))
        later = _acc(s, "LATER")
        s.add(Renewal(account_id=later.id, renewal_date=date(2026, 3, 20),
                      current_arr_cents=999_00))  # pending: not decided
        s.add(Renewal(account_id=later.id, renewal_date=date(2026, 4, 2),
                      current_arr_cents=999_00, outcome="churned",
                      churn_reason_code="budget_cut"))  # next quarter
    whole, _ = portfolio_metrics(db, "2026Q1")
    assert whole.values["arr_renewal_rate"] == pytest.approx(260 / 500)
    assert whole.counts["renewed_arr_cents"] == 260_00
    assert whole.counts["arr_up_for_renewal_cents"] == 500_00
    assert whole.values["renewal_rate"] == pytest.approx(3 / 4)  # by count: unchanged
    # The year holds the second quarter's churn too: 260 ÷ (500 + 999).
    year, _ = portfolio_view(db, "2026")
    assert year.values["arr_renewal_rate"] == pytest.approx(260 / 1499)


def test_next_quarter_forecast_is_a_hand_sum(db: Database) -> None:
    from csdesk.services.renewals.forecast import forecast, quarter_forecasts

    today = date(2026, 12, 31)  # the last day of Q4: "next" is all of 2027Q1
    with db.write() as s:
        for ext, when, cents, likelihood in (("Q4", date(2026, 12, 31), 300_000, 0.5),
                                             ("JAN", date(2027, 1, 1), 1_000_000, 0.9),
                                             ("MAR", date(2027, 3, 31), 2_000_000, 0.4),
                                             ("APR", date(2027, 4, 1), 5_000_000, 0.8)):
            a = _acc(s, ext)
            s.add(Subscription(account_id=a.id, start_date=when - timedelta(days=364),
                               end_date=when, arr_cents=cents))
            s.add(Renewal(account_id=a.id, renewal_date=when, current_arr_cents=cents,
                          likelihood=likelihood))
    this, following = quarter_forecasts(db, today=today)
    assert (this.period, this.renewals, this.arr_cents, this.expected_arr_cents) == (
        "2026Q4", 1, 300_000, 150_000)
    # 1 Jan and 31 Mar are in; 1 Apr is not: 1,000,000 × 0.9 + 2,000,000 × 0.4.
    assert following.period == "2027Q1"
    assert (following.renewals, following.arr_cents) == (2, 3_000_000)
    assert following.expected_arr_cents == 900_000 + 800_000
    assert following == forecast(db, "2027Q1", today=today)
