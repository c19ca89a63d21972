"""Survival: Uno's concordance against hand sums, lifelines and brute force; retention curves
on the demo book; a Cox model that finds what drives churn in a monthly book."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from datetime import timedelta
from itertools import pairwise

import numpy as np
import pytest
from lifelines.utils import concordance_index
from sqlalchemy import func, select

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.db.bulk import bulk_insert
from csdesk.models import Account, Subscription, UsageSnapshot
from csdesk.services.demo.generate import generate_demo
from csdesk.services.health.survival import (
    Retention,
    cox_time_varying,
    is_monthly_book,
    retention_curves,
    uno_concordance,
)
from tests.conftest import AS_OF


def _g_before(tt: np.ndarray, et: np.ndarray, s: float) -> float:
    """The Kaplan–Meier survival of censoring just before ``s``, written out: at each
    earlier time u, 1 − censored(u) / (at risk(u) − churned(u))."""
    g = 1.0
    for u in sorted(set(tt[tt < s].tolist())):
        censored = int(np.sum((tt == u) & ~et))
        at_risk = int(np.sum(tt >= u)) - int(np.sum((tt == u) & et))
        if at_risk > 0:
            g *= 1.0 - censored / at_risk
    return g


def _brute_uno(tt: np.ndarray, et: np.ndarray, t: np.ndarray, e: np.ndarray,
               eta: np.ndarray, tau: float | None = None) -> float:
    """Uno's C pair by pair, straight from the formula (the reference for the fast one)."""
    tau = float(tt.max()) if tau is None else tau
    num = den = 0.0
    for i in range(len(t)):
        if not e[i] or not t[i] < tau:
            continue
        w = 1.0 / _g_before(tt, et, float(t[i])) ** 2
        for j in range(len(t)):
            if t[i] < t[j]:
                den += w
                num += w * (1.0 if eta[i] > eta[j] else 0.5 if eta[i] == eta[j] else 0.0)
    return num / den if den else float("nan")


def test_uno_by_hand() -> None:
    """Times 1, 2+, 3, 4 (2 censored). G drops to 2/3 at 2, so the event at 3 weighs
    1/(2/3)² = 9/4 against the event at 1's 1. Risks 3, 2, 1, 4: the event at 1 outranks
    2 of its 3 later accounts, the event at 3 none of its 1 (the event at 4, the largest
    time, is past tau): C = (1·2 + 9/4·0) / (1·3 + 9/4·1) = 8/21."""
    t = np.array([1.0, 2.0, 3.0, 4.0])
    e = np.array([1, 0, 1, 1], dtype=bool)
    eta = np.array([3.0, 2.0, 1.0, 4.0])
    assert uno_concordance(t, e, t, e, eta) == pytest.approx(8 / 21, abs=1e-12)
    # Harrell's C weighs both events alike: 2 of 4 pairs.
    assert concordance_index(t, -eta, e) == pytest.approx(0.5)
    # tau = 2 keeps only the event at 1; a tie in risk counts one half.
    assert uno_concordance(t, e, t, e, eta, tau=2.0) == pytest.approx(2 / 3, abs=1e-12)
    tied = np.array([2.0, 2.0, 1.0, 4.0])
    assert uno_concordance(t, e, t, e, tied, tau=2.0) == pytest.approx(1.5 / 3, abs=1e-12)
    # No comparable pair: not a number, not an error.
    assert np.isnan(uno_concordance(t, e, t[:1], e[:1], eta[:1]))


def test_uno_weighs_by_censoring_strictly_before_the_event() -> None:
    """Times 1, 2, 2+, 3, 4+: at 2 one account churns and one is censored. The churned one
    was not at risk of censoring, so G(2) = 1 − 1/3; the event at 2 itself weighs by G just
    before 2 (= 1), the event at 3 by (2/3)⁻² = 9/4. Risks 5, 1, 0, 2, 3:
    C = (1·4 + 1·0 + 9/4·0) / (1·4 + 1·2 + 9/4·1) = 16/33."""
    t = np.array([1.0, 2.0, 2.0, 3.0, 4.0])
    e = np.array([1, 1, 0, 1, 0], dtype=bool)
    eta = np.array([5.0, 1.0, 0.0, 2.0, 3.0])
    assert uno_concordance(t, e, t, e, eta) == pytest.approx(16 / 33, abs=1e-12)


def test_uno_without_censoring_is_harrells_c() -> None:
    rng = np.random.default_rng(3)
    for n in (2, 17, 500, 3000):
        t = rng.integers(1, 60, n).astype(float)  # many tied times
        e = np.ones(n, dtype=bool)
        eta = rng.integers(0, 8, n).astype(float)  # many tied risks
        ours = uno_concordance(t, e, t, e, eta)
        assert abs(ours - concordance_index(t, -eta, e)) < 1e-9


