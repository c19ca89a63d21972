"""Playbook rules on crafted books: each fires on one side of its threshold and not on the
other, its reason cites the right numbers, and re-runs, snoozes and done tasks behave."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from csdesk.db import Database
from csdesk.errors import ConflictError, ValidationError
from csdesk.models import (
    Account,
    Activity,
    Contact,
    HealthModel,
    HealthSnapshot,
    Subscription,
    SurveyResponse,
    Task,
    UsageSnapshot,
)
from csdesk.services.defaults import ensure_defaults
from csdesk.services.settings import save_daily_capacity
from csdesk.services.worklist.rules import evaluate, preview, rules, run_rules, save_rule
from csdesk.services.worklist.today import (
    complete_task,
    count_due,
    open_tasks,
    reassign_task,
    set_step,
    snooze_task,
)

TODAY = date(2026, 11, 22)


def _rule(db: Database, key: str, **params: int | list[int]):  # type: ignore[no-untyped-def]
    rule = next(r for r in rules(db) if r.key == key)
    return replace(rule, params={**rule.params, **params})


def _fired(db: Database, key: str, **params: int | list[int]) -> dict[str, str]:
    """Account name → reason, for what one rule finds today."""
    return {f.account: f.reason for f in evaluate(db, TODAY, only=[_rule(db, key, **params)])}


def _account(s, name: str, *, model: str = "mid_touch", stage: str = "adoption",  # type: ignore[no-untyped-def]
             since: date = date(2025, 1, 1), first_value: date | None = date(2025, 2, 1),
             segment: str = "smb", renews: date | None = None) -> Account:
    acc = Account(external_id=name.upper(), name=name, segment=segment,
                  engagement_model=model, lifecycle_stage=stage, customer_since=since,
                  first_value_date=first_value, owner="Ana")
    s.add(acc)
    s.flush()
    end = renews or date(2027, 10, 1)
    s.add(Subscription(account_id=acc.id, start_date=end - timedelta(days=364), end_date=end,
                       seats=100, arr_cents=2_400_000))
    return acc


@pytest.fixture
def book(db: Database) -> Database:
    ensure_defaults(db)
    return db


def test_health_drop_red_and_by_points(book: Database) -> None:
    with book.read() as s:
        model = s.scalars(select(HealthModel.id)).first()
    with book.write() as s:
        def snaps(acc: Account, points: list[tuple[int, float, str]]) -> None:
            for days_ago, score, band in points:
                s.add(HealthSnapshot(account_id=acc.id, model_id=model, score=score, band=band,
                                     as_of=TODAY - timedelta(days=days_ago),
                                     inputs_present=9, inputs_total=9))
        snaps(_account(s, "Fell Red"), [(60, 72, "green"), (31, 50, "yellow"), (1, 38, "red")])
        snaps(_account(s, "Fell Twenty"), [(40, 85, "green"), (2, 65, "yellow")])
        snaps(_account(s, "Fell Nineteen"), [(40, 84, "green"), (2, 65, "yellow")])
        s.add(UsageSnapshot(account_id=s.scalar(select(Account.id).where(
            Account.name == "Fell Red")), date=TODAY - timedelta(days=3), active_users=41,
            licensed_seats=100))
    fired = _fired(book, "health_drop")
    assert set(fired) == {"Fell Red", "Fell Twenty"}
    assert fired["Fell Red"] == ("Health fell from 50 to 38 since 22 Oct: red since 21 Nov; "
                                 "41% of seats in use")
    assert "from 85 to 65" in fired["Fell Twenty"] and "(20 points)" in fired["Fell Twenty"]
    assert set(_fired(book, "health_drop", drop_points=19)) == {
        "Fell Red", "Fell Twenty", "Fell Nineteen"}


def test_onboarding_stall_by_day(book: Database) -> None:
    with book.write() as s:
        _account(s, "Day Thirty", stage="onboarding", since=TODAY - timedelta(days=30),
                 first_value=None)
        _account(s, "Day Twentynine", stage="onboarding", since=TODAY - timedelta(days=29),
                 first_value=None)
        _account(s, "Reached", stage="onboarding", since=TODAY - timedelta(days=60),
                 first_value=TODAY - timedelta(days=5))
        # Imported from a CRM with its default stage: a customer for years, not onboarding.
        _account(s, "Years Ago", stage="onboarding", since=TODAY - timedelta(days=1380),
                 first_value=None)
        _account(s, "Day 364", stage="onboarding", since=TODAY - timedelta(days=364),
                 first_value=None)
    fired = _fired(book, "onboarding_stall")
    assert set(fired) == {"Day Thirty", "Day 364"}
    assert fired["Day Thirty"].startswith("Day 30 of onboarding (customer since 23 Oct)")


def test_renewal_checkpoint_step_by_segment(book: Database) -> None:
    with book.write() as s:
        _account(s, "Ent Ninety", segment="enterprise", renews=TODAY + timedelta(days=90))
        _account(s, "Smb Ninetyone", segment="smb", renews=TODAY + timedelta(days=91))
        _account(s, "Smb Ninety", segment="smb", renews=TODAY + timedelta(days=90))
    found = {f.account: f for f in evaluate(book, TODAY, only=[_rule(book, "renewal_checkpoint")])}
    assert set(found) == {"Ent Ninety", "Smb Ninety"}
    assert found["Ent Ninety"].title == ("Renewal step (90 days): confirm decision makers and "
                                         "send the renewal proposal")
    assert "Renews 20 Feb 2027 ($24,000" in found["Smb Ninety"].reason
    assert "the 90-day checkpoint was 22 Nov" in found["Smb Ninety"].reason
    assert found["Smb Ninety"].dedupe_key.endswith(f"{TODAY + timedelta(days=90)}-90")
    # Only the checkpoints the rule lists fire: without 90, the latest listed one reached is
    # the enterprise account's 180-day start; the SMB renewals have not reached 60 yet.
    only = evaluate(book, TODAY, only=[_rule(book, "renewal_checkpoint", checkpoints=[180, 60])])
    assert [(f.account, f.title.split(":")[0]) for f in only] == [
        ("Ent Ninety", "Renewal step (180 days)")]


def test_no_proactive_touch_by_engagement_model(book: Database) -> None:
    with book.write() as s:
        for name, model, days, proactive in (("High Fifteen", "high_touch", 15, True),
                                             ("High Thirteen", "high_touch", 13, True),
                                             ("Tech Ninety", "tech_touch", 90, True),
                                             ("Mid Reactive", "mid_touch", 5, False)):
            acc = _account(s, name, model=model, since=date(2025, 1, 1))
            s.add(Activity(account_id=acc.id, kind="call", summary="x", proactive=proactive,
                           occurred_on=TODAY - timedelta(days=days)))
            if not proactive:
                s.add(Activity(account_id=acc.id, kind="call", summary="y", proactive=True,
                               occurred_on=TODAY - timedelta(days=31)))
    fired = _fired(book, "no_proactive_touch")
    assert set(fired) == {"High Fifteen", "Tech Ninety", "Mid Reactive"}
    assert fired["High Fifteen"] == ("Last proactive touch 7 Nov (15 days ago); high-touch "
                                     "accounts get one every 14 days")
    assert "(31 days ago)" in fired["Mid Reactive"]  # a reactive call does not count


def test_relationship_champion_left_and_sponsor_quiet(book: Database) -> None:
    with book.write() as s:
        a = _account(s, "Lost Champion")
        s.add(Contact(account_id=a.id, name="Dana Kim", is_champion=True, left_company=True,
                      left_on=TODAY - timedelta(days=20)))
        b = _account(s, "Has Successor")
        s.add(Contact(account_id=b.id, name="Old", is_champion=True, left_company=True,
                      left_on=TODAY - timedelta(days=20)))
        s.add(Contact(account_id=b.id, name="New", is_champion=True))
        c = _account(s, "Quiet Sponsor")
        s.add(Contact(account_id=c.id, name="Sam Lee", is_executive_sponsor=True,
                      last_contacted=TODAY - timedelta(days=90)))
        d = _account(s, "Recent Sponsor")
        s.add(Contact(account_id=d.id, name="Ira", is_executive_sponsor=True,
                      last_contacted=TODAY - timedelta(days=89)))
    fired = _fired(book, "relationship_risk")
    assert set(fired) == {"Lost Champion", "Quiet Sponsor"}
    assert fired["Lost Champion"] == "Champion Dana Kim left on 2 Nov; nobody holds the role now"
    assert fired["Quiet Sponsor"] == ("Executive sponsor Sam Lee last heard from 24 Aug "
                                      "(90 days ago)")


def test_adoption_plateau(book: Database) -> None:
    with book.write() as s:
        flat = _account(s, "Flat Breadth")
        moving = _account(s, "Still Growing")
        for week in range(12):
            day = TODAY - timedelta(days=7 * week)
            s.add(UsageSnapshot(account_id=flat.id, date=day, features_used=7 if week < 10
                                else 5))
            s.add(UsageSnapshot(account_id=moving.id, date=day, features_used=10 - week // 4))
    fired = _fired(book, "adoption_plateau")
    assert set(fired) == {"Flat Breadth"}
    # 5 features until 13 Sep, 7 every week since: flat for 70 days.
    assert fired["Flat Breadth"] == "Feature breadth flat at 7 features since 13 Sep (70 days)"
    assert _fired(book, "adoption_plateau", flat_days=70) == {}
    assert set(_fired(book, "adoption_plateau", flat_days=69)) == {"Flat Breadth"}


def test_expansion_signal_skips_accounts_without_first_value(book: Database) -> None:
    with book.write() as s:
        for name, value in (("Full Seats", date(2025, 3, 1)), ("Full No Value", None)):
            acc = _account(s, name, first_value=value)
            s.add(UsageSnapshot(account_id=acc.id, date=TODAY - timedelta(days=2),
                                active_users=95, licensed_seats=100))
    fired = _fired(book, "expansion_signal")
    assert set(fired) == {"Full Seats"}
    assert "95%" in fired["Full Seats"]


def test_nps_detractor_and_promoter(book: Database) -> None:
    with book.write() as s:
        acc = _account(s, "Survey Co")
        fan = Contact(account_id=acc.id, name="Mei", advocacy_level="active")
        s.add(fan)
        s.flush()
        for score, days, who in ((6, 3, None), (7, 3, None), (9, 10, fan.id), (3, 31, None)):
            s.add(SurveyResponse(account_id=acc.id, kind="nps", score=score, contact_id=who,
                                 responded_on=TODAY - timedelta(days=days),
                                 comment="Slow <support> & bugs" if score == 6 else None))
    low = evaluate(book, TODAY, only=[_rule(book, "nps_detractor")])
    assert [f.reason for f in low] == ['NPS 6 on 19 Nov: "Slow <support> & bugs"']
    assert low[0].due == date(2026, 11, 26)  # within 7 days of the answer
    high = _fired(book, "nps_promoter")
    assert high == {"Survey Co": "NPS 9 from Mei on 12 Nov; advocacy level active: ask to be a "
                                 "reference for prospects"}
    # An answer from someone who has since left says so: the CSM does not chase them.
    with book.write() as s:
        gone = Contact(account_id=acc.id, name="Grace Garcia", left_company=True,
                       left_on=TODAY - timedelta(days=2))
        s.add(gone)
        s.flush()
        s.add(SurveyResponse(account_id=acc.id, kind="nps", score=2, contact_id=gone.id,
                             responded_on=TODAY - timedelta(days=5)))
    low = evaluate(book, TODAY, only=[_rule(book, "nps_detractor")])
    assert "NPS 2 from Grace Garcia on 17 Nov (Grace Garcia has since left the company, on " \
        "20 Nov)" in [
        f.reason for f in low]


def test_dedupe_done_snooze_and_preview(book: Database) -> None:
    with book.write() as s:
        for i in range(3):
            acc = _account(s, f"Quiet {i}", model="high_touch")
            s.add(Activity(account_id=acc.id, kind="call", summary="x", proactive=True,
                           occurred_on=TODAY - timedelta(days=20 + i)))
    for r in rules(book):  # only this rule on
        save_rule(book, replace(r, enabled=r.key == "no_proactive_touch"))
    rule = _rule(book, "no_proactive_touch")
    assert len(preview(book, rule, TODAY).new) == 3
    # More first touches than a day's work (here 2 a day) are held back and the CSM is
    # asked; asked, the run creates them.
    save_daily_capacity(book, 2)
    held = run_rules(book, TODAY)
    assert (held.created, held.held_back) == (0, 3)
    assert held.held_back_text.startswith("3 accounts have had no proactive touch in ")
    first = run_rules(book, TODAY, first_touches=True)
    assert (first.created, first.already) == (3, 0)
    save_daily_capacity(book, 15)
    again = run_rules(book, TODAY + timedelta(days=1))
    assert (again.created, again.already) == (0, 3)
    assert len(preview(book, rule, TODAY).new) == 0

    tasks = open_tasks(book, TODAY)
    assert sorted(t.account for t in tasks) == ["Quiet 0", "Quiet 1", "Quiet 2"]
    assert all(t.rule == "No proactive touch" and t.owner == "Ana" for t in tasks)
    done, snoozed, left = tasks
    complete_task(book, done.id, done.version, activity="Called: all fine", kind="call",
                  on=TODAY)
    # Done plans Ana's days again (a task may move): the list is read anew, as Today does.
    snoozed = next(t for t in open_tasks(book, TODAY) if t.id == snoozed.id)
    snooze_task(book, snoozed.id, snoozed.version, TODAY + timedelta(days=5), today=TODAY)
    assert [t.id for t in open_tasks(book, TODAY)] == [left.id]
    assert run_rules(book, TODAY + timedelta(days=2)).created == 0  # neither comes back
    # The logged touch is a new proactive activity: the condition is now met anew only
    # after another 14 quiet days, as a new occurrence.
    with book.read() as s:
        logged = s.scalars(select(Activity).where(Activity.summary == "Called: all fine")).one()
        assert logged.proactive and logged.account_id == done.account_id
    assert run_rules(book, TODAY + timedelta(days=14)).created == 1
    # The snoozed task is back on its day, due then.
    back = {t.id: t for t in open_tasks(book, TODAY + timedelta(days=5))}
    assert snoozed.id in back and back[snoozed.id].due == TODAY + timedelta(days=5)
    # (the later runs planned it anew: a first touch is pulled to the run's quiet day)
    left = next(t for t in open_tasks(book, TODAY) if t.id == left.id)
    with pytest.raises(ConflictError):
        reassign_task(book, left.id, left.version + 5, "Bo")
    assert reassign_task(book, left.id, left.version, "Bo").owner == "Bo"
    with pytest.raises(ValidationError):
        snooze_task(book, left.id, left.version + 1, TODAY, today=TODAY)


def test_worklist_order_badge_and_checklist(book: Database) -> None:
    with book.write() as s:
        small = _account(s, "Small")
        big = _account(s, "Big")
        s.add(Subscription(account_id=big.id, start_date=date(2026, 1, 1),
                           end_date=date(2027, 1, 1), seats=10, arr_cents=9_000_000))
        for acc, title, due, prio in ((small, "late", TODAY - timedelta(days=1), "low"),
                                      (small, "today small", TODAY, "high"),
                                      (big, "today big", TODAY, "high"),
                                      (big, "today medium", TODAY, "medium"),
                                      (big, "next week", TODAY + timedelta(days=6), "critical"),
                                      (big, "later", TODAY + timedelta(days=30), "critical")):
            s.add(Task(account_id=acc.id, title=title, due_date=due, priority=prio,
                       checklist=[{"text": "one", "done": False}, {"text": "two",
                                                                    "done": False}]))
    tasks = open_tasks(book, TODAY)
    # By rank (ARR $k × risk × priority × renewal; no health, no renewal near: 1.5 × 1):
    # Big $114k: critical 513 (the earlier due first), high 342, medium 256.5; Small $24k:
    # high 72, low 36.
    assert [(t.title, t.score) for t in tasks] == [
        ("next week", 513), ("later", 513), ("today big", 342), ("today medium", 256.5),
        ("today small", 72), ("late", 36)]
    assert count_due(book, TODAY) == 4
    t = tasks[1]
    saved = set_step(book, t.id, t.version, 1, True)
    assert saved.checklist == (("one", False), ("two", True))
    with pytest.raises(ValidationError):
        set_step(book, t.id, saved.version, 5, True)


def test_two_csms_cannot_both_act_on_one_task(book: Database) -> None:
    """The first to act wins; the second is told (the task moved on), on either backend."""
    with book.write() as s:
        acc = _account(s, "Shared")
        s.add(Task(account_id=acc.id, title="Call", due_date=TODAY, priority="high",
                   owner="Ana"))
    seen = open_tasks(book, TODAY)[0]  # both CSMs have the worklist open
    other = Database.open(book.location, lock=False)
    try:
        complete_task(other, seen.id, seen.version, activity="Bo called", on=TODAY)
        with pytest.raises(ConflictError):
            complete_task(book, seen.id, seen.version, activity="Ana called", on=TODAY)
        with pytest.raises(ConflictError):
            snooze_task(book, seen.id, seen.version, TODAY + timedelta(days=3), today=TODAY)
    finally:
        other.close()
    with book.read() as s:
        assert [a.summary for a in s.scalars(select(Activity))] == ["Bo called"]


def test_a_red_streak_opens_one_task_however_often_the_book_is_recomputed(book: Database
                                                                           ) -> None:
    """Health is recomputed every day (one snapshot a day) and the rules run after each: an
    account that stays red keeps one task, keyed by the day its red streak began; once it
    recovers and turns red again, that is a new occurrence and a second task, if the CSM
    closed the first (while it is open, the same title is never opened twice)."""
    from csdesk import clock

    for r in rules(book):  # only this rule on
        save_rule(book, replace(r, enabled=r.key == "health_drop"))
    with book.read() as s:
        model = s.scalars(select(HealthModel.id)).first()
    with book.write() as s:
        acc_id = _account(s, "Stays Red").id
    start = TODAY - timedelta(days=20)
    # day 0–2 green, 3–9 red, 10–11 green again, 12–16 red again
    bands = ["green"] * 3 + ["red"] * 7 + ["green"] * 2 + ["red"] * 5
    created = []
    for k, band in enumerate(bands):
        day = start + timedelta(days=k)
        with book.write() as s:  # the day's recompute: that day's snapshot
            s.add(HealthSnapshot(account_id=acc_id, model_id=model, as_of=day,
                                 score=80.0 if band == "green" else 30.0, band=band,
                                 inputs_present=9, inputs_total=9))
        with clock.pin(day):
            created.append(run_rules(book).created)
        if k == 10:  # recovered: the CSM closes the first task
            done = open_tasks(book, day)[0]
            complete_task(book, done.id, done.version, on=day)
    first_red, second_red = start + timedelta(days=3), start + timedelta(days=12)
    assert created == [0] * 3 + [1] + [0] * 6 + [0] * 2 + [1] + [0] * 4
    with book.read() as s:
        keys = sorted(s.scalars(select(Task.dedupe_key).where(Task.account_id == acc_id)))
    assert keys == [f"health_drop:{acc_id}:red-{first_red}",
                    f"health_drop:{acc_id}:red-{second_red}"]
