"""Change against the account's own baseline (usage, users) and days of silence."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest

from csdesk.db import Database
from csdesk.models import Account, Activity, SupportTicket, SurveyResponse, UsageSnapshot
from csdesk.services.defaults import ensure_defaults
from csdesk.services.health.inputs import compute_inputs

DAY = date(2026, 11, 22)


def _account(s: object, ext: str) -> int:
    a = Account(external_id=ext, name=ext, segment="smb", engagement_model="tech_touch",
                customer_since=date(2024, 1, 1))
    s.add(a)  # type: ignore[attr-defined]
    s.flush()  # type: ignore[attr-defined]
    return a.id


def _inputs(db: Database, ids: list[int], day: date = DAY) -> pd.DataFrame:
    pairs = pd.DataFrame({"account_id": ids, "as_of": [pd.Timestamp(day)] * len(ids)})
    with db.read() as s:
        return compute_inputs(s, pairs)


def test_usage_and_users_change_against_the_previous_90_days(db: Database) -> None:
    ensure_defaults(db)
    with db.write() as s:
        up, flat, new, gone = (_account(s, e) for e in ("UP", "FLAT", "NEW", "GONE"))
        for age in range(120):  # a row a day for 120 days, today included
            d = DAY - timedelta(days=age)
            recent = age < 30
            s.add(UsageSnapshot(account_id=up, date=d, key_events=20 if recent else 10,
                                active_users=6 if recent else 4, licensed_seats=10))
            s.add(UsageSnapshot(account_id=flat, date=d, key_events=7, active_users=3,
                                licensed_seats=10))
            if recent:  # no baseline: a new customer
                s.add(UsageSnapshot(account_id=new, date=d, key_events=5, active_users=2))
            elif age >= 60:  # usage stopped 60 days ago
                s.add(UsageSnapshot(account_id=gone, date=d, key_events=5, active_users=2))
        # Rows older than 120 days (and after the day) are no part of either window.
        s.add(UsageSnapshot(account_id=flat, date=DAY - timedelta(days=120), key_events=9999,
                            active_users=999))
        s.add(UsageSnapshot(account_id=flat, date=DAY + timedelta(days=1), key_events=9999,
                            active_users=999))
    got = _inputs(db, [up, flat, new, gone]).set_axis(["up", "flat", "new", "gone"])
    assert got.loc["up", "raw.usage_change"] == pytest.approx(1.0)  # 20/day vs 10/day
    assert got.loc["up", "usage_change"] == pytest.approx(50 + 50 * math.tanh(2.0))
    assert got.loc["up", "raw.users_change"] == pytest.approx(0.5)  # 6 vs 4 users
    assert got.loc["up", "users_change"] == pytest.approx(50 + 50 * math.tanh(1.0))
    assert got.loc["flat", "raw.usage_change"] == pytest.approx(0.0)
    assert got.loc["flat", "usage_change"] == pytest.approx(50)
    assert got.loc["flat", "users_change"] == pytest.approx(50)
    assert pd.isna(got.loc["new", "usage_change"]) and pd.isna(got.loc["new", "users_change"])
    # Events a day: 30 days of 5 over 90 days, against nothing in the last 30.
    assert got.loc["gone", "raw.usage_change"] == pytest.approx(-1.0)
    assert got.loc["gone", "usage_change"] == pytest.approx(50 + 50 * math.tanh(-2.0))
    # A falling 70 is worse than a rising 55: the change is of the account's own baseline.
    assert got.loc["gone", "usage_change"] < got.loc["flat", "usage_change"] \
        < got.loc["up", "usage_change"]


def test_weekly_rows_are_rates_over_each_windows_days(db: Database) -> None:
    ensure_defaults(db)
    with db.write() as s:
        a = _account(s, "WEEKLY")
        for week in range(17):
            age = 7 * week
            s.add(UsageSnapshot(account_id=a, date=DAY - timedelta(days=age),
                                key_events=70 if age < 30 else 35, active_users=5))
    got = _inputs(db, [a])
    # Ages 0–28: 5 rows of 70 over 30 days (11.67/day); ages 35–112: 12 rows of 35 over 90
    # days (4.67/day).
    assert got["raw.usage_change"].iloc[0] == pytest.approx((5 * 70 / 30) / (12 * 35 / 90) - 1)
    assert got["raw.usage_change"].iloc[0] == pytest.approx(1.5)
    assert got["raw.users_change"].iloc[0] == pytest.approx(0.0)


def test_zero_baseline_is_missing(db: Database) -> None:
    ensure_defaults(db)
    with db.write() as s:
        a = _account(s, "ZERO")
        for age in range(0, 120, 7):
            s.add(UsageSnapshot(account_id=a, date=DAY - timedelta(days=age),
                                key_events=0 if age >= 30 else 10, active_users=0))
    got = _inputs(db, [a])
    assert pd.isna(got["usage_change"].iloc[0]) and pd.isna(got["users_change"].iloc[0])


def test_days_of_silence(db: Database) -> None:
    ensure_defaults(db)
    with db.write() as s:
        quiet, reactive, ticket, survey, never, later = (
            _account(s, e) for e in ("QUIET", "REACTIVE", "TICKET", "SURVEY", "NEVER", "LATER"))
        s.add(Activity(account_id=quiet, kind="call", occurred_on=DAY - timedelta(days=67),
                       summary="call", proactive=True))
        s.add(Activity(account_id=reactive, kind="email", occurred_on=DAY - timedelta(days=10),
                       summary="answer", proactive=False))
        s.add(Activity(account_id=ticket, kind="call", occurred_on=DAY - timedelta(days=200),
                       summary="old call"))
        s.add(SupportTicket(account_id=ticket, subject="help", opened_on=DAY - timedelta(
            days=30)))
        s.add(SurveyResponse(account_id=survey, kind="nps", score=8,
                             responded_on=DAY - timedelta(days=130)))
        # Only a sign of life after the day: no look-ahead, so none at all.
        s.add(Activity(account_id=later, kind="call", occurred_on=DAY + timedelta(days=1),
                       summary="later"))
    ids = [quiet, reactive, ticket, survey, never, later]
    got = _inputs(db, ids).set_axis(["quiet", "reactive", "ticket", "survey", "never",
                                     "later"])
    assert got["raw.days_of_silence"].tolist()[:4] == [67, 10, 30, 130]
    assert got.loc["quiet", "days_of_silence"] == pytest.approx(100 * (120 - 67) / 106)
    assert got.loc["reactive", "days_of_silence"] == 100  # 0–14 days: full marks
    assert got.loc["ticket", "days_of_silence"] == pytest.approx(100 * 90 / 106)
    assert got.loc["survey", "days_of_silence"] == 0  # past 120 days
    assert got.loc[["never", "later"], "days_of_silence"].isna().all()
    # Many days at once (calibration's path) gives the same answers as one day.
    pairs = pd.DataFrame({"account_id": [quiet, quiet, ticket],
                          "as_of": [pd.Timestamp(DAY), pd.Timestamp(DAY - timedelta(days=60)),
                                    pd.Timestamp(DAY - timedelta(days=31))]})
    with db.read() as s:
        many = compute_inputs(s, pairs)
    # As of 31 days before, the ticket (30 days before) is still to come: the call it is.
    assert many["raw.days_of_silence"].tolist() == [67, 7, 169]
