"""Portfolio metrics, hand-computed on small books."""

from __future__ import annotations

from datetime import date

import pytest

from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.models import Account, Activity, Renewal, Subscription
from csdesk.services.health.metrics import parse_period, portfolio_metrics


def _acc(s, ext: str, segment: str = "smb", **kw) -> Account:  # type: ignore[no-untyped-def]
    a = Account(external_id=ext, name=ext, segment=segment, engagement_model="tech_touch", **kw)
    s.add(a)
    s.flush()
    return a


def _sub(s, acc: Account, start: date, end: date, dollars: int) -> None:  # type: ignore[no-untyped-def]
    s.add(Subscription(account_id=acc.id, start_date=start, end_date=end,
                       arr_cents=dollars * 100))


def test_quarter_grr_nrr_and_friends(db: Database) -> None:
    q_start, q_end = date(2026, 1, 1), date(2026, 3, 31)
    before, after = date(2025, 3, 1), date(2026, 12, 31)
    with db.write() as s:
        flat = _acc(s, "FLAT")
        _sub(s, flat, before, after, 100)
        gone = _acc(s, "GONE", "enterprise")
        _sub(s, gone, before, date(2026, 2, 14), 200)  # churned mid-quarter
        grow = _acc(s, "GROW")
        _sub(s, grow, before, date(2026, 1, 31), 100)
        _sub(s, grow, date(2026, 2, 1), after, 150)  # renewed up
        shrink = _acc(s, "SHRINK")
        _sub(s, shrink, before, date(2026, 2, 28), 100)
        _sub(s, shrink, date(2026, 3, 1), after, 60)  # renewed down
        new = _acc(s, "NEW", customer_since=date(2026, 1, 10),
                   first_value_date=date(2026, 2, 9))
        _sub(s, new, date(2026, 1, 10), after, 50)  # won in the quarter: not in the cohort
        old = _acc(s, "OLD", customer_since=date(2026, 1, 1), first_value_date=date(2026, 1, 21))
        _sub(s, old, date(2024, 1, 1), date(2024, 12, 31), 999)  # long gone: not in the cohort
        for ren, outcome, reason in ((flat, "renewed", None), (gone, "churned", "budget_cut"),
                                     (grow, "expanded", None), (shrink, "downsold", None)):
            s.add(Renewal(account_id=ren.id, renewal_date=date(2026, 2, 1),
                          current_arr_cents=1, outcome=outcome, churn_reason_code=reason))
        for k, proactive in enumerate([True, True, True, False]):
            s.add(Activity(account_id=flat.id, kind="call", occurred_on=date(2026, 1, 5 + k),
                           summary="x", proactive=proactive))
    whole, parts = portfolio_metrics(db, "2026Q1", by_segment=True)
    v = whole.values
    # start 500; churn 200; contraction 40; expansion 50
    assert v["nrr"] == pytest.approx((500 - 200 - 40 + 50) / 500)  # 0.62
    assert v["grr"] == pytest.approx((500 - 200 - 40) / 500)  # 0.52
    assert v["logo_churn"] == pytest.approx(1 / 4)
    assert v["contraction"] == pytest.approx(40 / 500)
    assert v["expansion_rate"] == pytest.approx(50 / 500)
    assert v["renewal_rate"] == pytest.approx(3 / 4)
    assert v["median_ttv_days"] == pytest.approx((30 + 20) / 2)
    assert v["proactive_ratio"] == pytest.approx(3 / 1)
    assert whole.start == q_start and whole.end == q_end
    ent = next(p for p in parts if p.segment == "enterprise").values
    assert ent["nrr"] == 0 and ent["logo_churn"] == 1
    assert "start ARR" in whole.as_json()["formulas"]["nrr"]


def test_grr_is_capped_and_empty_periods_say_so(db: Database) -> None:
    with db.write() as s:
        a = _acc(s, "A")
        _sub(s, a, date(2025, 1, 1), date(2027, 1, 1), 100)
    whole, _ = portfolio_metrics(db, "2026Q2")
    assert whole.values["grr"] == 1.0 and whole.values["nrr"] == 1.0
    empty, _ = portfolio_metrics(db, "2020Q1")
    assert empty.values["nrr"] is None and empty.values["renewal_rate"] is None