def test_uno_with_light_censoring_is_close_to_harrells_c() -> None:
    rng = np.random.default_rng(11)
    n = 2000
    x = rng.normal(size=n)
    t_event = rng.exponential(1.0 / np.exp(0.8 * x))
    t_censor = rng.uniform(0, 8.0, n)
    t, e = np.minimum(t_event, t_censor), t_event <= t_censor
    assert 0.08 < 1 - e.mean() < 0.25  # light censoring
    uno = uno_concordance(t, e, t, e, x)
    harrell = concordance_index(t, -x, e)
    assert abs(uno - harrell) < 0.01
    assert uno > 0.65  # the risk really predicts


def test_uno_matches_brute_force_with_censoring_and_ties() -> None:
    rng = np.random.default_rng(5)
    for _ in range(30):
        n = int(rng.integers(2, 80))
        tt = rng.integers(1, 15, n).astype(float)
        et = rng.random(n) < 0.6
        t = rng.integers(1, 15, n).astype(float)
        e = rng.random(n) < 0.6
        eta = rng.integers(0, 6, n).astype(float)
        for tau in (None, 9.5):
            ours, ref = uno_concordance(tt, et, t, e, eta, tau), _brute_uno(tt, et, t, e,
                                                                            eta, tau)
            assert (np.isnan(ours) and np.isnan(ref)) or abs(ours - ref) < 1e-12


def test_uno_refuses_bad_input() -> None:
    t = np.array([1.0, 2.0])
    e = np.array([True, False])
    with pytest.raises(ValueError):
        uno_concordance(t, e, t, e, np.array([1.0, np.nan]))
    with pytest.raises(ValueError):
        uno_concordance(t, e, t, e, np.array([1.0]))


# -- retention on the demo book -------------------------------------------------------------


@pytest.fixture(scope="module")
def big_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("survival") / "demo.sqlite"
    db = Database.open(resolve_database(path))
    generate_demo(db, accounts=1500, seed=7, as_of=AS_OF)
    yield db
    db.close()


def test_green_accounts_stay_longer_than_red(big_demo: Database) -> None:
    r = retention_curves(big_demo, as_of=AS_OF)
    assert r.landmark == AS_OF - timedelta(days=365) and r.as_of == AS_OF
    bands = {c.group: c for c in r.by_band}
    assert {"green", "yellow", "red"} <= set(bands)
    green, red = bands["green"].at_12_months, bands["red"].at_12_months
    assert green is not None and red is not None
    assert 0 < red < green <= 1
    for curve in r.by_band + r.by_segment:
        assert curve.points[0] == (0, 1.0, 1.0, 1.0)
        days = [p[0] for p in curve.points]
        survival = [p[1] for p in curve.points]
        assert days == sorted(days) and days[-1] == 365 and len(days) <= 61
        assert all(a >= b for a, b in pairwise(survival))
        assert all(lo <= s <= hi for _, s, lo, hi in curve.points)
        if curve.accounts >= 5:
            assert curve.at_12_months is not None and curve.at_12_months_ci is not None
            lo, hi = curve.at_12_months_ci
            assert 0 < lo <= curve.at_12_months <= hi <= 1
            assert curve.at_12_months == pytest.approx(survival[-1])
    # Every account in the cohort is in one band group and one segment group.
    assert sum(c.accounts for c in r.by_band) == sum(c.accounts for c in r.by_segment)
    assert sum(c.churned for c in r.by_band) == sum(c.churned for c in r.by_segment) > 50
    assert r.sentence().startswith(f"Green accounts keep {green:.0%} at 12 months (")
    assert f"red {red:.0%} (" in r.sentence()


def test_retention_is_deterministic(big_demo: Database) -> None:
    assert retention_curves(big_demo, as_of=AS_OF) == retention_curves(big_demo, as_of=AS_OF)


def test_the_demo_book_bills_annually(big_demo: Database) -> None:
    assert not is_monthly_book(big_demo, as_of=AS_OF)


def test_an_empty_or_tiny_book_says_so(db: Database) -> None:
    empty = retention_curves(db, as_of=AS_OF)
    assert isinstance(empty, Retention) and empty.by_band == [] and empty.by_segment == []
    assert "0 accounts" in empty.note and "at least 5" in empty.note
    assert "Too few" in empty.sentence()
    with db.write() as s:
        s.add(Account(external_id="ONE", name="Only Co", segment="smb",
                      engagement_model="tech_touch", customer_since=AS_OF - timedelta(days=900)))
    one = retention_curves(db, as_of=AS_OF)
    assert one.by_band == [] and "1 accounts" in one.note


