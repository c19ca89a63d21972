"""Everything a quarterly business review prints, read from the book in one call.

:func:`qbr_data` returns a frozen dataclass tree of facts; :func:`qbr_document`
(``qbr_document.py``) turns them into one audience's document (customer or internal), which
the PDF (``csdesk.reports.qbr_pdf``) lays out without queries or decisions of its own. The
executive summary, the risks and the next-quarter plan are derived here, so the CLI, the GUI
and the batch all say the same thing.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.models import (
    Account,
    Contact,
    HealthSnapshot,
    Opportunity,
    Subscription,
    SupportTicket,
    UsageSnapshot,
)
from csdesk.models.enums import LifecycleStage, OpportunityStage, Segment
from csdesk.services import history
from csdesk.services.book.account_detail import Header, _header
from csdesk.services.formatting import format_money, health_note
from csdesk.services.periods import current_period, parse_period, quarter_of
from csdesk.services.plans import qbr_meetings, success_plans
from csdesk.services.plans import requests as feedback
from csdesk.services.plans import value as value_log
from csdesk.services.plans.qbr_document import Risk, risks, summary
from csdesk.services.renewals.pipeline import outlook


@dataclass(frozen=True)
class QuarterUsage:
    label: str  # 2026Q3
    active_users: float | None  # mean of the weekly figures
    seats: float | None
    key_events: float | None  # mean per week
    features_used: float | None


@dataclass(frozen=True)
class SupportSummary:
    opened: int
    closed: int
    open_now: int
    escalations: int
    urgent_or_high: int
    median_days_to_close: float | None


@dataclass(frozen=True)
class NextStep:
    title: str
    objective: str
    owner_side: str
    due_date: date | None
    overdue: bool


@dataclass(frozen=True)
class Commercial:
    renewal_date: date | None
    current_arr_cents: int
    forecast_arr_cents: int | None
    likelihood: float | None
    track: str | None
    # title, kind, amount (cents), the opportunity's currency
    open_opportunities: tuple[tuple[str, str, int, str], ...]
    currency: str = "USD"
    current_arr_base_cents: int | None = None  # in the base at today's rate (None: no rate)
    base_currency: str = "USD"


@dataclass(frozen=True)
class Champion:
    """Who champions csdesk's product at the customer, as of the period's end."""

    current: str | None  # the champion who holds the role now (None: nobody)
    left: str | None = None  # when nobody does: the champion who left last…
    left_on: date | None = None  # …and on what day (None: the day is not known)


@dataclass(frozen=True)
class ThenNow:
    """A field at the start of the period and now, read from the field history."""

    label: str
    then: str
    now: str


@dataclass(frozen=True)
class QbrData:
    header: Header
    period: str
    period_start: date
    period_end: date
    health_now: float | None
    band_now: str | None
    health_before: float | None  # at the start of the period
    health_series: tuple[tuple[date, float], ...]
    plan: success_plans.PlanView | None
    value: value_log.ValueReport
    value_in_period_cents: int | None  # in the customer's currency (None: a rate is missing)
    usage: tuple[tuple[date, int | None, int | None, int | None, int | None], ...]
    quarters: tuple[QuarterUsage, ...]
    support: SupportSummary
    risks: tuple[Risk, ...]
    next_steps: tuple[NextStep, ...]
    commercial: Commercial
    summary: tuple[str, ...] = field(default_factory=tuple)
    customer_logo: str | None = None  # the account's custom field "logo": a PNG/JPEG/SVG path
    health_note: str | None = None  # "not enough data" when last scored without a number
    # Fields whose changes the history holds, at the start of the period and now (empty:
    # none changed since history began)
    then_vs_now: tuple[ThenNow, ...] = ()
    then_vs_now_days: tuple[date, date] | None = None  # the two days compared
    champion: Champion = field(default_factory=lambda: Champion(None))
    as_of: date | None = None  # the period's end, or today while it runs
    # "What we said we would do": the previous QBR's commitments, done / late as of today
    commitments_last_qbr: tuple[qbr_meetings.CommitmentView, ...] = ()
    last_qbr_on: date | None = None
    # The QBR being prepared (held in the quarter after the period), where it is recorded
    attendees: tuple[str, ...] = ()
    our_attendees: tuple[str, ...] = ()
    next_qbr_date: date | None = None
    # What the account asked for that shipped in the period, the product updates released
    # in it, and the roadmap (requests.whats_new); None: not read
    whats_new: feedback.WhatsNew | None = None
    health_on: date | None = None  # the day of ``health_now`` (the period's last score)


def _mean(values: list[int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.fmean(present) if present else None


def qbr_data(db: Database, account_id: int, period: str | None = None,
             *, today: date | None = None) -> QbrData:
    """The QBR for ``period`` (a quarter such as 2026Q3; default the last complete one)."""
    today = today or clock.today()
    period = (period or current_period(today)).upper()
    start, end = parse_period(period)
    if start > today:
        raise CsdeskError(f"{period} has not started yet")
    as_of = min(end, today)
    # The period and the three quarters before it, for the usage charts.
    months = start.year * 12 + start.month - 1 - 9
    window_start = date(months // 12, months % 12 + 1, 1)
    with db.read() as s:
        header = _header(s, account_id)
        custom = s.scalar(select(Account.custom_fields).where(Account.id == account_id)) or {}
        snaps = s.execute(select(HealthSnapshot.as_of, HealthSnapshot.score,
                                 HealthSnapshot.band)
                          .where(HealthSnapshot.account_id == account_id,
                                 HealthSnapshot.as_of <= as_of)
                          .order_by(HealthSnapshot.as_of)).all()
        usage = tuple(tuple(r) for r in s.execute(
            select(UsageSnapshot.date, UsageSnapshot.active_users,
                   UsageSnapshot.licensed_seats, UsageSnapshot.key_events,
                   UsageSnapshot.features_used)
            .where(UsageSnapshot.account_id == account_id,
                   UsageSnapshot.date >= window_start, UsageSnapshot.date <= as_of)
            .order_by(UsageSnapshot.date)))
        tickets = s.execute(select(SupportTicket.opened_on, SupportTicket.closed_on,
                                   SupportTicket.priority, SupportTicket.is_escalation)
                            .where(SupportTicket.account_id == account_id)).all()
        contacts = s.execute(select(Contact.name, Contact.left_company, Contact.left_on)
                             .where(Contact.account_id == account_id,
                                    Contact.is_champion.is_(True))
                             .order_by(Contact.name)).all()
        opportunities = tuple(
            (t, k.value, int(a or 0), c) for t, k, a, c in s.execute(
                select(Opportunity.title, Opportunity.kind, Opportunity.amount_cents,
                       Opportunity.currency)
                .where(Opportunity.account_id == account_id,
                       Opportunity.stage.not_in([OpportunityStage.WON,
                                                 OpportunityStage.LOST]))))
    plan_id = success_plans.active_plan_id(db, account_id)
    plan = success_plans.plan_view(db, plan_id, today=as_of) if plan_id is not None else None
    if plan is not None:  # commitments show as "What we said we would do", not as a goal
        plan = replace(plan, objectives=tuple(o for o in plan.objectives
                                              if o.title != qbr_meetings.PLAN_OBJECTIVE))
    value = value_log.value_report(db, account_id, today=as_of)
    in_period = value_log.period_total(db, account_id, start, min(end, as_of))

    series = tuple((d, float(sc)) for d, sc, _b in snaps if sc is not None)
    now = snaps[-1] if snaps else None
    before = [sc for d, sc, _b in snaps if d <= start and sc is not None]
    health_before = float(before[-1]) if before else (series[0][1] if series else None)

    quarters = []
    for label in sorted({quarter_of(r[0]) for r in usage}):
        rows = [r for r in usage if quarter_of(r[0]) == label]
        quarters.append(QuarterUsage(label, _mean([r[1] for r in rows]),
                                     _mean([r[2] for r in rows]), _mean([r[3] for r in rows]),
                                     _mean([r[4] for r in rows])))
    quarters = quarters[-4:]

    opened = [t for t in tickets if start <= t.opened_on <= end]
    closed = [t for t in tickets if t.closed_on and start <= t.closed_on <= end]
    durations = [(t.closed_on - t.opened_on).days for t in closed]
    support = SupportSummary(
        len(opened), len(closed),
        sum(1 for t in tickets if t.opened_on <= as_of and (t.closed_on is None
                                                             or t.closed_on > as_of)),
        sum(1 for t in opened if t.is_escalation),
        sum(1 for t in opened if t.priority.value in ("urgent", "high")),
        statistics.median(durations) if durations else None)

    # The next renewal as every screen shows it (date, track, likelihood): renewals.outlook.
    nxt = outlook(db, today=today, account_ids=[account_id]).get(account_id)
    header = replace(header, renewal_date=nxt.renewal_date if nxt else None,
                     renewal_track=nxt.track if nxt else None)
    commercial = Commercial(
        nxt.renewal_date if nxt else None,
        nxt.arr_cents if nxt else header.arr_cents,
        nxt.expected_arr_cents if nxt else None,
        nxt.likelihood if nxt else None,
        nxt.track if nxt else None,
        opportunities, nxt.currency if nxt else header.currency,
        nxt.arr_base_cents if nxt else header.arr_base_cents, header.base_currency)

    next_end = end + timedelta(days=92)
    steps = []
    if plan is not None:
        for o in plan.objectives:
            for m in o.milestones:
                if m.status != "done" and (m.due_date is None or m.due_date <= next_end):
                    steps.append(NextStep(m.title, o.title, m.owner_side, m.due_date,
                                          m.overdue))
    steps.sort(key=lambda n: (n.due_date or date.max, n.title))

    data = QbrData(header, period, start, end,
                   float(now[1]) if now and now[1] is not None else None,
                   now[2].value if now and now[2] is not None else None,
                   health_before, series, plan, value, in_period, usage, tuple(quarters),
                   support, (), tuple(steps), commercial,
                   health_note=health_note(now is not None, now[1] if now else None),
                   champion=_champion(contacts, as_of), as_of=as_of)
    # 'then' is the eve of the period: a change on its first day belongs to this quarter
    eve = start - timedelta(days=1)
    data = replace(data, then_vs_now=_then_vs_now(db, account_id, eve, as_of,
                                                  commercial.currency),
                   then_vs_now_days=(eve, as_of))
    # The facts' own risks and summary are the internal ones; qbr_document writes each
    # audience's document (the customer's leaves out what is ours alone).
    meeting = qbr_meetings.follow_up(db, account_id, period, today=today)
    data = replace(data, health_on=now[0] if now else None,
                   commitments_last_qbr=meeting.commitments,
                   last_qbr_on=meeting.previous_held_on, attendees=meeting.attendees,
                   our_attendees=meeting.our_attendees, next_qbr_date=meeting.next_qbr_on)
    found = risks(data, internal=True)
    logo = custom.get("logo") if isinstance(custom.get("logo"), str) else None
    return replace(data, risks=found, summary=summary(data, found, internal=True),
                   customer_logo=logo,
                   whats_new=feedback.whats_new(db, account_id, start, as_of))


def _champion(rows: Sequence[Any], as_of: date) -> Champion:
    """The champion now; if every champion has left (by ``as_of``), the last to leave."""
    here = [name for name, left, on in rows if not (left and (on is None or on <= as_of))]
    if here or not rows:
        return Champion(here[0] if here else None)
    name, _left, on = max(rows, key=lambda r: r[2] or date.min)
    return Champion(None, name, on)


THEN_FIELDS = (("lifecycle_stage", "Lifecycle stage"), ("segment", "Segment"))
CONTRACT_FIELDS = (("seats", "Seats"), ("arr_cents", "ARR"))


def _then_vs_now(db: Database, account_id: int, start: date, as_of: date,
                 currency: str) -> tuple[ThenNow, ...]:
    """The account's stage and segment, and its contracts' seats and ARR, on the eve of the
    period (``start``) and at its end (or today), where the field history holds a change of
    them; a field with no recorded change is left out (its past is not known)."""
    out: list[ThenNow] = []
    with db.read() as s:
        for name, label in THEN_FIELDS:
            if not history.field_history(s, "accounts", account_id, name):
                continue
            then = history.values_as_of(s, "accounts", name, [account_id], start)
            now = history.values_as_of(s, "accounts", name, [account_id], as_of)
            out.append(ThenNow(label, _word(name, then.get(account_id)),
                               _word(name, now.get(account_id))))
        subs = dict(s.execute(select(Subscription.id, Subscription.currency)
                              .where(Subscription.account_id == account_id)).tuples().all())
        if not subs:
            return tuple(out)
        born: dict[int, date] = {}  # contracts an import created, on the day it did
        for c in subs:
            created = history.field_history(s, "subscriptions", c, history.CREATED)
            if created:
                born[c] = min(x.day for x in created)
        for name, label in CONTRACT_FIELDS:
            if name == "arr_cents" and len(set(subs.values())) > 1:
                continue  # contracts in several currencies: not one sum
            if not any(history.field_history(s, "subscriptions", c, name) for c in subs):
                continue
            then_ids = [c for c in subs if c not in born or born[c] <= start]
            now_ids = [c for c in subs if c not in born or born[c] <= as_of]
            before = sum(v or 0 for v in history.values_as_of(
                s, "subscriptions", name, then_ids, start).values())
            after = sum(v or 0 for v in history.values_as_of(
                s, "subscriptions", name, now_ids, as_of).values())
            if name == "arr_cents":
                out.append(ThenNow(label, format_money(before, currency),
                                   format_money(after, currency)))
            else:
                out.append(ThenNow(label, f"{before:,}", f"{after:,}"))
    return tuple(out)


def _word(name: str, value: object) -> str:
    """A stage or segment as every screen names it."""
    if value is None:
        return "—"
    try:
        return Segment(str(value)).label if name == "segment" else \
            LifecycleStage(str(value)).label
    except ValueError:
        return str(value)
