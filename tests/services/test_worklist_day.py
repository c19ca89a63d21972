"""A worklist that fits a day: the rank and its explanation, the daily capacity, one title
per account, a save play holding expansion back, bulk actions, and the contacts touched on
the done activity quieting the sponsor rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import ConflictError, ValidationError
from csdesk.models import (
    Account,
    Activity,
    Contact,
    HealthModel,
    HealthSnapshot,
    PlaybookRule,
    Renewal,
    Subscription,
    Task,
    UsageSnapshot,
)
from csdesk.services.defaults import ensure_defaults
from csdesk.services.settings import daily_capacity, save_daily_capacity
from csdesk.services.worklist.plan import plan, set_capacity, spread, work_day
from csdesk.services.worklist.rules import evaluate, rules, run_rules, save_rule
from csdesk.services.worklist.today import (
    TaskRow,
    complete_task,
    complete_tasks,
    open_tasks,
    rank,
    reassign_tasks,
    snooze_tasks,
)
from tests.conftest import AS_OF

TODAY = AS_OF  # a Sunday: today is a work day all the same, then Monday, Tuesday…


@pytest.fixture
def book(db: Database) -> Database:
    ensure_defaults(db)
    return db


def _only(db: Database, *keys: str) -> None:
    for r in rules(db):
        save_rule(db, replace(r, enabled=r.key in keys))


def _account(s, name: str, arr_cents: int = 2_400_000, **kw) -> Account:  # type: ignore[no-untyped-def]
    acc = Account(external_id=name.upper(), name=name, segment=kw.get("segment", "smb"),
                  engagement_model=kw.get("model", "mid_touch"), lifecycle_stage="adoption",
                  customer_since=date(2025, 1, 1), first_value_date=date(2025, 2, 1),
                  owner=kw.get("owner", "Ana"))
    s.add(acc)
    s.flush()
    s.add(Subscription(account_id=acc.id, start_date=date(2026, 1, 1),
                       end_date=date(2027, 10, 1), seats=100, arr_cents=arr_cents))
    return acc


def _task(s, acc: Account, title: str, *, due: date = TODAY, priority: str = "medium",  # type: ignore[no-untyped-def]
          rule: str | None = None) -> Task:
    rule_id = s.scalar(select(PlaybookRule.id).where(PlaybookRule.key == rule)) if rule else None
    t = Task(account_id=acc.id, title=title, due_date=due, priority=priority, owner="Ana",
             rule_id=rule_id)
    s.add(t)
    return t


def test_rank_is_arr_times_risk_times_urgency_explained() -> None:
    # $120k, red (3), renewal in 34 days (2), high (2): 120 × 3 × 2 × 2
    assert rank(12_000_000, "red", TODAY + timedelta(days=34), "high", TODAY) == (
        1440.0, "$120K ARR · health red · renewal in 34 days · high")
    # $5k counts as 5; green 1; renewal in 200 days is not near (1); low 1
    assert rank(500_000, "green", TODAY + timedelta(days=200), "low", TODAY) == (
        5.0, "$5K ARR · health green · low")
    # no ARR counts as 1; not scored 1.5; renewal in 10 days 3; critical 3
    assert rank(0, None, TODAY + timedelta(days=10), "critical", TODAY) == (
        13.5, "no ARR · health not scored · renewal in 10 days · critical")


def test_open_tasks_ranked_with_health_and_renewal(book: Database) -> None:
    with book.read() as s:
        model = s.scalars(select(HealthModel.id)).first()
    with book.write() as s:
        red = _account(s, "Red Renewing", arr_cents=12_000_000)
        big = _account(s, "Big Green", arr_cents=30_000_000)
        s.add(HealthSnapshot(account_id=red.id, model_id=model, as_of=TODAY - timedelta(days=1),
                             score=30, band="red", inputs_present=9, inputs_total=9))
        s.add(HealthSnapshot(account_id=big.id, model_id=model, as_of=TODAY - timedelta(days=1),
                             score=90, band="green", inputs_present=9, inputs_total=9))
        s.add(Renewal(account_id=red.id, renewal_date=TODAY + timedelta(days=34),
                      current_arr_cents=12_000_000))
        _task(s, red, "Save it", priority="high")
        _task(s, big, "Check in", priority="medium")
    tasks = open_tasks(book, TODAY)
    # 120 × 3 × 2 × 2 = 1440 beats 300 × 1 × 1.5 × 1 = 450
    assert [(t.title, t.score, t.why) for t in tasks] == [
        ("Save it", 1440.0, "$120K ARR · health red · renewal in 34 days · high"),
        ("Check in", 450.0, "$300K ARR · health green · medium")]
    # the account's part of it (every task of the account shares it): the priority left off
    assert [t.account_why for t in tasks] == [
        "$120K ARR · health red · renewal in 34 days", "$300K ARR · health green"]
    assert tasks[0].health_band == "red" and tasks[0].segment == "smb"


def test_capacity_spreads_the_overflow_to_later_work_days(book: Database) -> None:
    assert daily_capacity(book) == 15
    with book.write() as s:
        for i in range(40):  # account i has ARR $(i+1)k: the higher i, the higher the rank
            acc = _account(s, f"Acc {i:02}", arr_cents=(i + 1) * 100_000)
            _task(s, acc, "Call", due=TODAY - timedelta(days=3))
    moved = spread(book, TODAY)
    assert moved == 25
    tasks = open_tasks(book, TODAY)
    by_day: dict[date, list[str]] = {}
    for t in tasks:
        by_day.setdefault(t.due, []).append(t.account or "")
    # The 15 highest ranked stay today (still late, so they say so); 15 go to Monday,
    # the lowest 10 to Tuesday: never more than 15 a day.
    late, monday, tuesday = TODAY - timedelta(days=3), date(2026, 11, 23), date(2026, 11, 24)
    assert sorted(by_day) == [late, monday, tuesday]
    assert sorted(by_day[late]) == [f"Acc {i:02}" for i in range(25, 40)]
    assert sorted(by_day[monday]) == [f"Acc {i:02}" for i in range(10, 25)]
    assert sorted(by_day[tuesday]) == [f"Acc {i:02}" for i in range(10)]
    # A smaller capacity, saved for the book, spreads further; Saturday and Sunday skipped.
    with pytest.raises(ValidationError):
        save_daily_capacity(book, 0)
    save_daily_capacity(book, 10)
    assert spread(book, TODAY) > 0
    days = sorted({t.due for t in open_tasks(book, TODAY)})
    assert [work_day(TODAY, i) for i in range(5)] == [
        TODAY, *[date(2026, 11, 23 + i) for i in range(4)]]
    assert max(days) == date(2026, 11, 25)  # 40 tasks, 10 a day: 4 days
    assert all(n <= 10 for n in (sum(1 for t in open_tasks(book, TODAY) if t.due == d)
                                 for d in days))


def test_a_quiet_today_fills_with_the_top_playbook_tasks_of_later_days() -> None:
    """A playbook task can be done as soon as it is on the list: today's places take the
    highest-ranked of them, whatever their due day; a day a person chose (a task added by
    hand for a day, a snooze) is kept; the tasks done today take their places."""
    from csdesk.services.worklist.today import TaskRow

    def row(i: int, score: float, due: date, rule: str | None = "qbr_due",
            snoozed: date | None = None) -> TaskRow:
        return TaskRow(i, 1, "A", 0, None, "t", None, due, "medium", "open", "Ana", snoozed,
                       (), 1, score=score, rule_key=rule)
    week = TODAY + timedelta(days=8)  # Monday week
    monday = date(2026, 11, 23)
    rows = [row(1, 1, TODAY), row(2, 9, week), row(3, 8, week), row(4, 7, week),
            row(5, 99, week, rule=None),  # the CSM's own call on that day
            row(6, 98, week, snoozed=week)]  # snoozed to it
    # 3 a day: today takes the 3 top playbook tasks of next week; the one due today, the
    # lowest ranked, waits for Monday.
    assert plan(rows, TODAY, 3) == {2: TODAY, 3: TODAY, 4: TODAY, 1: monday,
                                    5: week, 6: week}
    # two done today already: today's last place is the highest ranked's
    assert plan(rows, TODAY, 3, {"Ana": 2}) == {2: TODAY, 3: monday, 4: monday, 1: monday,
                                                5: week, 6: week}


def test_done_today_counts_in_todays_places(book: Database) -> None:
    _only(book, "no_proactive_touch")
    with book.write() as s:
        for i in range(4):
            acc = _account(s, f"Quiet {i}", arr_cents=(i + 1) * 100_000)
            s.add(Task(account_id=acc.id, title=f"Call {i}", due_date=TODAY, owner="Ana"))
    save_daily_capacity(book, 3)
    spread(book, TODAY)
    today = [t for t in open_tasks(book, TODAY) if t.due == TODAY]
    assert len(today) == 3
    with clock.pin(TODAY):  # done today: it keeps its place in today's three
        complete_task(book, today[0].id, today[0].version)
    spread(book, TODAY)
    assert len([t for t in open_tasks(book, TODAY) if t.due == TODAY]) == 2


def test_plan_keeps_a_later_due_date_and_fills_around_it() -> None:
    from csdesk.services.worklist.today import TaskRow

    def row(i: int, score: float, due: date, owner: str = "Ana",
            rule: str | None = None) -> TaskRow:
        return TaskRow(i, 1, "A", 0, None, "t", None, due, "medium", "open", owner, None, (),
                       1, score=score, rule_key=rule)
    friday = date(2026, 11, 27)
    rows = [row(1, 9, friday), row(2, 8, TODAY), row(3, 7, TODAY), row(4, 1, friday),
            row(5, 5, TODAY, owner="Bo"), row(6, 0.5, TODAY, rule="renewal_checkpoint")]
    # One a day: each owner's day apart; the renewal step, ranked last, takes the first day
    # left (capacity forces it past its checkpoint).
    assert plan(rows, TODAY, 1) == {1: friday, 2: TODAY, 3: date(2026, 11, 23),
                                    4: date(2026, 11, 30), 5: TODAY, 6: date(2026, 11, 24)}


def test_an_action_plans_again_its_owners_days_only(book: Database) -> None:
    """Done plans the days of the task's owner again (a task of a later day done today
    takes today's place); a colleague's tasks are left as they are, versions and all, so
    their open list stays current."""
    _only(book)
    monday = date(2026, 11, 23)
    with book.write() as s:
        for i in range(2):
            _task(s, _account(s, f"Ana {i}", arr_cents=(i + 1) * 100_000), "Call")
        later = _task(s, _account(s, "Ana later"), "Call", due=monday)
        for i in range(3):
            acc = _account(s, f"Bo {i}", owner="Bo")
            s.add(Task(account_id=acc.id, title="Call", due_date=TODAY, owner="Bo"))
    save_daily_capacity(book, 2)  # saved only: nobody's days planned at 2 yet
    bo = {t.id: t for t in open_tasks(book, TODAY) if t.owner == "Bo"}
    with book.read() as s:
        later_id = s.scalar(select(Task.id).where(Task.due_date == monday))
    del later
    row = next(t for t in open_tasks(book, TODAY) if t.id == later_id)
    with clock.pin(TODAY):
        complete_task(book, row.id, row.version, on=TODAY)
    tasks = open_tasks(book, TODAY)
    # Ana: the later task done today took one of today's two places: her lower-ranked
    # call moves to Monday.
    assert sorted((t.account, t.due) for t in tasks if t.owner == "Ana") == [
        ("Ana 0", monday), ("Ana 1", TODAY)]
    assert {t.id: t for t in tasks if t.owner == "Bo"} == bo


def test_first_run_on_a_new_book_holds_first_touches_and_none_is_overdue(
        demo_db: Database) -> None:
    result = run_rules(demo_db, TODAY)
    assert result.held_back > 20
    assert result.held_back_text.startswith(f"{result.held_back} accounts have had no "
                                            "proactive touch in ")
    tasks = open_tasks(demo_db, TODAY)
    assert tasks and not [t for t in tasks if t.due < TODAY]  # nothing late on day one
    assert not [t for t in tasks if t.rule_key == "no_proactive_touch"]
    spread_out = run_rules(demo_db, TODAY, first_touches=True)
    assert spread_out.created >= result.held_back
    tasks = open_tasks(demo_db, TODAY)
    # Each owner's day holds 15 at most, renewal steps counted (they may come early).
    due: dict[tuple[str | None, date], int] = {}
    for t in tasks:
        due[(t.owner, t.due)] = due.get((t.owner, t.due), 0) + 1
    assert max(due.values()) <= 15 and min(d for _o, d in due) == TODAY
    assert len({d for _o, d in due}) >= 2  # spread over the coming days
    # and today is filled first: the busiest owner's today is full, not left quiet
    assert max(n for (_o, d), n in due.items() if d == TODAY) == 15
    # One title per account, and no expansion where a save play is open.
    seen = [(t.account_id, t.title) for t in tasks]
    assert len(seen) == len(set(seen))
    saving = {t.account_id for t in tasks if t.rule_key in (
        "health_drop", "nps_detractor", "relationship_risk")}
    assert not [t for t in tasks if t.rule_key == "expansion_signal" and t.account_id in saving]


def test_same_title_never_twice_on_one_account(book: Database) -> None:
    _only(book, "relationship_risk")
    with book.write() as s:
        acc = _account(s, "Two Sponsors")
        for name in ("Sam", "Kim"):
            s.add(Contact(account_id=acc.id, name=name, is_executive_sponsor=True,
                          last_contacted=TODAY - timedelta(days=120)))
        s.add(Task(title="Hand-made", account_id=acc.id, due_date=TODAY))  # not a first run
    assert len(evaluate(book, TODAY)) == 2  # two firings, one title
    result = run_rules(book, TODAY)
    assert (result.created, result.merged) == (1, 1)
    made = [t for t in open_tasks(book, TODAY) if t.rule_key == "relationship_risk"]
    assert len(made) == 1
    assert "Sam" in made[0].reason and "Kim" in made[0].reason  # both reasons kept
    again = run_rules(book, TODAY + timedelta(days=1))
    assert again.created == 0  # the open title is not repeated on a later run
    # A task of that title already open (here added by hand): the rule adds no second one.
    with book.write() as s:
        third = _account(s, "Already On It")
        s.add(Contact(account_id=third.id, name="Lee", is_executive_sponsor=True,
                      last_contacted=TODAY - timedelta(days=120)))
        s.add(Task(title="Rebuild the relationship", account_id=third.id, due_date=TODAY))
    assert run_rules(book, TODAY).created == 0
    assert [t.title for t in open_tasks(book, TODAY) if t.account == "Already On It"] == [
        "Rebuild the relationship"]


def test_save_play_suppresses_expansion_until_resolved(book: Database) -> None:
    _only(book, "expansion_signal", "nps_detractor")
    with book.write() as s:
        acc = _account(s, "Full And Unhappy")
        calm = _account(s, "Full And Happy")
        for a in (acc, calm):
            s.add(UsageSnapshot(account_id=a.id, date=TODAY - timedelta(days=2),
                                active_users=95, licensed_seats=100))
        from csdesk.models import SurveyResponse
        s.add(SurveyResponse(account_id=acc.id, kind="nps", score=3,
                             responded_on=TODAY - timedelta(days=1)))
        s.add(Task(title="Hand-made", account_id=calm.id, due_date=TODAY))  # not a first run
    result = run_rules(book, TODAY)
    assert result.suppressed == 1
    made = {(t.account, t.rule_key) for t in open_tasks(book, TODAY)}
    assert ("Full And Unhappy", "nps_detractor") in made
    assert ("Full And Unhappy", "expansion_signal") not in made
    assert ("Full And Happy", "expansion_signal") in made
    # The save play resolved: the expansion task comes on the next run.
    save = next(t for t in open_tasks(book, TODAY) if t.rule_key == "nps_detractor")
    complete_task(book, save.id, save.version, on=TODAY)
    assert run_rules(book, TODAY).created == 1
    assert ("Full And Unhappy", "expansion_signal") in {
        (t.account, t.rule_key) for t in open_tasks(book, TODAY)}


def test_bulk_done_snooze_reassign_all_or_none(book: Database) -> None:
    with book.write() as s:
        a, b = _account(s, "A"), _account(s, "B")
        for acc in (a, b):
            for title in ("One", "Two", "Three"):
                _task(s, acc, title)
    tasks = open_tasks(book, TODAY)
    on_a = [(t.id, t.version) for t in tasks if t.account == "A"]
    pick = [*on_a[:2], next((t.id, t.version) for t in tasks if t.account == "B")]
    done = complete_tasks(book, pick, activity="Called both", on=TODAY)
    assert [d.status for d in done] == ["done"] * 3
    with book.read() as s:  # one proactive touch per account, naming the tasks
        logged = s.scalars(select(Activity).order_by(Activity.account_id)).all()
        assert [(x.summary, x.details.count("Task:")) for x in logged] == [
            ("Called both", 2), ("Called both", 1)]
    left = open_tasks(book, TODAY)
    assert len(left) == 3
    stale = [(left[0].id, left[0].version + 1)] + [(t.id, t.version) for t in left[1:]]
    with pytest.raises(ConflictError):  # one was changed elsewhere: none is snoozed
        snooze_tasks(book, stale, TODAY + timedelta(days=3), today=TODAY)
    assert len(open_tasks(book, TODAY)) == 3
    moved = reassign_tasks(book, [(t.id, t.version) for t in left], "Bo")
    assert {m.owner for m in moved} == {"Bo"}
    snoozed = snooze_tasks(book, [(m.id, m.version) for m in moved], TODAY + timedelta(days=3),
                           today=TODAY)
    assert {m.status for m in snoozed} == {"snoozed"} and open_tasks(book, TODAY) == []


def test_contacts_on_the_done_activity_quiet_the_sponsor_rule(book: Database) -> None:
    _only(book, "relationship_risk")
    with book.write() as s:
        acc = _account(s, "Quiet Sponsor")
        sponsor = Contact(account_id=acc.id, name="Sam Lee", is_executive_sponsor=True,
                          last_contacted=TODAY - timedelta(days=100))
        other = _account(s, "Elsewhere")
        stranger = Contact(account_id=other.id, name="Not Theirs")
        s.add_all([sponsor, stranger])
        s.add(Task(title="Hand-made", account_id=other.id, due_date=TODAY))
        s.flush()
        sponsor_id, stranger_id = sponsor.id, stranger.id
    assert run_rules(book, TODAY).created == 1
    task = next(t for t in open_tasks(book, TODAY) if t.rule_key == "relationship_risk")
    with pytest.raises(ValidationError):  # another account's contact is refused
        complete_task(book, task.id, task.version, activity="Called", on=TODAY,
                      contacts=[stranger_id])
    complete_task(book, task.id, task.version, activity="Called Sam", on=TODAY,
                  contacts=[sponsor_id])
    with book.read() as s:
        logged = s.scalars(select(Activity).where(Activity.summary == "Called Sam")).one()
        assert [c.name for c in logged.contacts] == ["Sam Lee"]
    # The sponsor was heard from today: the rule no longer fires for the account.
    assert evaluate(book, TODAY + timedelta(days=1)) == []
    assert run_rules(book, TODAY + timedelta(days=1)).created == 0


def _days(db: Database) -> dict[date, list[str]]:
    by_day: dict[date, list[str]] = {}
    for t in open_tasks(db, TODAY):
        by_day.setdefault(t.due, []).append(t.account or "")
    return {d: sorted(names) for d, names in sorted(by_day.items())}


def test_raising_the_capacity_brings_the_top_ranked_back_lowering_pushes_the_rest(
        book: Database) -> None:
    late = TODAY - timedelta(days=3)  # Thursday: 40 tasks, all three days late
    monday, tuesday, wednesday = (date(2026, 11, 23), date(2026, 11, 24),
                                  date(2026, 11, 25))
    with book.write() as s:
        for i in range(40):  # account i has ARR $(i+1)k: the higher i, the higher the rank
            acc = _account(s, f"Acc {i:02}", arr_cents=(i + 1) * 100_000)
            _task(s, acc, "Call", due=late)
        # A task of its own later day (Wednesday), ranked above all: never pulled earlier.
        _task(s, _account(s, "Own Day", arr_cents=90_000_000), "Call", due=wednesday)
        # A task the CSM snoozed to Friday: stays snoozed whatever the capacity.
        snoozed = _task(s, _account(s, "Snoozed", arr_cents=95_000_000), "Call", due=late)
    with book.read() as s:
        snoozed_id = s.scalar(select(Task.id).where(Task.title == "Call").order_by(
            Task.id.desc()).limit(1))
    t = next(t for t in open_tasks(book, TODAY) if t.id == snoozed_id)
    snooze_tasks(book, [(t.id, t.version)], date(2026, 11, 27), today=TODAY)
    del snoozed

    # 15 a day (the snooze planned the worklist already): the 15 highest ranked today (still
    # late: they say so), 15 Monday, 10 Tuesday.
    assert spread(book, TODAY, 15) == 0
    acc = [f"Acc {i:02}" for i in range(40)]
    assert _days(book) == {late: acc[25:], monday: acc[10:25], tuesday: acc[:10],
                           wednesday: ["Own Day"]}
    moved = {t.account: t for t in open_tasks(book, TODAY)}
    assert moved["Acc 10"].planned_from == late and moved["Acc 39"].planned_from is None
    assert moved["Own Day"].planned_from is None

    # Raised to 25 through the one service call: exactly the top 25 by rank today, back on
    # their own (late) day, the 15 others Monday; the later task and the snoozed one stay.
    assert set_capacity(book, 25, TODAY) == 10 + 10
    assert daily_capacity(book) == 25
    assert _days(book) == {late: acc[15:], monday: acc[:15], wednesday: ["Own Day"]}
    top = [t for t in open_tasks(book, TODAY) if t.due <= TODAY]
    assert [t.account for t in top] == [f"Acc {i:02}" for i in range(39, 14, -1)]
    assert all(t.planned_from is None for t in top)
    with book.read() as s:
        kept = s.get(Task, snoozed_id)
        assert (kept.status, kept.due_date, kept.planned_from) == (
            "snoozed", date(2026, 11, 27), None)

    # Lowered to 10: the lowest ranked go to later days, 10 a day, Saturday and Sunday
    # skipped; the Wednesday task takes one of Wednesday's places first (its rank).
    set_capacity(book, 10, TODAY)
    assert _days(book) == {late: acc[30:], monday: acc[20:30], tuesday: acc[10:20],
                           wednesday: sorted([*acc[1:10], "Own Day"]),
                           date(2026, 11, 26): acc[:1]}
    # Back to 200: everything on its own day again, no trace of a plan left.
    set_capacity(book, 200, TODAY)
    assert _days(book) == {late: acc, wednesday: ["Own Day"]}
    assert {t.planned_from for t in open_tasks(book, TODAY)} == {None}
    with pytest.raises(ValidationError):  # out of range: nothing saved, nothing moved
        set_capacity(book, 0, TODAY)
    assert daily_capacity(book) == 200


def test_plan_skips_the_weekend_from_a_friday() -> None:
    from csdesk.services.worklist.today import TaskRow

    friday = date(2026, 11, 27)
    rows = [TaskRow(i, 1, "A", 0, None, "t", None, friday, "medium", "open", "Ana", None, (),
                    1, score=10 - i) for i in range(5)]
    # Two a day from a Friday: Friday, then Monday and Tuesday (not Saturday or Sunday).
    assert sorted(plan(rows, friday, 2).items()) == [
        (0, friday), (1, friday), (2, date(2026, 11, 30)), (3, date(2026, 11, 30)),
        (4, date(2026, 12, 1))]


def test_renewal_steps_come_early_by_rank_and_days_go_by_rank() -> None:
    """The tryout's week: a critical renewal step due next Wednesday outranks today's green
    tasks, so it is done today; each day's places go by rank (a step is wanted by its
    checkpoint day, and may be done before it); a day a person chose is kept."""
    from csdesk.services.worklist.today import TaskRow

    monday, tuesday, wednesday = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)
    friday = date(2026, 11, 27)

    def row(i: int, score: float, due: date, rule: str | None = "renewal_checkpoint",
            snoozed: date | None = None) -> TaskRow:
        return TaskRow(i, i, "A", 0, None, "t", None, due, "high", "open", "Ana", snoozed,
                       (), 1, score=score, rule_key=rule)

    rows = [row(1, 100, wednesday), row(2, 50, wednesday), row(3, 40, friday),  # steps
            row(4, 3, TODAY, rule="qbr_due"), row(5, 5, TODAY, rule="qbr_due"),
            row(6, 200, tuesday, rule=None),  # added by hand for Tuesday
            row(7, 300, monday, rule="qbr_due", snoozed=monday)]  # snoozed to Monday
    # Two a day, by rank: the snooze and the hand-made task keep their days; the steps
    # come first from today; today's own low-ranked tasks take what is left.
    assert plan(rows, TODAY, 2) == {7: monday, 6: tuesday, 1: TODAY, 2: TODAY, 3: monday,
                                    5: tuesday, 4: wednesday}
    # A step due today but outranked, one a day: capacity forces it past its day, onto the
    # first day with room (never ahead of higher-ranked work).
    assert plan([row(1, 1, TODAY), row(2, 5, TODAY, rule="qbr_due")], TODAY, 1) == {
        2: TODAY, 1: monday}
    # From a Friday a step due on the weekend is done on the Friday, if there is room.
    assert plan([row(1, 1, date(2026, 11, 28))], friday, 15) == {1: friday}


def test_no_later_task_outranks_a_movable_task_of_an_earlier_day(demo_db: Database) -> None:
    """Over the 250-account demo book, every owner's days go by rank: a task planned on a
    later day never outranks one planned earlier that could have waited (tasks pinned to
    a day a person chose aside), renewal steps included, and no day is over the
    capacity."""
    from csdesk.services.worklist.plan import earliest

    run_rules(demo_db, TODAY, first_touches=True)
    set_capacity(demo_db, 6, TODAY)  # a small capacity: many days, many steps moved
    tasks = open_tasks(demo_db, TODAY)
    assert any(t.rule_key == "renewal_checkpoint" for t in tasks)

    def pinned(t: TaskRow) -> bool:
        return earliest(t, TODAY) > TODAY

    days: dict[tuple[str | None, date], list[TaskRow]] = {}
    for t in tasks:
        days.setdefault((t.owner, max(t.due or TODAY, TODAY)), []).append(t)
    assert len({d for _o, d in days}) > 3
    assert max(len(v) for v in days.values()) <= 6
    wrong = []
    for (owner, day), on_day in days.items():
        movable = [t.score for t in on_day if not pinned(t)]
        if not movable:
            continue
        later = [t for (o, d), ts in days.items() if o == owner and d > day for t in ts
                 if not pinned(t)]
        wrong += [(t.id, t.score, min(movable)) for t in later if t.score > min(movable)]
    assert wrong == []


def test_spread_moves_steps_earlier_by_rank_and_back(book: Database) -> None:
    from csdesk.services.worklist.plan import over_capacity

    wednesday, monday, tuesday = date(2026, 11, 25), date(2026, 11, 23), date(2026, 11, 24)
    with book.write() as s:
        for i in range(4):
            acc = _account(s, f"Renews {i}", arr_cents=(10 - i) * 100_000)
            _task(s, acc, "Renewal step", due=wednesday, rule="renewal_checkpoint")
        for i in range(3):
            acc = _account(s, f"Today {i}", arr_cents=(i + 1) * 100_000)
            _task(s, acc, "Renewal step", due=TODAY, rule="renewal_checkpoint")
    # Three a day: Wednesday's steps outrank today's, so three of them come to today and
    # the fourth to Monday (each remembering its own day); today's own steps wait.
    assert spread(book, TODAY, 3) == 7
    rows = {t.account: t for t in open_tasks(book, TODAY)}
    assert [(rows[f"Renews {i}"].due, rows[f"Renews {i}"].planned_from) for i in range(4)] \
        == [(TODAY, wednesday)] * 3 + [(monday, wednesday)]
    assert [(rows[f"Today {i}"].due, rows[f"Today {i}"].planned_from) for i in range(3)] \
        == [(tuesday, TODAY), (monday, TODAY), (monday, TODAY)]
    assert over_capacity(list(rows.values()), TODAY, 3) == ""
    # Room for all: today's steps are back on their own day, Wednesday's come to today.
    set_capacity(book, 15, TODAY)
    rows = {t.account: t for t in open_tasks(book, TODAY)}
    assert {(t.due, t.planned_from) for t in rows.values() if t.account.startswith(
        "Today")} == {(TODAY, None)}
    assert {t.due for t in rows.values()} == {TODAY}
    assert over_capacity(list(rows.values()), TODAY, 7) == ""
    assert over_capacity(list(rows.values()), TODAY, 5) == "7 tasks today — 2 over your 5"
    # A team's worklist names the owners over.
    team = [*rows.values(), replace(rows["Today 0"], id=99, owner="Bo")]
    assert over_capacity(team, TODAY, 5) == "1 owner has more than 5 tasks today (Ana 7)"


def test_a_later_run_asks_before_adding_more_than_a_day_of_first_touches(
        book: Database) -> None:
    _only(book, "no_proactive_touch")
    with book.write() as s:
        started = _account(s, "Started")
        _task(s, started, "Hand-made")  # not a first run
        s.add(Activity(account_id=started.id, kind="call", summary="x", proactive=True,
                       occurred_on=TODAY - timedelta(days=1)))
        for i in range(37):  # mid-touch, no touch on record since 2025: all fire
            _account(s, f"Quiet {i:02}", arr_cents=(i + 1) * 100_000)
    # 37 first touches for Ana, 15 a day: not created unasked, on a later run either.
    held = run_rules(book, TODAY)
    assert (held.created, held.held_back, held.created_text) == (0, 37, "")
    assert held.held_back_text.startswith(
        "37 accounts have had no proactive touch in 14–90 days, by engagement model. Rather "
        "than 37 tasks at once, their first touches can be spread over about a week starting "
        "today")  # the day the plan below does start them
    assert run_rules(book, TODAY).held_back == 37  # still asking, never creating unasked
    assert not [t for t in open_tasks(book, TODAY) if t.rule_key == "no_proactive_touch"]
    # Asked: created, and the plan puts them 15 a day from today (a first touch can be done
    # as soon as it is on the list): today's 15 places are the hand-made task and the 14
    # highest-ranked touches, then Monday 23 and Tuesday 24 Nov.
    made = run_rules(book, TODAY, first_touches=True)
    assert made.created == 37 and made.held_back == 0
    assert made.created_text == "Created 37 first-touch tasks, planned over the next 3 work days"
    touches = _days(book)
    assert list(touches) == [TODAY, date(2026, 11, 23), date(2026, 11, 24)]
    assert [len(v) for v in touches.values()] == [15, 15, 8]
    assert touches[TODAY] == sorted(["Started"] + [f"Quiet {i:02}" for i in range(36, 22, -1)])
    # A few new quiet accounts later (no more than a day's work): created, no question.
    with book.write() as s:
        for i in range(3):
            _account(s, f"New Quiet {i}")
    few = run_rules(book, TODAY)
    assert (few.created, few.held_back, few.held_back_text) == (3, 0, "")
    # Ranked $24K ARR, like Quiet 23 (ties by day, then by age): they take Monday's last
    # places and the lowest ranked move on to Tuesday.
    days = _days(book)
    assert [len(v) for v in days.values()] == [15, 15, 11]
    assert {"New Quiet 0", "New Quiet 1", "New Quiet 2"} <= set(days[date(2026, 11, 23)])
    assert few.created_text == "Created 3 first-touch tasks, all planned for 23 Nov 2026"
