"""Playbooks: rules that read the book as of a date and put tasks on the worklist, saying why.

Each built-in rule (seeded by ``defaults.ensure_defaults`` as a PlaybookRule row the CSM can
edit: on/off, parameters, task title, due offset, priority, checklist) has an evaluator here.
:func:`evaluate` is a pure function of the book as of a date: it returns *firings*, each with
a reason that cites the data ("Health fell from 72 to 38 since 12 Oct; 41 % of seats in use")
and a dedupe key made of the rule, the account and the *occurrence* (the red streak's first
day, the checkpoint, the survey answer…). :func:`run_rules` turns firings into Tasks; the
key is unique in the database, so re-running never opens a second task for one occurrence,
and a task done, snoozed or dismissed does not come back until the condition occurs anew.

What a CSM then does to a task (done with an activity, snooze, reassign, checklist steps)
is in ``worklist.today``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, case, func, insert, select, update

from csdesk import clock
from csdesk.db import Database
from csdesk.db.versioned import update_versioned
from csdesk.errors import ValidationError
from csdesk.models import (
    Account,
    Activity,
    Contact,
    HealthSnapshot,
    PlaybookRule,
    SurveyResponse,
    Task,
    UsageSnapshot,
)
from csdesk.models.enums import (
    AccountStatus,
    AdvocacyLevel,
    LifecycleStage,
    Priority,
    SurveyKind,
    TaskStatus,
)
from csdesk.progress import CancelFn, ProgressFn, Reporter
from csdesk.services.book import qbr_record
from csdesk.services.book.account_detail import last_contacted
from csdesk.services.defaults import ensure_defaults
from csdesk.services.formatting import counted, format_date, format_money
from csdesk.services.money import arr_by_account
from csdesk.services.periods import quarter_of
from csdesk.services.renewals.expansion import signals
from csdesk.services.renewals.pipeline import latest_seats, pipeline

PRIORITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
# A save play: the account is at risk (health fell or is red, a detractor answered, the
# champion left or the sponsor went quiet). While one is open on an account, no expansion
# task is created or shown for it: nobody pitches an upsell to a customer being saved.
SAVE_PLAY_RULES = ("health_drop", "nps_detractor", "relationship_risk")
EXPANSION_RULES = ("expansion_signal",)
# The backlog a new book would dump on day one: first touches, offered spread out instead.
FIRST_TOUCH_RULE = "no_proactive_touch"
# The renewal step for each checkpoint (days before the renewal date).
RENEWAL_STEPS = {
    180: "start the renewal: review outcomes against the success plan",
    120: "executive business review: confirm value and the renewal path",
    90: "confirm decision makers and send the renewal proposal",
    60: "resolve blockers and negotiate",
    30: "close: get the renewal signed",
}
# The advocacy ask for a promoter, one step up the maturity ladder from where they are.
ADVOCACY_ASK = {
    AdvocacyLevel.NONE: "ask for a review or a rating",
    AdvocacyLevel.PASSIVE: "ask for a review or a rating",
    AdvocacyLevel.ACTIVE: "ask to be a reference for prospects",
    AdvocacyLevel.STRATEGIC: "ask for a case study",
    AdvocacyLevel.EVANGELIST: "invite them to speak at an event or join the advisory board",
}


@dataclass(frozen=True)
class RuleView:
    id: int
    key: str
    name: str
    description: str
    enabled: bool
    params: dict[str, Any]
    task_title: str
    due_offset_days: int
    priority: str
    checklist: tuple[str, ...]
    version: int


@dataclass(frozen=True)
class Firing:
    """One task a rule would create: for one account and one occurrence of its condition."""

    rule_key: str
    rule_id: int
    account_id: int
    account: str
    owner: str | None
    arr_cents: int
    title: str
    reason: str
    due: date
    priority: str
    checklist: tuple[str, ...]
    dedupe_key: str


@dataclass(frozen=True)
class RunResult:
    as_of: date
    created: int
    already: int  # firings whose occurrence already has a task (open, done or snoozed)
    woken: int  # snoozed tasks whose date has come, back on the worklist
    merged: int = 0  # firings folded into a task of the same title on the same account
    suppressed: int = 0  # expansion firings held while a save play is open on the account
    spread: int = 0  # tasks moved to a later day: the days before them were full
    # First touches not created yet (more than a day's work: the CSM is asked first): the
    # accounts, and the sentence that tells the CSM (created, spread at capacity, when asked).
    held_back: int = 0
    held_back_text: str = ""
    # What was created and over how many days: "Created 37 first-touch tasks, planned over
    # the next 3 work days" ("" when nothing was).
    created_text: str = ""


@dataclass(frozen=True)
class Preview:
    rule: RuleView
    firings: tuple[Firing, ...]  # everything the rule finds today
    new: tuple[Firing, ...]  # of those, the ones that would create a task


# -- rules --------------------------------------------------------------------------------------

def _rule_view(r: PlaybookRule) -> RuleView:
    return RuleView(r.id, r.key, r.name, r.description or "", r.enabled, dict(r.params or {}),
                    r.task_title, r.due_offset_days, r.priority.value,
                    tuple(r.checklist or ()), r.version)


def rules(db: Database) -> list[RuleView]:
    if not db.readonly:
        ensure_defaults(db)
    with db.read() as s:
        return [_rule_view(r) for r in s.scalars(select(PlaybookRule).order_by(PlaybookRule.id))]


def check_rule(rule: RuleView) -> RuleView:
    """The rule with its values checked (and tidied); ValidationError names what is wrong."""
    if rule.key not in EVALUATORS:
        raise ValidationError("key", f"no evaluator for the rule {rule.key!r}")
    if not rule.task_title.strip():
        raise ValidationError("task_title", "the task needs a title")
    if not 0 <= rule.due_offset_days <= 365:
        raise ValidationError("due_offset_days", "a task is due 0 to 365 days after it fires")
    if rule.priority not in PRIORITY_ORDER:
        raise ValidationError("priority", f"no priority {rule.priority!r}")
    params = dict(rule.params)
    for name, value in params.items():
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, int) and not isinstance(v, bool)
                                 and 0 <= v <= 3650 for v in values):
            raise ValidationError(name, f"{name.replace('_', ' ')}: whole numbers from 0 to "
                                        f"3650, not {value!r}")
    return replace(rule, task_title=rule.task_title.strip(), params=params,
                   checklist=tuple(step.strip() for step in rule.checklist if step.strip()))


def save_rule(db: Database, rule: RuleView) -> RuleView:
    """Save an edited rule (version-checked: someone else's edit is not overwritten)."""
    rule = check_rule(rule)
    with db.write() as s:
        saved = update_versioned(
            s, PlaybookRule, rule.id, rule.version,
            {"enabled": rule.enabled, "params": rule.params, "task_title": rule.task_title,
             "due_offset_days": rule.due_offset_days, "priority": Priority(rule.priority),
             "checklist": list(rule.checklist)},
            "this rule was changed elsewhere since you opened it; your edit was not saved — "
            "reload to see it")
        return _rule_view(saved)


# -- evaluation ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Book:
    """What every evaluator needs about the live accounts, read once."""

    as_of: date
    accounts: dict[int, tuple[str, str | None, int, str]]  # id → name, owner, ARR, engagement

    def day(self, d: date) -> str:
        return f"{d.day} {d:%b}" if d.year == self.as_of.year else f"{d.day} {d:%b %Y}"


def _read_book(s: Any, as_of: date) -> _Book:
    # ARR ranks the work: in the base currency (an account with no rate ranks as none)
    base = arr_by_account(s, day=as_of)["base_cents"].fillna(0)
    arr = dict(zip(base.index.tolist(), base.astype("int64").tolist(), strict=True))
    accounts = {aid: (name, owner, int(arr.get(aid) or 0), model.value)
                for aid, name, owner, model in s.execute(
                    select(Account.id, Account.name, Account.owner, Account.engagement_model)
                    .where(Account.status == AccountStatus.ACTIVE))}
    return _Book(as_of, accounts)


# account, occurrence, reason, the day the condition began; optionally, the steps this
# firing adds to the rule's checklist
Found = tuple[int, str, str, date] | tuple[int, str, str, date, tuple[str, ...]]


def _latest_snapshots(up_to: date) -> Any:
    """Each account's latest health snapshot on or before ``up_to`` (a subquery)."""
    ranked = select(HealthSnapshot.account_id, HealthSnapshot.as_of, HealthSnapshot.score,
                    HealthSnapshot.band,
                    func.row_number().over(partition_by=HealthSnapshot.account_id,
                                           order_by=HealthSnapshot.as_of.desc()).label("rn")
                    ).where(HealthSnapshot.as_of <= up_to).subquery()
    return select(ranked.c.account_id, ranked.c.as_of, ranked.c.score, ranked.c.band
                  ).where(ranked.c.rn == 1).subquery()


def _health_drop(db: Database, s: Any, book: _Book, p: dict[str, Any]) -> Iterable[Found]:
    window, drop = int(p.get("window_days", 30)), int(p.get("drop_points", 20))
    latest = _latest_snapshots(book.as_of)
    before = _latest_snapshots(book.as_of - timedelta(days=window))
    rows = s.execute(select(latest.c.account_id, latest.c.as_of, latest.c.score,
                            latest.c.band, before.c.as_of, before.c.score)
                     .outerjoin(before, before.c.account_id == latest.c.account_id)
                     .where(latest.c.score.is_not(None))).all()
    red = {r[0] for r in rows if r[3] is not None and r[3].value == "red"}
    dropped = {r[0] for r in rows if r[0] not in red and r[5] is not None
               and r[5] - r[2] >= drop}
    if not red and not dropped:
        return
    # Only the red accounts' history is read: where did the current red streak start?
    history: dict[int, list[tuple[date, float | None, str | None]]] = {}
    for aid, when, score, band in s.execute(
            select(HealthSnapshot.account_id, HealthSnapshot.as_of, HealthSnapshot.score,
                   HealthSnapshot.band)
            .where(HealthSnapshot.as_of <= book.as_of, HealthSnapshot.account_id.in_(
                select(latest.c.account_id).where(latest.c.band == "red")))
            .order_by(HealthSnapshot.account_id, HealthSnapshot.as_of)):
        history.setdefault(aid, []).append((when, score, band.value if band else None))
    seats = _seat_use(s, book.as_of)
    for aid, when, score, _band, then, was_score in rows:
        if aid not in book.accounts or (aid not in red and aid not in dropped):
            continue
        seat = f"; {seats[aid]:.0%} of seats in use" if aid in seats else ""
        if aid in red:
            past = history.get(aid, [])
            start = when
            for d, _sc, b in reversed(past):
                if b != "red":
                    break
                start = d
            earlier = [h for h in past if h[0] < start]
            was = (f"Health fell from {earlier[-1][1]:.0f} to {score:.0f} "
                   f"since {book.day(earlier[-1][0])}" if earlier and earlier[-1][1] is not None
                   else f"Health is {score:.0f}")
            yield aid, f"red-{start}", f"{was}: red since {book.day(start)}{seat}", start
        else:
            yield (aid, f"drop-{when}", f"Health fell from {was_score:.0f} to {score:.0f} "
                   f"since {book.day(then)} ({was_score - score:.0f} points){seat}", when)


def _seat_use(s: Any, as_of: date) -> dict[int, float]:
    return {aid: users / seats for aid, (users, seats) in latest_seats(s, as_of).items()
            if users is not None and seats}


def _onboarding_stall(db: Database, s: Any, book: _Book, p: dict[str, Any]
                      ) -> Iterable[Found]:
    day = int(p.get("day", 30))
    # A customer of longer standing still marked "onboarding" is stale data (a CRM's
    # default stage), not a stalled onboarding: no "Day 1380 of onboarding" task.
    until = int(p.get("until_day", 365))
    for aid, since, reached in s.execute(
            select(Account.id, Account.customer_since, Account.first_value_date)
            .where(Account.status == AccountStatus.ACTIVE,
                   Account.lifecycle_stage == LifecycleStage.ONBOARDING,
                   Account.customer_since.is_not(None),
                   Account.customer_since <= book.as_of - timedelta(days=day),
                   Account.customer_since > book.as_of - timedelta(days=until))):
        if reached is not None and reached <= book.as_of:
            continue
        age = (book.as_of - since).days
        yield (aid, f"since-{since}", f"Day {age} of onboarding (customer since "
               f"{book.day(since)}) and the first value milestone is not reached; the target "
               f"is day {day}", since + timedelta(days=day))


def _renewal_checkpoint(db: Database, s: Any, book: _Book, p: dict[str, Any]
                        ) -> Iterable[Found]:

    wanted = set(p.get("checkpoints", [180, 120, 90, 60, 30]))
    for r in pipeline(db, today=book.as_of):
        reached = [m for m in r.checkpoints if m <= book.as_of
                   and (r.renewal_date - m).days in wanted]
        if not reached:
            continue
        mark = reached[-1]  # the latest checkpoint reached: its step is the one to do now
        days = (r.renewal_date - mark).days
        yield (r.account_id, f"{r.renewal_date}-{days}",
               f"Renews {book.day(r.renewal_date)} ({format_money(r.arr_cents, r.currency)}, "
               f"{r.track.replace('_', '-')}: {'; '.join(r.reasons)}); the {days}-day "
               f"checkpoint was {book.day(mark)}", mark)


def _no_proactive_touch(db: Database, s: Any, book: _Book, p: dict[str, Any]
                        ) -> Iterable[Found]:
    last = dict(s.execute(select(Activity.account_id, func.max(Activity.occurred_on))
                          .where(Activity.proactive.is_(True),
                                 Activity.occurred_on <= book.as_of)
                          .group_by(Activity.account_id)).all())
    since = dict(s.execute(select(Account.id, Account.customer_since)
                           .where(Account.status == AccountStatus.ACTIVE)).all())
    for aid, (_name, _owner, _arr, model) in book.accounts.items():
        limit = p.get(model)
        if limit is None:
            continue
        touched = last.get(aid)
        start = touched or since.get(aid)
        if start is None or (book.as_of - start).days < int(limit):
            continue
        label = model.replace("_", "-")
        if touched is None:
            reason = (f"No proactive touch on record since the account started "
                      f"({book.day(start)}); {label} accounts get one every {limit} days")
        else:
            reason = (f"Last proactive touch {book.day(touched)} "
                      f"({(book.as_of - touched).days} days ago); {label} accounts get one "
                      f"every {limit} days")
        yield aid, f"after-{touched or 'never'}", reason, start + timedelta(days=int(limit))


def _relationship_risk(db: Database, s: Any, book: _Book, p: dict[str, Any]
                       ) -> Iterable[Found]:
    quiet = int(p.get("sponsor_quiet_days", 90))
    within = int(p.get("champion_left_within_days", 180))  # older departures are known news
    contacts = s.execute(select(Contact.id, Contact.account_id, Contact.name,
                                Contact.is_champion, Contact.is_executive_sponsor,
                                Contact.left_company, Contact.left_on,
                                Contact.last_contacted)
                         .where(Contact.is_champion.is_(True)
                                | Contact.is_executive_sponsor.is_(True))).all()
    touched = last_contacted(s, as_of=book.as_of, contact_ids=select(Contact.id).where(
        Contact.is_executive_sponsor.is_(True)))  # whose quiet the rule looks for
    current_champion = {c.account_id for c in contacts if c.is_champion and not (
        c.left_company and (c.left_on is None or c.left_on <= book.as_of))}
    for c in contacts:
        if c.account_id not in book.accounts:
            continue
        gone = c.left_company and (c.left_on is None or c.left_on <= book.as_of)
        recent = c.left_on is None or (book.as_of - c.left_on).days <= within
        if c.is_champion and gone and recent and c.account_id not in current_champion:
            when = f" on {book.day(c.left_on)}" if c.left_on else ""
            yield (c.account_id, f"champion-{c.id}", f"Champion {c.name} left{when}; nobody "
                   "holds the role now", c.left_on or book.as_of)
        elif c.is_executive_sponsor and not gone:
            last = touched.get(c.id)
            if last is not None and (book.as_of - last).days >= quiet:
                yield (c.account_id, f"sponsor-{c.id}-{last}", f"Executive sponsor {c.name} "
                       f"last heard from {book.day(last)} ({(book.as_of - last).days} days "
                       "ago)", last + timedelta(days=quiet))


def _adoption_plateau(db: Database, s: Any, book: _Book, p: dict[str, Any]
                      ) -> Iterable[Found]:
    flat = int(p.get("flat_days", 60))
    u = UsageSnapshot
    # Only accounts whose breadth did not move in the last N days can have plateaued: find
    # them in that window first, then read the whole history of those alone.
    steady = (select(u.account_id)
              .where(u.date <= book.as_of, u.date >= book.as_of - timedelta(days=flat),
                     u.features_used.is_not(None))
              .group_by(u.account_id)
              .having(func.min(u.features_used) == func.max(u.features_used)))
    ranked = select(UsageSnapshot.account_id, UsageSnapshot.features_used.label("cur"),
                    func.row_number().over(partition_by=UsageSnapshot.account_id,
                                           order_by=UsageSnapshot.date.desc()).label("rn")
                    ).where(UsageSnapshot.date <= book.as_of,
                            UsageSnapshot.features_used.is_not(None),
                            UsageSnapshot.account_id.in_(steady)).subquery()
    latest = select(ranked.c.account_id, ranked.c.cur).where(ranked.c.rn == 1).subquery()
    rows = s.execute(
        select(latest.c.account_id, latest.c.cur,
               func.max(case((u.features_used != latest.c.cur, u.date))),
               func.min(u.date))
        .join(u, u.account_id == latest.c.account_id)
        .where(u.date <= book.as_of, u.features_used.is_not(None))
        .group_by(latest.c.account_id, latest.c.cur)).all()
    for aid, breadth, changed, first in rows:
        if aid not in book.accounts:
            continue
        steady_since = changed or first  # breadth has not moved after this day
        if (book.as_of - steady_since).days <= flat:
            continue
        what = f"since {book.day(changed)}" if changed else "since usage was first recorded"
        yield (aid, f"{breadth}-{steady_since}", f"Feature breadth flat at {breadth} features "
               f"{what} ({(book.as_of - steady_since).days} days)",
               steady_since + timedelta(days=flat))


def _expansion_signal(db: Database, s: Any, book: _Book, p: dict[str, Any]
                      ) -> Iterable[Found]:

    quarter = quarter_of(book.as_of)
    for acc in signals(db, today=book.as_of):
        if not acc.first_value_reached:  # the source texts' rule: no pitch before value
            continue
        for sig in acc.signals:
            yield (acc.account_id, f"{sig.kind}-{quarter}",
                   f"{sig.text} — points to {sig.suggested}", book.as_of)


def _nps(low: bool) -> Callable[[Database, Any, _Book, dict[str, Any]], Iterable[Found]]:
    def find(db: Database, s: Any, book: _Book, p: dict[str, Any]) -> Iterable[Found]:
        within = int(p.get("within_days", 30))
        stmt = (select(SurveyResponse.id, SurveyResponse.account_id, SurveyResponse.score,
                       SurveyResponse.responded_on, SurveyResponse.comment, Contact.name,
                       Contact.advocacy_level, Contact.left_company, Contact.left_on)
                .outerjoin(Contact, Contact.id == SurveyResponse.contact_id)
                .where(SurveyResponse.kind == SurveyKind.NPS,
                       SurveyResponse.responded_on <= book.as_of,
                       SurveyResponse.responded_on > book.as_of - timedelta(days=within)))
        stmt = stmt.where(SurveyResponse.score <= int(p.get("max_score", 6))) if low else \
            stmt.where(SurveyResponse.score >= int(p.get("min_score", 9)))
        for rid, aid, score, when, comment, who, level, left, left_on in s.execute(stmt):
            if aid not in book.accounts:
                continue
            by = f" from {who}" if who else ""
            gone = ""
            if who and left and (left_on is None or left_on <= book.as_of):
                # Said, so the CSM does not chase someone gone: the account's answer stands.
                gone = f" ({who} has since left the company" + (
                    f", on {book.day(left_on)})" if left_on else ")")
            said = f': "{comment.strip()[:120]}"' if comment and comment.strip() else ""
            if low:
                reason = f"NPS {score}{by} on {book.day(when)}{gone}{said}"
            else:
                ask = ADVOCACY_ASK[level or AdvocacyLevel.NONE]
                reason = (f"NPS {score}{by} on {book.day(when)}{gone}{said}; advocacy level "
                          f"{(level or AdvocacyLevel.NONE).value}: {ask}")
            yield aid, f"response-{rid}", reason, when
    return find


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = (date(year + (month == 11), (month + 1) % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month + 1, min(day.day, last))


def _cadence(months: int) -> str:
    return {3: "quarterly", 6: "twice a year", 12: "yearly"}.get(
        months, f"every {counted(months, 'month')}")


def _qbr_due(db: Database, s: Any, book: _Book, p: dict[str, Any]) -> Iterable[Found]:
    """No QBR within the engagement model's interval; the task's checklist adds the
    previous QBR's open commitments and its decisions to follow up."""
    last = qbr_record.latest_qbr_days(db, book.as_of)
    meetings = qbr_record.latest_meetings(db, book.as_of)  # the previous QBRs' follow-ups
    since = dict(s.execute(select(Account.id, Account.customer_since)
                           .where(Account.status == AccountStatus.ACTIVE)).all())
    for aid, (_name, _owner, _arr, model) in book.accounts.items():
        months = int(p.get(f"{model}_months") or 0)
        held = last.get(aid)
        start = held or since.get(aid)
        if not months or start is None:
            continue
        due = _add_months(start, months)
        if due > book.as_of:
            continue
        # Still none an interval later: due anew (a task dismissed for one quarter due
        # does not hide the next)
        k = 1
        while _add_months(start, months * (k + 1)) <= book.as_of:
            k += 1
        due = _add_months(start, months * k)
        label = model.replace("_", "-")
        said = (f"Last QBR {book.day(held)}" if held else
                f"No QBR on record since the account started ({book.day(start)})")
        steps: tuple[str, ...] = ()
        if held is not None and aid in meetings:
            steps = _qbr_follow_ups(meetings[aid])
        yield aid, quarter_of(due), f"{said}; {label} accounts meet {_cadence(months)}", \
            due, steps


def _qbr_follow_ups(m: qbr_record.QbrMeetingView) -> tuple[str, ...]:
    """Checklist steps from the previous QBR: its open commitments, then its decisions."""
    open_ = tuple(f"Follow up: {c.what} ({c.who}, due {format_date(c.due_on)}"
                  f"{', late' if c.state == 'late' else ''})"
                  for c in m.commitments if c.state in ("open", "late"))
    return open_ + tuple(f"Follow up on the decision: {d}" for d in m.decisions)


EVALUATORS: dict[str, Callable[[Database, Any, _Book, dict[str, Any]], Iterable[Found]]] = {
    "health_drop": _health_drop,
    "onboarding_stall": _onboarding_stall,
    "renewal_checkpoint": _renewal_checkpoint,
    "no_proactive_touch": _no_proactive_touch,
    "relationship_risk": _relationship_risk,
    "adoption_plateau": _adoption_plateau,
    "expansion_signal": _expansion_signal,
    "nps_detractor": _nps(low=True),
    "nps_promoter": _nps(low=False),
    "qbr_due": _qbr_due,
}


def evaluate(db: Database, as_of: date | None = None, *, only: list[RuleView] | None = None,
             progress: ProgressFn | None = None, cancel: CancelFn | None = None
             ) -> list[Firing]:
    """What the enabled rules (or ``only`` these, enabled or not) find in the book as of a day.

    Reads nothing after ``as_of``; writes nothing.
    """
    as_of = as_of or clock.today()
    chosen = only if only is not None else [r for r in rules(db) if r.enabled]
    report = Reporter(progress, cancel)
    out: list[Firing] = []
    with db.read() as s:
        book = _read_book(s, as_of)
        for i, rule in enumerate(chosen):
            report.checkpoint(i / max(1, len(chosen)), f"Rule: {rule.name}")
            for aid, occurrence, reason, began, *extra in EVALUATORS[rule.key](
                    db, s, book, rule.params):
                name, owner, arr, _model = book.accounts[aid]
                due = max(began, as_of) + timedelta(days=rule.due_offset_days)
                if rule.key == "nps_detractor":  # follow up within N days of the answer
                    due = began + timedelta(days=rule.due_offset_days)
                title, priority = rule.task_title, rule.priority
                if rule.key == "renewal_checkpoint":
                    renews, days = _checkpoint_of(occurrence)
                    title = f"{rule.task_title} ({days} days): " \
                            f"{RENEWAL_STEPS.get(days, 'renewal step')}"
                    due = min(due, renews)  # a step is never due after the renewal itself
                    priority = renewal_priority(rule.priority, (renews - as_of).days)
                out.append(Firing(rule.key, rule.id, aid, name, owner, arr, title, reason, due,
                                  priority, rule.checklist + tuple(extra[0] if extra else ()),
                                  f"{rule.key}:{aid}:{occurrence}"))
    return out


def _checkpoint_of(occurrence: str) -> tuple[date, int]:
    """(the renewal date, the checkpoint's days before it) from ``"2027-01-31-90"``."""
    when, days = occurrence.rsplit("-", 1)
    return date.fromisoformat(when), int(days)


# The nearer the renewal, the more urgent its step: never below the rule's own priority.
RENEWAL_URGENCY = ((30, "critical"), (60, "high"), (120, "medium"))


def renewal_priority(base: str, days_to_renewal: int) -> str:
    nearer = next((p for limit, p in RENEWAL_URGENCY if days_to_renewal <= limit), base)
    return min(base, nearer, key=PRIORITY_ORDER.__getitem__)


def _existing_keys(s: Any, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), 900):  # stay under SQLite's bound-parameter limit
        found |= set(s.scalars(select(Task.dedupe_key).where(
            Task.dedupe_key.in_(keys[i:i + 900]))))
    return found


def preview(db: Database, rule: RuleView, as_of: date | None = None) -> Preview:
    """What this rule (as edited, even switched off) would find today, and what it would
    create: the findings whose occurrence has no task yet."""
    rule = check_rule(rule)
    firings = evaluate(db, as_of, only=[rule])
    with db.read() as s:
        have = _existing_keys(s, [f.dedupe_key for f in firings])
    return Preview(rule, tuple(firings), tuple(f for f in firings if f.dedupe_key not in have))


def run_rules(db: Database, as_of: date | None = None, *, progress: ProgressFn | None = None,
              cancel: CancelFn | None = None, first_touches: bool | None = None
              ) -> RunResult:
    """Evaluate the enabled rules and create the tasks that are new, in one transaction;
    wake snoozed tasks whose day has come; then spread the worklist over the days at the
    book's daily capacity (``plan.spread``).

    A task's title is never open twice on one account: a second firing with that title
    (another signal, another quiet sponsor) is folded into the first's reason. While a save
    play (:data:`SAVE_PLAY_RULES`) is open on an account, or fires in this run, expansion
    firings (:data:`EXPANSION_RULES`) for it create nothing; they fire again once it is
    resolved.

    ``first_touches``: whether to create the new "no proactive touch" tasks. By default
    (None) they are, unless they are more than a day's work: more than the daily capacity
    for one owner. Then, on a new book's first run as on any later one (a big import, a
    rule's limit lowered), they are held back and the CSM is asked: a backlog of first
    touches created unasked is not a worklist. The result says how many accounts wait
    (``held_back_text``) until a run with ``first_touches=True`` creates them, spread over
    the coming days at the capacity (``created_text`` says over how many). False holds them
    back whatever their number.
    """
    from csdesk.services.settings import daily_capacity
    from csdesk.services.worklist.plan import spread

    as_of = as_of or clock.today()
    capacity = daily_capacity(db)
    report = Reporter(progress, cancel)
    firings = evaluate(db, as_of, progress=lambda f, m: report.checkpoint(0.9 * f, m),
                       cancel=cancel)
    report.checkpoint(0.9, "Creating tasks")
    held: list[Firing] = []
    with db.write() as s:
        first = s.scalar(select(func.count()).select_from(Task)) == 0
        have = _existing_keys(s, [f.dedupe_key for f in firings])
        fresh = [f for f in firings if f.dedupe_key not in have]
        open_titles, saving = _open_work(s)
        saving |= {f.account_id for f in fresh if f.rule_key in SAVE_PLAY_RULES}
        # The most urgent firing of a title keeps it; the others add their reason to it.
        fresh.sort(key=lambda f: (PRIORITY_ORDER[f.priority], f.due, f.dedupe_key))
        new: dict[tuple[int, str], Firing] = {}
        merged = suppressed = 0
        for f in fresh:
            if f.rule_key in EXPANSION_RULES and f.account_id in saving:
                suppressed += 1
            elif (f.account_id, f.title) in open_titles:
                merged += 1
            elif (f.account_id, f.title) in new:
                first_of = new[(f.account_id, f.title)]
                new[(f.account_id, f.title)] = replace(
                    first_of, reason=f"{first_of.reason}; also: {f.reason}")
                merged += 1
            else:
                new[(f.account_id, f.title)] = f
        touches = [f for f in new.values() if f.rule_key == FIRST_TOUCH_RULE]
        per_owner: dict[str | None, int] = {}
        for f in touches:
            per_owner[f.owner] = per_owner.get(f.owner, 0) + 1
        if first_touches is False or (first_touches is None
                                      and max(per_owner.values(), default=0) > capacity):
            held = touches
            new = {k: f for k, f in new.items() if f.rule_key != FIRST_TOUCH_RULE}
        made = [{"account_id": f.account_id, "rule_id": f.rule_id, "title": f.title,
                 "reason": f.reason,
                 "due_date": max(f.due, as_of) if first else f.due,  # a new book: none late
                 "priority": Priority(f.priority), "owner": f.owner,
                 "dedupe_key": f.dedupe_key,
                 "checklist": [{"text": step, "done": False} for step in f.checklist]}
                for f in new.values()]
        # One multi-row INSERT … RETURNING in batches (the ORM's unit of work took 15 s for
        # 72,000 tasks); the columns' defaults (status, version, timestamps) apply as ever.
        table = Task.__table__
        made_ids = list(s.execute(insert(table).returning(
            table.c.id, sort_by_parameter_order=True), made).scalars()) if made else []
        touch_ids = [tid for tid, f in zip(made_ids, new.values(), strict=True)
                     if f.rule_key == FIRST_TOUCH_RULE]
        # An UPDATE's result is a CursorResult, which has the rowcount.
        woken = cast(CursorResult[Any], s.execute(
            update(Task).where(Task.status == TaskStatus.SNOOZED, Task.snoozed_until <= as_of)
            .values(status=TaskStatus.OPEN, version=Task.version + 1),
            execution_options={"synchronize_session": False})).rowcount
    report.checkpoint(0.95, "Spreading the worklist over the days")
    moved = spread(db, as_of)
    report.checkpoint(1.0, f"{counted(len(new), 'new task')}")
    text = ""
    if held:
        with db.read() as s:
            queued = dict(s.execute(select(Task.owner, func.count()).where(
                Task.status == TaskStatus.OPEN).group_by(Task.owner)).tuples().all())
        waiting_by: dict[str | None, set[int]] = {}
        for f in held:
            waiting_by.setdefault(f.owner, set()).add(f.account_id)
        # The owner with the most to do sets how long it takes: each CSM has their own day.
        busiest = max(waiting_by, key=lambda o: len(waiting_by[o]) + queued.get(o, 0))
        text = first_touch_text(db, len({f.account_id for f in held}),
                                queued.get(busiest, 0) + len(waiting_by[busiest]), as_of)
    return RunResult(as_of, len(new), len(firings) - len(fresh), int(woken or 0), merged,
                     suppressed, moved, len({f.account_id for f in held}), text,
                     created_text(db, made_ids, len(touch_ids), as_of))


def created_text(db: Database, task_ids: list[int], touches: int, today: date) -> str:
    """What a run did, in a sentence: "Created 37 first-touch tasks, planned over the next
    3 work days" (today the first of them), "…, planned over 3 work days from 30 Nov 2026"
    (their first day later), or "" when it created nothing."""
    from csdesk.services.worklist.plan import work_days_until

    if not task_ids:
        return ""
    first, last = date.max, today
    with db.read() as s:
        for i in range(0, len(task_ids), 900):  # stay under SQLite's bound-parameter limit
            low, high = s.execute(select(func.min(Task.due_date), func.max(Task.due_date))
                                  .where(Task.id.in_(task_ids[i:i + 900]))).one()
            first, last = min(first, low or today), max(last, high or today)
    first = max(first, today)
    n = len(task_ids)
    what = (f"Created {n:,} first-touch {'task' if n == 1 else 'tasks'}" if touches == n
            else f"Created {counted(n, 'task')}"
            + (f" ({counted(touches, 'first touch', 'first touches')})" if touches else ""))
    days = work_days_until(first, last)
    if first == today:
        return f"{what}, " + ("all planned for today" if days == 1
                              else f"planned over the next {days} work days")
    return f"{what}, " + (f"all planned for {format_date(first)}" if days == 1
                          else f"planned over {days} work days from {format_date(first)}")


def first_touch_text(db: Database, accounts: int, load: int | None = None,
                     today: date | None = None) -> str:
    """The plain sentence a new book's first run shows instead of a backlog: how many
    accounts wait for a first touch, and over how many weeks they would be spread, five
    work days a week at the daily capacity: ``load`` is the busiest owner's (their first
    touches and open tasks; by default, ``accounts``), as each CSM has a day of their
    own. With ``today``, it says they would start today: the plan fills each day from today
    with the highest-ranked tasks, first touches among them (``plan.earliest``)."""
    from csdesk.services.settings import daily_capacity
    from csdesk.services.worklist.plan import days_needed

    rule = next((r for r in rules(db) if r.key == FIRST_TOUCH_RULE), None)
    limits = sorted(int(v) for v in (rule.params if rule else {}).values()
                    if isinstance(v, int)) or [30]
    every = (f"{limits[0]} days" if limits[0] == limits[-1]
             else f"{limits[0]}–{limits[-1]} days, by engagement model")
    capacity = daily_capacity(db)
    weeks = max(1, -(-days_needed(accounts if load is None else load, capacity) // 5))
    span = "the coming week" if weeks == 1 else f"the coming {counted(weeks, 'week')}"
    if today is not None:
        span = f"about {'a week' if weeks == 1 else counted(weeks, 'week')} starting today"
    return (f"{counted(accounts, 'account')} {'has' if accounts == 1 else 'have'} had no "
            f"proactive touch in {every}. Rather than {counted(accounts, 'task')} at once, "
            f"their first touches can be spread over {span}, "
            f"with the rest of the worklist, {capacity} tasks a day per owner at most"
            f"{' (raise Tasks a day to be sooner)' if weeks > 8 else ''}.")


def _open_work(s: Any) -> tuple[set[tuple[int, str]], set[int]]:
    """(account, title) of every open or snoozed task, and the accounts with a save play
    open: what a new firing must not repeat or pitch into."""
    titles: set[tuple[int, str]] = set()
    saving: set[int] = set()
    for aid, title, key in s.execute(
            select(Task.account_id, Task.title, PlaybookRule.key)
            .outerjoin(PlaybookRule, PlaybookRule.id == Task.rule_id)
            .where(Task.status.in_((TaskStatus.OPEN, TaskStatus.SNOOZED)),
                   Task.account_id.is_not(None))):
        titles.add((aid, title))
        if key in SAVE_PLAY_RULES:
            saving.add(aid)
    return titles, saving


# -- the worklist -------------------------------------------------------------------------------


