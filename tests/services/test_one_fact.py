"""Each derived fact has one definition, checked here on the demo book and by hand:
a contact's last contact, the handoff's people, a renewal step's due date and priority,
an objective's status, a renewal's likelihood."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from csdesk import clock
from csdesk.db import Database
from csdesk.models import Account, Contact, Task
from csdesk.services.book import account_detail as detail
from csdesk.services.plans.handoff import get_handoff
from csdesk.services.plans.success_plans import objective_status
from csdesk.services.renewals.pipeline import LIKELIHOOD_RANGE, pipeline
from csdesk.services.worklist.rules import PRIORITY_ORDER, renewal_priority, run_rules
from tests.conftest import AS_OF

pytestmark = pytest.mark.sqlite_only("reads the demo book, which is an SQLite file")


def test_no_contact_was_last_contacted_before_the_timeline_says(demo_db: Database) -> None:
    with demo_db.read() as s:
        ids = list(s.scalars(select(Account.id).order_by(Account.id)))
    checked = later = 0
    with clock.pin(AS_OF):
        for aid in ids:
            met: dict[str, date] = {}
            for item in detail.timeline(demo_db, aid):
                if item.occurred_on <= AS_OF:
                    for name in item.contacts:
                        met[name] = max(met.get(name, item.occurred_on), item.occurred_on)
            for c in detail.contacts(demo_db, aid):
                checked += 1
                if c.name in met:
                    assert c.last_contacted is not None and c.last_contacted >= met[c.name], \
                        (c.name, c.last_contacted, met[c.name])
                    later += c.last_contacted > met[c.name]
    assert checked > 200 and later < checked  # the CRM's date counts when it is later


def test_the_handoff_names_the_economic_buyer_the_contacts_have(db: Database) -> None:
    with db.write() as s:
        acc = Account(external_id="H-1", name="AT&T <Legacy> 日本", segment="enterprise",
                      engagement_model="high_touch", lifecycle_stage="onboarding")
        s.add(acc)
        s.flush()
        cfo = Contact(account_id=acc.id, name="Mei Tanaka", title="CFO",
                      is_economic_buyer=True)
        gone = Contact(account_id=acc.id, name="Old Champ", is_champion=True,
                       left_company=True)
        s.add_all([cfo, gone])
        s.flush()
        aid, cfo_id = acc.id, cfo.id
    view = get_handoff(db, aid)
    assert view.values["economic_buyer_id"] == cfo_id
    assert "the economic buyer" not in view.missing
    assert "the champion" in view.missing  # the only champion has left


def test_renewal_steps_are_due_by_the_renewal_and_rise_in_priority(demo_db: Database) -> None:
    with clock.pin(AS_OF):
        run_rules(demo_db, AS_OF)
        renews = {r.account_id: r.renewal_date for r in pipeline(demo_db, today=AS_OF)}
    with demo_db.read() as s:
        steps = s.scalars(select(Task).where(Task.dedupe_key.like("renewal_checkpoint:%"))
                          ).all()
    assert steps
    for t in steps:
        when = date.fromisoformat(t.dedupe_key.split(":")[2].rsplit("-", 1)[0])
        assert t.due_date <= when, (t.title, t.due_date, when)
        days = (when - AS_OF).days
        expected = "critical" if days <= 30 else "high" if days <= 60 else None
        if expected:
            assert PRIORITY_ORDER[t.priority.value] <= PRIORITY_ORDER[expected], t.title
    assert any(t.account_id in renews for t in steps)
    assert renewal_priority("medium", 10) == "critical"
    assert renewal_priority("medium", 45) == "high"
    assert renewal_priority("high", 200) == "high"  # never below the rule's own
    assert renewal_priority("critical", 100) == "critical"


def test_an_objectives_status_follows_its_numbers() -> None:
    start, due = date(2026, 1, 1), date(2026, 12, 31)

    def status(current: float | None, today: date, stored: str = "on_track",
               due: date = due) -> str:
        return objective_status(stored=stored, baseline=40, current=current, target=15,
                                start=start, due=due, today=today)[0]

    assert status(15, date(2026, 6, 1)) == "achieved"  # a falling KPI reached
    assert status(27.5, date(2026, 7, 1)) == "on_track"  # half way, half the time
    assert status(35, date(2026, 10, 1)) == "at_risk"  # 20 % with 75 % of the time gone
    assert status(40, date(2026, 2, 1)) == "not_started"
    assert status(20, date(2027, 3, 1)) == "at_risk"  # "on track" three months past due
    assert status(30, date(2026, 7, 1), stored="achieved") == "on_track"  # regressed: not achieved
    assert status(30, date(2026, 7, 1), stored="dropped") == "dropped"
    # Without numbers the CSM's word stands, until it is past due and not achieved.
    no_kpi = objective_status(stored="on_track", baseline=None, current=None, target=None,
                              start=start, due=due, today=date(2026, 5, 1))
    assert no_kpi[0] == "on_track"
    late = objective_status(stored="on_track", baseline=None, current=None, target=None,
                            start=start, due=due, today=date(2027, 1, 5))
    assert late[0] == "at_risk" and "past its due date" in late[1]


def test_default_likelihoods_never_rank_at_risk_above_standard(demo_db: Database) -> None:
    rows = [r for r in pipeline(demo_db, today=AS_OF) if not r.likelihood_overridden]
    assert {r.track for r in rows} == {"at_risk", "standard", "auto_renew"}
    for r in rows:
        low, high = LIKELIHOOD_RANGE[r.track]
        assert low <= r.likelihood <= high, (r.name, r.track, r.likelihood)
    worst_standard = min(r.likelihood for r in rows if r.track == "standard")
    assert max(r.likelihood for r in rows if r.track == "at_risk") < worst_standard
    expected = sum(r.expected_arr_cents for r in rows)
    assert expected == sum(round(r.arr_cents * r.likelihood) for r in rows)


def test_not_enough_data_is_one_answer_in_the_book_renewals_qbr_and_explanation(
        db: Database) -> None:
    """An account whose latest score found too little evidence has no number anywhere: the
    book's row, the renewal pipeline, the QBR data and the explanation all say so; a
    well-evidenced account beside it keeps its score everywhere."""
    from datetime import timedelta

    from csdesk.models import Subscription, UsageSnapshot
    from csdesk.services.book.accounts import account_table
    from csdesk.services.health.scoring import explain, recompute
    from csdesk.services.plans.qbr import qbr_data

    with db.write() as s:
        thin = Account(external_id="THIN", name="AT&T <Legacy> 日本", segment="unsegmented",
                       engagement_model="tech_touch", lifecycle_stage="unknown",
                       customer_since=AS_OF - timedelta(days=900))
        rich = Account(external_id="RICH", name="Rich Co", segment="smb",
                       engagement_model="tech_touch", customer_since=AS_OF - timedelta(days=60),
                       first_value_date=AS_OF - timedelta(days=40))
        s.add_all([thin, rich])
        s.flush()
        for acc in (thin, rich):
            s.add(Subscription(account_id=acc.id, external_id=f"S-{acc.external_id}",
                               start_date=AS_OF - timedelta(days=60),
                               end_date=AS_OF + timedelta(days=100), arr_cents=900_000,
                               seats=10))
        for week in range(12):
            s.add(UsageSnapshot(account_id=rich.id, date=AS_OF - timedelta(days=7 * week),
                                active_users=8, licensed_seats=10, key_events=90,
                                features_used=5, logins=40))
        s.add(Contact(account_id=rich.id, name="Cham Pion", is_champion=True,
                      is_economic_buyer=True, is_executive_sponsor=True))
        ids = {"THIN": thin.id, "RICH": rich.id}
    with clock.pin(AS_OF):
        recompute(db, as_of=AS_OF)
        reviewed = qbr_data(db, ids["THIN"], today=AS_OF).period_end  # the QBR's quarter
        recompute(db, as_of=reviewed)
        table = account_table(db, as_of=AS_OF)
        book = {r[table.index("external_id")]: r for r in table.rows}
        renewals = {r.external_id: r for r in pipeline(db, today=AS_OF)}
        thin_e, rich_e = explain(db, "THIN", as_of=AS_OF), explain(db, "RICH", as_of=AS_OF)
        qbr = {k: qbr_data(db, i, today=AS_OF) for k, i in ids.items()}
    assert thin_e.score is None and thin_e.not_enough_data
    assert "not enough data" in thin_e.evidence_text() and rich_e.score is not None
    assert book["THIN"][table.index("health_score")] is None
    assert book["THIN"][table.index("health_note")] == "not enough data"
    assert renewals["THIN"].health is None and renewals["THIN"].health_note == "not enough data"
    assert qbr["THIN"].health_now is None and qbr["THIN"].health_note == "not enough data"
    assert any("not enough data" in line for line in qbr["THIN"].summary)
    score = book["RICH"][table.index("health_score")]
    assert score == pytest.approx(rich_e.score, abs=0.01)
    assert book["RICH"][table.index("health_note")] is None
    assert renewals["RICH"].health == pytest.approx(score, abs=0.01)
    with clock.pin(AS_OF):
        then = explain(db, "RICH", as_of=reviewed).score
    assert then is not None and qbr["RICH"].health_now == pytest.approx(then, abs=0.01)
    assert renewals["RICH"].health_note is None and qbr["RICH"].health_note is None