def test_periods() -> None:
    assert parse_period("2026q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert parse_period("2026Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    with pytest.raises(CsdeskError, match="2026Q1"):
        parse_period("2026-03")
    from csdesk.services.periods import quarter_of, quarters_back, shift_quarter

    assert quarter_of(date(2026, 11, 22)) == "2026Q4" and quarter_of(date(2027, 1, 1)) == "2027Q1"
    assert shift_quarter("2026Q4", 1) == "2027Q1" and shift_quarter("2026Q1", -1) == "2025Q4"
    assert shift_quarter("2026Q2", -9) == "2024Q1"
    assert quarters_back("2026Q2", 3) == ["2025Q4", "2026Q1", "2026Q2"]


def test_my_book_metrics_cover_only_my_accounts(demo_db: Database) -> None:
    """Per-owner metrics partition the book: each owner's churned and expanded accounts are
    theirs, and together they are the whole book's."""
    from sqlalchemy import select

    from csdesk.services.health.metrics import quarterly

    with demo_db.read() as s:
        owner_of = dict(s.execute(select(Account.id, Account.owner)).all())
    whole = quarterly(demo_db, 4, "2026Q3")
    owners = sorted({o for o in owner_of.values() if o})
    for i, period in enumerate(whole):
        union: dict[str, set[int]] = {}
        for owner in owners:
            mine = quarterly(demo_db, 4, "2026Q3", owner=owner)[i]
            for kind, ids in mine.accounts.items():
                assert all(owner_of[a] == owner for a in ids), (owner, kind)
                union.setdefault(kind, set()).update(ids)
        for kind, ids in period.accounts.items():
            assert union.get(kind, set()) == ids, kind
    assert any(period.accounts.get("churned") for period in whole)  # something to check


def test_a_contract_ending_on_the_quarters_last_day_is_in_force_that_day(db: Database) -> None:
    """A subscription is in force on its end date: one that ends on the last day of the
    quarter (renewed from the next day) kept its ARR through the quarter and is no churn."""
    with db.write() as s:
        kept = _acc(s, "KEPT")
        _sub(s, kept, date(2025, 4, 1), date(2026, 3, 31), 300)  # ends on Q1's last day
        _sub(s, kept, date(2026, 4, 1), date(2027, 3, 31), 300)  # renewed from the next day
        lost = _acc(s, "LOST")
        _sub(s, lost, date(2025, 1, 1), date(2026, 3, 30), 100)  # ended the day before
        kept_id, lost_id = kept.id, lost.id
    whole, _ = portfolio_metrics(db, "2026Q1")
    # start ARR 400 (both in force on 1 January); on 31 March only KEPT's 300 is in force
    assert whole.values["grr"] == pytest.approx((400 - 100) / 400)  # 0.75
    assert whole.counts["start_arr_cents"] == 400 * 100
    assert whole.counts["churned_arr_cents"] == 100 * 100
    assert whole.accounts["churned"] == {lost_id}
    assert whole.accounts["cohort"] == {kept_id, lost_id}
    assert whole.values["nrr"] == pytest.approx((400 - 100) / 400)
    assert whole.values["logo_churn"] == pytest.approx(1 / 2)


def test_the_portfolio_is_computed_again_only_when_its_inputs_change(db: Database) -> None:
    """An edit outside the metrics' inputs (an account's region) finds the periods already
    computed; a subscription changed computes them afresh, and the figures follow it."""
    from csdesk import clock
    from csdesk.services.health.metrics import portfolio_view

    with db.write() as s:
        acc = _acc(s, "ONE")
        _sub(s, acc, date(2025, 1, 1), date(2027, 12, 31), 100)
        other = _acc(s, "TWO")
        _sub(s, other, date(2025, 1, 1), date(2026, 2, 14), 100)
    with clock.pin(date(2026, 5, 10)):
        first = portfolio_view(db, "2026Q1")
        if db.engine.url.get_backend_name() == "sqlite":  # a server's book keeps nothing
            assert portfolio_view(db, "2026Q1") is first  # nothing changed: kept
        with db.write() as s:
            s.get(Account, acc.id).region = "EMEA"  # type: ignore[union-attr]
        again = portfolio_view(db, "2026Q1")
        assert again[0] is first[0]  # the same inputs: the same periods, not recomputed
        assert [q is p for q, p in zip(again[1], first[1], strict=True)] == [True] * 6
        assert first[0].values["logo_churn"] == pytest.approx(1 / 2)
        with db.write() as s:  # TWO renewed after all: its contract runs on
            s.add(Subscription(account_id=other.id, start_date=date(2026, 2, 15),
                               end_date=date(2027, 2, 14), arr_cents=10_000))
        after = portfolio_view(db, "2026Q1")
        assert after[0] is not first[0]
        assert after[0].values["logo_churn"] == pytest.approx(0)