def test_a_small_group_gets_a_curve_but_no_12_month_figure(db: Database) -> None:
    with db.write() as s:
        for i in range(3):
            s.add(Account(external_id=f"A{i}", name=f"A{i}", segment="smb",
                          engagement_model="tech_touch",
                          customer_since=AS_OF - timedelta(days=900)))
        for i in range(4):
            s.add(Account(external_id=f"E{i}", name=f"E{i}", segment="enterprise",
                          engagement_model="high_touch",
                          customer_since=AS_OF - timedelta(days=900),
                          status="churned" if i == 0 else "active",
                          churned_on=AS_OF - timedelta(days=100) if i == 0 else None))
        # Not customers on the landmark day: won after it, or gone before it.
        s.add(Account(external_id="NEW", name="New Co", segment="smb",
                      engagement_model="tech_touch", customer_since=AS_OF - timedelta(days=100)))
        s.add(Account(external_id="GONE", name="Gone Co", segment="smb",
                      engagement_model="tech_touch", customer_since=AS_OF - timedelta(days=900),
                      status="churned", churned_on=AS_OF - timedelta(days=500)))
    r = retention_curves(db, as_of=AS_OF)
    (no_score,) = r.by_band  # no usage, no contacts: nobody has a score
    assert no_score.group == "no score" and no_score.accounts == 7 and no_score.churned == 1
    assert no_score.at_12_months == pytest.approx(6 / 7)
    segments = {c.group: c for c in r.by_segment}
    assert segments["smb"].accounts == 3 and segments["enterprise"].churned == 1
    assert segments["enterprise"].at_12_months is None
    assert segments["enterprise"].note == "too few accounts"
    assert segments["enterprise"].points[-1][0] == 365
    assert segments["enterprise"].points[-1][1] == pytest.approx(0.75)
    # From a landmark 600 days back, GONE churns on day 100 and E0 on day 500: 7 of 8 are
    # kept at 12 months, 6 of 8 to the end.
    longer = retention_curves(db, as_of=AS_OF, landmark_days=600).by_band[0]
    assert longer.accounts == 8 and longer.at_12_months == pytest.approx(7 / 8)
    assert longer.points[-1][0] == 600 and longer.points[-1][1] == pytest.approx(6 / 8)
    shorter = retention_curves(db, as_of=AS_OF, landmark_days=180).by_band[0]
    assert shorter.at_12_months is None and shorter.note == "followed for under 12 months"


# -- Cox model on a monthly book ------------------------------------------------------------


def _monthly_book(db: Database, n: int = 400, seed: int = 4) -> None:
    """Accounts on monthly plans whose chance of leaving in a month falls with the seat
    utilisation of the month before (about ×0.4 per standard deviation); logins are noise."""
    rng = np.random.default_rng(seed)
    seats = 20
    usage: list[tuple[object, ...]] = []
    with db.write() as s:
        for a in range(n):
            tenure = int(rng.integers(60, 900))
            since = AS_OF - timedelta(days=tenure)
            util = float(rng.uniform(0.15, 0.95))
            churn_day = None
            month_utils = []
            for month in range(-(-tenure // 30)):
                month_utils.append(util)
                if month > 0:
                    hazard = 0.025 * np.exp(-4.0 * (month_utils[month - 1] - 0.55))
                    if rng.random() < 1 - np.exp(-hazard):
                        churn_day = min(30 * month + int(rng.integers(0, 30)), tenure)
                        break
                util = float(np.clip(util + rng.normal(0, 0.08), 0.05, 1.0))
            end = churn_day if churn_day is not None else tenure
            churned = churn_day is not None and churn_day < tenure
            acc = Account(external_id=f"M{a:04d}", name=f"Monthly {a}", segment="self_serve",
                          engagement_model="tech_touch", customer_since=since,
                          status="churned" if churned else "active",
                          churned_on=since + timedelta(days=end) if churned else None)
            s.add(acc)
            s.flush()
            s.add(Subscription(account_id=acc.id, start_date=since,
                               end_date=since + timedelta(days=end + 30), seats=seats,
                               arr_cents=12 * 4900 * 100, billing_frequency="monthly"))
            for day in range(3, end, 7):
                level = month_utils[min(day // 30, len(month_utils) - 1)]
                usage.append((acc.id, (since + timedelta(days=day)).isoformat(),
                              int(rng.binomial(seats, level)), seats, int(rng.poisson(40)),
                              4, int(rng.poisson(60))))
        bulk_insert(s, UsageSnapshot.__table__, ["account_id", "date", "active_users",
                                                 "licensed_seats", "key_events",
                                                 "features_used", "logins"], usage)


def test_cox_finds_seat_utilisation_protective_and_logins_noise(db: Database) -> None:
    _monthly_book(db)
    assert is_monthly_book(db, as_of=AS_OF)
    report = cox_time_varying(db, as_of=AS_OF, inputs=["seat_utilisation", "login_volume"])
    by_name = {i.name: i for i in report.inputs}
    util, logins = by_name["seat_utilisation"], by_name["login_volume"]
    assert util.hazard_ratio < 1 and util.ci_high < 1 and util.predictive
    assert logins.ci_low < 1 < logins.ci_high and not logins.predictive
    with db.read() as s:
        churned = s.scalar(select(func.count()).where(Account.status == "churned"))
    assert report.churned == churned > 50 and report.accounts == 400
    assert report.episodes > report.accounts
    assert report.penalizer == 0.01  # plenty of churns per input
    assert report.concordance is not None and report.concordance > 0.6
    assert report.concordance_ci is not None
    lo, hi = report.concordance_ci
    assert lo < report.concordance < hi
    assert json.loads(json.dumps(asdict(report)))["inputs"][0]["name"] == "seat_utilisation"
    again = cox_time_varying(db, as_of=AS_OF, inputs=["seat_utilisation", "login_volume"])
    assert again == report  # the bootstrap has a fixed seed
