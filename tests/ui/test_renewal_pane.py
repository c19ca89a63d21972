"""Account page → Renewal & expansion: override the track, log an outcome, add an opportunity."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from csdesk.db import Database
from csdesk.models import Account, Opportunity, Renewal, Subscription
from csdesk.ui.renewal_pane import RenewalPane

TODAY = date(2026, 11, 22)


def test_override_log_outcome_and_opportunity(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    with db.write() as s:
        acc = Account(external_id="R1", name="Renew & Co <Ltd>", segment="smb",
                      engagement_model="tech_touch")
        s.add(acc)
        s.flush()
        s.add(Subscription(account_id=acc.id, start_date=date(2026, 1, 15),
                           end_date=date(2027, 1, 14), seats=10, arr_cents=1_200_000))
        account = acc.id
    pane = RenewalPane(db, account, today=TODAY)
    qtbot.addWidget(pane)
    assert "Renews 14 Jan 2027 (53 days)" in pane.summary.text()
    assert "no health score yet" in pane.summary.text()

    pane.track.setCurrentIndex(pane.track.findData("at_risk"))
    assert not pane.save_forecast()  # a reason is required
    assert "say why" in pane.problem.text()
    pane.reason.setText("Sponsor is leaving in December")
    pane.likelihood.setValue(60)
    assert pane.save_forecast()
    assert "overridden from Standard: Sponsor is leaving in December" in pane.summary.text()
    assert "likelihood 60%" in pane.summary.text()

    pane.opp_title.setText("Five more seats")
    pane.opp_amount.setValue(5000)
    assert pane.add_opportunity()
    assert "Five more seats" in pane.opportunities.item(0).text()
    pane.opportunities.setCurrentRow(0)
    assert not pane.hand_to_sales("")
    assert pane.hand_to_sales("Sam in Sales")
    assert "handed to sales to Sam in Sales" in pane.opportunities.item(0).text()

    pane.outcome.setCurrentIndex(pane.outcome.findData("churned"))
    assert not pane.new_arr.isEnabled() and pane.churn_reason.isEnabled()
    pane.churn_reason.setCurrentIndex(pane.churn_reason.findData("budget_cut"))
    assert pane.log_outcome()
    assert "No renewal ahead" in pane.summary.text()
    with db.read() as s:
        r = s.scalars(select(Renewal)).one()
        assert (r.outcome.value, r.churn_reason_code, r.churn_category.value) == (
            "churned", "budget_cut", "uncontrollable")
        assert s.get(Account, account).status.value == "churned"
        assert s.scalars(select(Opportunity)).one().amount_cents == 500_000
