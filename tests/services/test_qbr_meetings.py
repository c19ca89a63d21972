"""QBRs as meetings: recorded, checked, carried into the success plan, the next QBR's
document and the worklist's "QBR due" rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import ValidationError
from csdesk.models import Account, Contact, Subscription, Task
from csdesk.services.defaults import ensure_defaults
from csdesk.services.plans import qbr_meetings as qm
from csdesk.services.plans import success_plans as plans
from csdesk.services.plans.qbr import qbr_data
from csdesk.services.plans.qbr_document import qbr_document
from csdesk.services.worklist.rules import evaluate, rules, run_rules

NAME = "AT&T <Legacy> 日本"


@pytest.fixture
def acc(db: Database) -> int:
    ensure_defaults(db)
    with db.write() as s:
        a = Account(external_id="QBR1", name=NAME, segment="enterprise",
                    engagement_model="high_touch", customer_since=date(2025, 1, 1),
                    first_value_date=date(2025, 2, 1), owner="Ana")
        s.add(a)
        s.flush()
        s.add(Contact(account_id=a.id, name="Kenji Sato", email="kenji@example.jp"))
        s.add(Subscription(account_id=a.id, start_date=date(2026, 1, 1),
                           end_date=date(2026, 12, 31), seats=50, arr_cents=6_000_000))
        return a.id


def _commit(who: str, side: str, what: str, due: date) -> qm.NewCommitment:
    return qm.NewCommitment(who, side, what, due)


@pytest.mark.parametrize(("due", "done", "state"), [
    (date(2026, 8, 1), date(2026, 7, 30), "done"),
    (date(2026, 8, 1), date(2026, 8, 1), "done"),
    (date(2026, 8, 1), date(2026, 8, 2), "done_late"),
    (date(2026, 8, 2), None, "open"),
    (date(2026, 8, 1), None, "open"),  # due today: not late yet
    (date(2026, 7, 31), None, "late"),
])
def test_commitment_state_as_of_the_pinned_day(due: date, done: date | None,
                                               state: str) -> None:
    with clock.pin(date(2026, 8, 1)):
        assert qm.commitment_state(due, done) == state


def test_record_list_update_delete(db: Database, acc: int) -> None:
    with clock.pin(date(2026, 11, 22)):
        mid = qm.record_qbr(db, acc, date(2026, 10, 14), attendees=["Kenji Sato", "Yuki"],
                            our_attendees=["Ana"], decisions=["Roll out to Osaka"],
                            commitments=[_commit("Kenji", "customer", "Name an admin",
                                                 date(2026, 11, 1))],
                            next_qbr_on=date(2027, 1, 20))
        [m] = qm.qbr_meetings(db, acc)
        assert (m.quarter, m.attendees, m.our_attendees, m.decisions) == (
            "2026Q4", ("Kenji Sato", "Yuki"), ("Ana",), ("Roll out to Osaka",))
        assert m.attendee_contact_ids[0] is not None and m.attendee_contact_ids[1] is None
        assert [c.state for c in m.commitments] == ["late"]
        with pytest.raises(ValidationError, match="already recorded for 2026Q4"):
            qm.record_qbr(db, acc, date(2026, 11, 2))
        with pytest.raises(ValidationError, match="in the future"):
            qm.record_qbr(db, acc, date(2026, 12, 2))
        with pytest.raises(ValidationError, match="side is customer or ours"):
            qm.record_qbr(db, acc, date(2026, 7, 2),
                          commitments=[_commit("X", "them", "Y", date(2026, 8, 1))])
        version = qm.update_qbr(db, mid, m.version, held_on=date(2026, 10, 15),
                                attendees=["Yuki"], decisions=[])
        [m] = qm.qbr_meetings(db, acc)
        assert (m.held_on, m.attendees, m.decisions, m.version) == (
            date(2026, 10, 15), ("Yuki",), (), version)
        qm.add_document(db, mid, "deck", "/tmp/qbr.pptx")
        assert qm.qbr_meetings(db, acc)[0].documents == (("deck", "/tmp/qbr.pptx"),)
        qm.delete_qbr(db, mid)
        assert qm.qbr_meetings(db, acc) == []


def test_commitments_flow_into_the_success_plan_both_ways(db: Database, acc: int) -> None:
    with clock.pin(date(2026, 11, 22)):
        plan_id = plans.create_plan(db, acc, "FY27 plan", date(2026, 7, 1))
        qm.record_qbr(db, acc, date(2026, 10, 14), commitments=[
            _commit("Kenji", "customer", "Name an admin", date(2026, 12, 1)),
            _commit("Ana", "ours", "Send the SSO guide", date(2026, 12, 5))])
        [m] = qm.qbr_meetings(db, acc)
        admin, guide = m.commitments
        view = plans.plan_view(db, plan_id)
        [objective] = [o for o in view.objectives if o.title == qm.PLAN_OBJECTIVE]
        steps = {ms.id: ms for ms in objective.milestones}
        assert {(s.title, s.owner_side, s.due_date) for s in steps.values()} == {
            ("Name an admin (Kenji)", "customer", date(2026, 12, 1)),
            ("Send the SSO guide (Ana)", "vendor", date(2026, 12, 5))}
        # completed in the QBR record: the plan's milestone is done
        qm.complete_commitment(db, admin.id, date(2026, 11, 20))
        ms = next(x for o in plans.plan_view(db, plan_id).objectives for x in o.milestones
                  if x.id == admin.milestone_id)
        assert (ms.status, ms.done_date) == ("done", date(2026, 11, 20))
        # completed in the plan: the commitment is done
        step = steps[guide.milestone_id]
        plans.update_node(db, "milestone", step.id, {"status": "done"}, step.version)
        states = {c.what: (c.state, c.done_on) for c in qm.qbr_meetings(db, acc)[0].commitments}
        assert states == {"Name an admin": ("done", date(2026, 11, 20)),
                          "Send the SSO guide": ("done", date(2026, 11, 22))}


def test_no_plan_no_milestone(db: Database, acc: int) -> None:
    with clock.pin(date(2026, 11, 22)):
        qm.record_qbr(db, acc, date(2026, 10, 14), commitments=[
            _commit("Kenji", "customer", "Name an admin", date(2026, 12, 1))])
        assert qm.qbr_meetings(db, acc)[0].commitments[0].milestone_id is None
        # due before the active plan starts: not a step of it (its editor would refuse it)
        plans.create_plan(db, acc, "FY27", date(2026, 11, 1))
        qm.record_qbr(db, acc, date(2026, 7, 14), commitments=[
            _commit("Kenji", "customer", "Old promise", date(2026, 8, 1))])
        [old] = [m for m in qm.qbr_meetings(db, acc) if m.quarter == "2026Q3"]
        assert old.commitments[0].milestone_id is None


def test_commitments_carried_from_one_qbr_record_to_the_next(db: Database, acc: int) -> None:
    """QBR 1 records commitments; one is done in time, one late, one not at all; QBR 2's
    document says what we said we would do, with done / late."""
    with clock.pin(date(2026, 7, 20)):
        first = qm.record_qbr(db, acc, date(2026, 7, 14), commitments=[
            _commit("Kenji Sato", "customer", "Name an admin for Osaka", date(2026, 8, 15)),
            _commit("Ana", "ours", "Send the SSO guide", date(2026, 8, 1)),
            _commit("Ana", "ours", "Fix the export <bug> & report", date(2026, 9, 1))],
            decisions=["Roll out to Osaka"])
    ids = [c.id for c in qm.qbr_meetings(db, acc)[0].commitments]
    with clock.pin(date(2026, 9, 30)):
        qm.complete_commitment(db, ids[0], date(2026, 8, 10))
        qm.complete_commitment(db, ids[1], date(2026, 8, 20))
    with clock.pin(date(2026, 10, 20)):
        qm.record_qbr(db, acc, date(2026, 10, 16), attendees=["Kenji Sato"],
                      our_attendees=["Ana"], next_qbr_on=date(2027, 1, 22))
        d = qbr_data(db, acc, "2026Q3")
    assert first != 0 and d.last_qbr_on == date(2026, 7, 14)
    assert [c.state for c in d.commitments_last_qbr] == ["done", "done_late", "late"]
    assert (d.attendees, d.our_attendees, d.next_qbr_date) == (
        ("Kenji Sato",), ("Ana",), date(2027, 1, 22))
    for internal in (False, True):
        section = qbr_document(d, internal=internal).section("commitments")
        assert section is not None and section.table is not None
        assert section.title == "What we said we would do"
        assert section.table.header == ("What", "Who", "By", "State")
        assert [r[3] for r in section.table.rows] == [
            "Done (10 Aug 2026)", "Done late (20 Aug 2026)", "Late"]
        assert section.table.rows[2][0] == "Fix the export <bug> & report"
        assert section.table.rows[0][1] == "Kenji Sato (your team)"
        assert section.table.warn == ((1, 3), (2, 3))
        assert section.headline == "2 of 3 commitments from the 14 Jul 2026 review done; " \
                                   "2 late."


def test_no_commitments_no_section(db: Database, acc: int) -> None:
    with clock.pin(date(2026, 10, 20)):
        qm.record_qbr(db, acc, date(2026, 7, 14))
        d = qbr_data(db, acc, "2026Q3")
    assert d.commitments_last_qbr == ()
    assert qbr_document(d).section("commitments") is None


def _qbr_rule(db: Database):  # type: ignore[no-untyped-def]
    return next(r for r in rules(db) if r.key == "qbr_due")


def test_qbr_due_fires_for_high_touch_without_a_qbr_this_quarter(db: Database,
                                                                 acc: int) -> None:
    with db.write() as s:
        tech = Account(external_id="T1", name="Tech", segment="smb",
                       engagement_model="tech_touch", customer_since=date(2025, 1, 1))
        s.add(tech)
    with clock.pin(date(2026, 7, 20)):
        qm.record_qbr(db, acc, date(2026, 7, 14), decisions=["Roll out to Osaka"],
                      commitments=[
                          _commit("Kenji", "customer", "Name an admin", date(2026, 8, 15)),
                          _commit("Ana", "ours", "Send the SSO guide", date(2026, 12, 1)),
                          _commit("Ana", "ours", "Done already", date(2026, 8, 1))])
    done = qm.qbr_meetings(db, acc)[0].commitments[2]
    with clock.pin(date(2026, 7, 20)):
        qm.complete_commitment(db, done.id)
    day = date(2026, 11, 22)
    found = evaluate(db, day, only=[_qbr_rule(db)])
    assert [(f.account, f.dedupe_key) for f in found] == [(NAME, f"qbr_due:{acc}:2026Q4")]
    [f] = found
    assert f.reason == "Last QBR 14 Jul; high-touch accounts meet quarterly"
    assert f.due == day + timedelta(days=14)
    assert f.checklist == (
        "Agree the date and attendees", "Prepare the QBR deck", "Record the QBR in csdesk",
        "Follow up: Name an admin (Kenji, due 15 Aug 2026, late)",
        "Follow up: Send the SSO guide (Ana, due 01 Dec 2026)",
        "Follow up on the decision: Roll out to Osaka")
    run_rules(db, day)
    run_rules(db, day)  # one task per quarter due
    with db.read() as s:
        [task] = s.scalars(select(Task).where(Task.dedupe_key.like("qbr_due:%"))).all()
        assert [step["text"] for step in task.checklist] == list(f.checklist)
    # a QBR recorded this quarter: nothing due
    with clock.pin(day):
        qm.record_qbr(db, acc, date(2026, 11, 20))
    assert evaluate(db, day, only=[_qbr_rule(db)]) == []


def test_qbr_due_by_engagement_model_is_editable(db: Database, acc: int) -> None:
    day = date(2026, 11, 22)
    with clock.pin(day):
        qm.record_qbr(db, acc, date(2026, 7, 14))
    rule = _qbr_rule(db)
    assert rule.params == {"high_touch_months": 3, "mid_touch_months": 6,
                           "tech_touch_months": 0}
    assert evaluate(db, day, only=[replace(rule, params={**rule.params, "high_touch_months": 6})]) \
        == []
    with db.write() as s:
        s.get(Account, acc).engagement_model = "mid_touch"  # type: ignore[union-attr]
    assert evaluate(db, day, only=[rule]) == []
    assert evaluate(db, date(2027, 1, 14), only=[rule])[0].reason == \
        "Last QBR 14 Jul 2026; mid-touch accounts meet twice a year"


def test_never_a_qbr_fires_from_the_start_and_again_each_interval(db: Database,
                                                                  acc: int) -> None:
    rule = _qbr_rule(db)
    [f] = evaluate(db, date(2026, 11, 22), only=[rule])
    assert f.reason.startswith("No QBR on record since the account started (1 Jan 2025)")
    assert f.dedupe_key.endswith(":2026Q4")
    [g] = evaluate(db, date(2027, 1, 5), only=[rule])
    assert g.dedupe_key.endswith(":2027Q1")


def test_existing_books_get_the_rule(db: Database) -> None:
    """A book made before the rule existed gets it the next time defaults are ensured."""
    from sqlalchemy import delete

    from csdesk.models import PlaybookRule

    ensure_defaults(db)
    with db.write() as s:
        s.execute(delete(PlaybookRule).where(PlaybookRule.key == "qbr_due"))
    with db.read() as s:
        assert "qbr_due" not in set(s.scalars(select(PlaybookRule.key)))
    ensure_defaults(db)
    assert "qbr_due" in {r.key for r in rules(db)}


def test_the_demo_book_has_qbrs_to_show(demo_db: Database) -> None:
    """High-touch demo accounts held QBRs: commitments done, done late, late and open; the
    rule finds those without a recent one, its checklist carrying what is still open."""
    from csdesk.models import QbrMeeting
    from tests.conftest import AS_OF

    with demo_db.read() as s:
        rows = s.execute(select(QbrMeeting.account_id, Account.engagement_model)
                         .join(Account, Account.id == QbrMeeting.account_id)).all()
    assert rows and {m.value for _a, m in rows} == {"high_touch"}
    states = {c.state for a in {a for a, _m in rows}
              for m in qm.qbr_meetings(demo_db, a, today=AS_OF) for c in m.commitments}
    assert states == {"done", "done_late", "late", "open"}
    found = [f for f in evaluate(demo_db, AS_OF, only=[_qbr_rule(demo_db)])
             if f.account_id in {a for a, _m in rows}]
    assert found and all(f.reason.startswith("Last QBR ") for f in found)
    assert all(any(step.startswith("Follow up: ") for step in f.checklist) for f in found)
    account = found[0].account_id
    with clock.pin(AS_OF):
        d = qbr_data(demo_db, account, "2026Q3")
    section = qbr_document(d).section("commitments")
    assert section is not None and section.table is not None
    assert [r[3].split(" (")[0] for r in section.table.rows] == ["Done", "Done late", "Late"]


def test_the_review_names_who_attends_and_when_the_next_one_is(db: Database, acc: int) -> None:
    with clock.pin(date(2026, 10, 20)):
        qm.record_qbr(db, acc, date(2026, 10, 16), attendees=["Kenji Sato", "Mika Ito"],
                      our_attendees=["Ana"], next_qbr_on=date(2027, 1, 22))
        d = qbr_data(db, acc, "2026Q3")
    for internal in (False, True):
        doc = qbr_document(d, internal=internal)
        assert doc.sections[0].key == "attendees"
        assert doc.sections[0].bullets == ("Your team: Kenji Sato, Mika Ito", "Us: Ana")
        assert doc.sections[-1].key == "next_qbr"
        assert doc.sections[-1].paragraphs == ("The next review is agreed for 22 Jan 2027.",)
    with clock.pin(date(2026, 10, 20)):
        bare = qbr_document(qbr_data(db, acc, "2026Q2"))
    assert "attendees" not in [s.key for s in bare.sections]


def test_a_document_written_for_the_quarter_is_listed_with_its_review(db: Database,
                                                                      acc: int) -> None:
    with clock.pin(date(2026, 10, 20)):
        qm.record_qbr(db, acc, date(2026, 10, 16))
        assert qm.note_document(db, acc, "2026Q3", "QBR deck", "/tmp/a.pptx") == \
            date(2026, 10, 16)
        assert qm.note_document(db, acc, "2026Q3", "QBR deck", "/tmp/a.pptx") is not None
        assert qm.note_document(db, acc, "2026Q3", "QBR PDF", "/tmp/a.pdf") is not None
        assert qm.note_document(db, acc, "2026Q2", "QBR PDF", "/tmp/b.pdf") is None
        [m] = qm.qbr_meetings(db, acc)
    assert m.documents == (("QBR deck", "/tmp/a.pptx"), ("QBR PDF", "/tmp/a.pdf"))


def test_the_commitments_objective_is_not_a_goal_of_the_review(db: Database, acc: int) -> None:
    with clock.pin(date(2026, 11, 22)):
        plans.create_plan(db, acc, "FY27 plan", date(2026, 7, 1))
        qm.record_qbr(db, acc, date(2026, 10, 14), commitments=[
            _commit("Kenji", "customer", "Name an admin", date(2026, 12, 1))])
        d = qbr_data(db, acc, "2026Q3")
    assert d.plan is not None
    assert qm.PLAN_OBJECTIVE not in [o.title for o in d.plan.objectives]
    assert qbr_document(d).section("objectives") is None


def test_a_qbr_deleted_takes_its_open_steps_out_of_the_plan(db: Database, acc: int) -> None:
    with clock.pin(date(2026, 11, 22)):
        plan_id = plans.create_plan(db, acc, "FY27 plan", date(2026, 7, 1))
        mid = qm.record_qbr(db, acc, date(2026, 10, 14), commitments=[
            _commit("Kenji", "customer", "Name an admin", date(2026, 12, 1)),
            _commit("Ana", "ours", "Send the SSO guide", date(2026, 12, 5))])
        done = qm.qbr_meetings(db, acc)[0].commitments[0]
        qm.complete_commitment(db, done.id, date(2026, 11, 20))
        assert qm.delete_qbr(db, mid) == 1
        steps = [(m.title, m.status) for o in plans.plan_view(db, plan_id).objectives
                 for m in o.milestones]
    assert steps == [("Name an admin (Kenji)", "done")]
    assert qm.qbr_meetings(db, acc) == []


def test_a_qbr_on_the_timeline_is_the_last_qbr_for_the_rule_and_the_page_alike(
        db: Database, acc: int) -> None:
    """An imported CRM's QBRs are activities, with no meeting recorded in csdesk: the "QBR
    due" rule and the account page give the one answer (the page said "Last QBR 28 Jan"
    while the rule's task said "No QBR on record")."""
    from csdesk.models import Activity
    from csdesk.services.book.account_detail import account_facts

    day = date(2026, 11, 22)
    with db.write() as s:
        s.add(Activity(account_id=acc, kind="qbr", occurred_on=date(2026, 6, 3),
                       summary="Q2 business review"))
        s.add(Activity(account_id=acc, kind="call", occurred_on=date(2026, 11, 2),
                       summary="A call is no QBR"))
    [f] = evaluate(db, day, only=[_qbr_rule(db)])
    assert f.reason == "Last QBR 3 Jun; high-touch accounts meet quarterly"
    with clock.pin(day):
        assert account_facts(db, acc).last_qbr == date(2026, 6, 3)
    # A meeting recorded later than the timeline's QBR is the later answer, in both.
    with clock.pin(date(2026, 8, 20)):
        qm.record_qbr(db, acc, date(2026, 8, 19))
    [f] = evaluate(db, day, only=[_qbr_rule(db)])
    assert f.reason.startswith("Last QBR 19 Aug;")
    with clock.pin(day):
        assert account_facts(db, acc).last_qbr == date(2026, 8, 19)
