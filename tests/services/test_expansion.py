"""Expansion signals on a crafted book, the first-value rule, and opportunities."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from csdesk.db import Database
from csdesk.errors import ValidationError
from csdesk.models import Account, Contact, FeatureUsage, Opportunity, SurveyResponse, UsageSnapshot
from csdesk.services.renewals.expansion import (
    OpportunityLine,
    create_opportunity,
    hand_to_sales,
    opportunities,
    signals,
)
from csdesk.services.settings import save_feature_limits

TODAY = date(2026, 11, 22)


def _account(s, ext: str, *, first_value: date | None = date(2026, 1, 1),  # type: ignore[no-untyped-def]
             users: tuple[int, int] = (50, 50), seats: int = 100) -> Account:
    acc = Account(external_id=ext, name=f"Account {ext}", segment="smb",
                  engagement_model="tech_touch", first_value_date=first_value)
    s.add(acc)
    s.flush()
    for days, n in ((100, users[0]), (3, users[1])):
        s.add(UsageSnapshot(account_id=acc.id, date=TODAY - timedelta(days=days),
                            active_users=n, licensed_seats=seats))
    return acc


def test_signals_and_the_first_value_rule(db: Database) -> None:
    with db.write() as s:
        full = _account(s, "FULL", users=(90, 95))
        growing = _account(s, "GROW", users=(40, 60))
        quiet = _account(s, "QUIET")
        heavy = _account(s, "HEAVY")
        s.add_all(FeatureUsage(account_id=heavy.id, date=TODAY - timedelta(days=d),
                               feature="API", usage_count=900) for d in range(1, 11))
        fan = _account(s, "FAN", first_value=None)
        sponsor = Contact(account_id=fan.id, name="Dana Sponsor", is_executive_sponsor=True)
        s.add(sponsor)
        s.flush()
        s.add(SurveyResponse(account_id=fan.id, contact_id=sponsor.id, kind="nps", score=10,
                             responded_on=TODAY - timedelta(days=20)))
        ids = {a.external_id: a.id for a in (full, growing, quiet, heavy, fan)}
    save_feature_limits(db, {"API": 10_000})
    found = {r.account_id: r for r in signals(db, today=TODAY)}
    assert ids["QUIET"] not in found
    assert [x.kind for x in found[ids["FULL"]].signals] == ["seats"]
    assert "95% of 100 seats" in found[ids["FULL"]].signals[0].text
    assert [x.kind for x in found[ids["GROW"]].signals] == ["new_team"]
    assert found[ids["HEAVY"]].signals[0].kind == "feature_limit"
    assert "9,000 of 10,000" in found[ids["HEAVY"]].signals[0].text
    fan_row = found[ids["FAN"]]
    assert fan_row.signals[0].kind == "sponsor_promoter" and "Dana Sponsor" in \
        fan_row.signals[0].text
    assert not fan_row.first_value_reached and "first value" in fan_row.warning
    assert found[ids["FULL"]].warning is None
    with pytest.raises(ValidationError):
        save_feature_limits(db, {"API": 0})


def test_opportunity_from_a_signal_and_handoff_to_sales(db: Database) -> None:
    with db.write() as s:
        account = _account(s, "FULL", users=(90, 95)).id
    (row,) = signals(db, today=TODAY)
    opp = create_opportunity(db, account, title="20 more seats", kind=row.signals[0].suggested,
                             amount_cents=1_200_000, signal=row.signals[0].text)
    hand_to_sales(db, opp, to="Sam in Sales", on=TODAY)
    with db.read() as s:
        o = s.get(Opportunity, opp)
        assert (o.kind.value, o.stage.value, o.handed_to, o.handed_to_sales_on) == (
            "seats", "handed_to_sales", "Sam in Sales", TODAY)
        assert "95% of 100 seats" in o.signal
    with pytest.raises(ValidationError):
        create_opportunity(db, account, title=" ", kind="seats", amount_cents=1)
    with pytest.raises(ValidationError):
        hand_to_sales(db, opp, to="")


def test_an_accounts_opportunities_oldest_first(db: Database) -> None:
    with db.write() as s:
        account, other = _account(s, "FULL").id, _account(s, "OTHER").id
    assert opportunities(db, account) == []
    first = create_opportunity(db, account, title="20 more seats", kind="seats",
                               amount_cents=1_200_000)
    second = create_opportunity(db, account, title="Analytics add-on", kind="cross_sell",
                                amount_cents=500_000, currency="EUR")
    create_opportunity(db, other, title="Elsewhere", kind="upsell", amount_cents=1)
    hand_to_sales(db, second, to="Sam in Sales", on=TODAY)
    assert opportunities(db, account) == [
        OpportunityLine(first, "20 more seats", "seats", "identified", 1_200_000, "USD", None),
        OpportunityLine(second, "Analytics add-on", "cross_sell", "handed_to_sales", 500_000,
                        "EUR", "Sam in Sales")]
