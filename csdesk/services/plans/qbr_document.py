"""What a QBR says, and to whom: every decision a QBR document makes, as data.

:func:`qbr_document` turns the facts of :func:`csdesk.services.plans.qbr.qbr_data` into the
document for one audience: the sections in order (a section with nothing to say is left
out, so no heading ever stands over nothing), their headlines, sentences, tables and notes.
The PDF (``csdesk.reports.qbr_pdf``) and any later deck only lay this out; they decide
nothing about what the customer may see.

The rules, held here and said in the README:

- The customer's version never shows our health score or band, the renewal (date, track,
  likelihood, forecast), the commercial section or the CSM's own calls; the internal version
  is marked "Internal: not for the customer" on every page.
- Value delivered is shown to the customer as a multiple of the annual subscription only
  when it is at least 1× (``MULTIPLE_SHOWN_FROM``); below, the customer sees the value alone
  and the internal version shows the multiple with the rule noted.
- Next quarter's plan lists the milestones due from the review's day to the end of next
  quarter; milestones already overdue go in their own "Overdue" list. The customer's version
  leaves out a milestone more than ``CUSTOMER_OVERDUE_DAYS`` days overdue (it is re-planned
  internally first); the internal version lists every one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from csdesk.services.formatting import (
    NOT_ENOUGH_HINT,
    counted,
    format_date,
    format_money,
    format_money_both,
    format_number,
)
from csdesk.services.periods import parse_period, shift_quarter

if TYPE_CHECKING:
    from csdesk.services.plans.qbr import QbrData

INTERNAL_MARK = "Internal: not for the customer"
MULTIPLE_SHOWN_FROM = 1.0  # the customer sees value as a multiple of the subscription from 1×
CUSTOMER_OVERDUE_DAYS = 90  # a milestone overdue longer is left out of the customer's QBR


@dataclass(frozen=True)
class Risk:
    risk: str
    mitigation: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[int, ...]  # relative
    right: tuple[int, ...] = ()  # columns set right (numbers)
    warn: tuple[tuple[int, int], ...] = ()  # (row, column) cells that read as a warning


@dataclass(frozen=True)
class ObjectiveLine:
    title: str
    status: str  # "Achieved", "On track", …
    measure: str | None  # "Days to close: baseline 9 → now 4 → target 4 days"
    bar: float | None  # 0–1, agreeing with ``status`` (success_plans.objective_state)
    bar_label: str
    note: str | None = None  # internal only: the CSM's call against the numbers


@dataclass(frozen=True)
class Section:
    """One heading and what stands under it (never nothing)."""

    key: str  # attendees, summary, commercial, then_now, objectives, commitments, value,
    #           usage, support, whats_new, risks, next_quarter, asks, overdue, next_qbr
    title: str
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    objectives: tuple[ObjectiveLine, ...] = ()
    charts: bool = False  # the usage charts (from QbrDocument.usage)
    table: Table | None = None
    notes: tuple[str, ...] = ()  # small print under the rest
    # the "so what" in one line, written from the data (a deck's slide headline); None
    # where the section has no single message
    headline: str | None = None


@dataclass(frozen=True)
class QbrDocument:
    internal: bool
    title: str  # the document's (PDF metadata)
    kind: str  # on the cover: "Quarterly business review" (· internal)
    customer: str
    period_line: str
    owner: str | None
    customer_logo: str | None
    page_mark: str | None  # printed on every page (the internal version's warning)
    sections: tuple[Section, ...]
    # (date, active users, seats, key events, features used) for the usage charts
    usage: tuple[tuple[date, int | None, int | None, int | None, int | None], ...] = ()

    def prepared_line(self, company: str) -> str:
        return f"Prepared for {self.customer} by {company}" + (
            f" · {self.owner}" if self.owner else "")

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


def nice(value: str | None) -> str:
    return (value or "—").replace("_", " ").capitalize()


def multiple_for_customer(roi: float | None) -> float | None:
    """The value-to-subscription multiple the customer may see: from 1× only (a 0.2× reads
    as a poor return on a programme still ramping up; the value itself is shown)."""
    return roi if roi is not None and roi >= MULTIPLE_SHOWN_FROM else None


def _multiple(roi: float | None, internal: bool) -> str:
    """" (2.1× the annual subscription)", or "" where it is not shown."""
    if roi is None:
        return ""
    if not internal:
        shown = multiple_for_customer(roi)
        return "" if shown is None else f" ({shown:.1f}× the annual subscription)"
    rule = ("" if roi >= MULTIPLE_SHOWN_FROM else
            f"; below {MULTIPLE_SHOWN_FROM:.0f}×, the customer's version shows the value alone")
    return f" ({roi:.1f}× the annual subscription{rule})"


def _left(d: QbrData) -> str:
    c = d.champion
    return f"{c.left} left on {format_date(c.left_on)}" if c.left_on else f"{c.left} left"


def risks(d: QbrData, *, internal: bool) -> tuple[Risk, ...]:
    """The risks to discuss, each with its mitigation, for one audience."""
    out: list[Risk] = []
    champ = d.champion
    if internal and d.band_now in ("red", "yellow"):
        score = f" ({d.health_now:.0f} of 100)" if d.health_now is not None else ""
        if champ.left:
            with_whom = (f"Find a new champion: {_left(d)}; with them, work on the inputs "
                         "pulling the score down")
        elif champ.current:
            with_whom = (f"Work on the inputs pulling the score down with {champ.current}, "
                         "the champion")
        else:
            with_whom = ("Name a champion at the customer, then work on the inputs pulling "
                         "the score down with them")
        out.append(Risk(f"Health is {d.band_now}{score}{_scored_on(d)}.",
                        f"{with_whom}; review health again in 30 days."))
    if champ.left:
        out.append(Risk(f"The champion, {_left(d)}; nobody holds the role now." if internal
                        else f"{_left(d)}; the programme has no champion on your side now.",
                        f"Find a new champion: {_left(d)}. Ask the executive sponsor who "
                        "should lead adoption now." if internal else
                        "Name a new champion to lead adoption on your side; we will bring "
                        "them up to speed."))
    if d.quarters and d.quarters[-1].seats and d.quarters[-1].active_users is not None:
        q = d.quarters[-1]
        assert q.active_users is not None and q.seats  # checked just above
        use = q.active_users / q.seats
        if use < 0.6:
            out.append(Risk(f"Only {use:.0%} of licensed seats were active in {q.label}.",
                            "Run enablement for the teams not yet using the product, and "
                            "agree an adoption target in the success plan."))
    if len(d.quarters) >= 2 and d.quarters[-1].key_events and d.quarters[-2].key_events:
        change = d.quarters[-1].key_events / d.quarters[-2].key_events - 1
        if change <= -0.15:
            out.append(Risk(f"Key value events fell {-change:.0%} against the quarter before.",
                            "Find which teams or workflows dropped and agree a recovery "
                            "step with their leads."))
    late = overdue_milestones(d, internal=internal)
    if late:
        out.append(Risk(f"{counted(len(late), 'plan milestone')} "
                        f"{'is' if len(late) == 1 else 'are'} overdue, the first "
                        f"“{late[0].title}”.",
                        "Agree new dates and owners for each one at this review."))
    if d.support.escalations:
        out.append(Risk(f"{counted(d.support.escalations, 'support escalation')} this quarter.",
                        "Review root causes with support and confirm the fixes with the "
                        "customer." if internal else
                        "We review the root causes with support and confirm each fix with "
                        "you."))
    renewal = d.commercial.renewal_date
    as_of = d.as_of or d.period_end
    if internal and renewal and (renewal - as_of).days <= 120 and d.band_now != "green":
        out.append(Risk(f"Renewal on {renewal:%d %b %Y} with health not yet green.",
                        "Start the renewal conversation now with the economic buyer, "
                        "leading with the value delivered."))
    return tuple(out)


def summary(d: QbrData, found: tuple[Risk, ...], *, internal: bool) -> tuple[str, ...]:
    """The executive summary's lines, written from the data, for one audience."""
    lines = []
    if internal and d.health_now is not None:
        trend = ""
        if d.health_before is not None:
            delta = d.health_now - d.health_before
            points = counted(round(abs(delta)), "point")
            trend = (f", up {points} over the quarter" if delta >= 1 else
                     f", down {points} over the quarter" if delta <= -1 else
                     ", steady over the quarter")
        lines.append(f"Health is {d.health_now:.0f} of 100 ({d.band_now}){_scored_on(d)}"
                     f"{trend}.")
    elif internal and d.health_note:
        lines.append(f"Health is not scored: {d.health_note} yet ({NOT_ENOUGH_HINT}).")
    if (objectives := _objectives_line(d)) is not None:
        lines.append(objectives)
    value = d.value.totals
    if value.note:
        lines.append(f"Value delivered cannot be totalled: {value.note}.")
    elif value.to_date_cents:
        lines.append(f"Value delivered: {format_money(d.value_in_period_cents, value.currency)}"
                     f" this quarter and {format_money(value.to_date_cents, value.currency)} "
                     f"to date{_multiple(value.roi, internal)}.")
    if (usage := _usage_line(d)) is not None:
        lines.append(usage)
    if internal and d.commercial.renewal_date:
        lines.append(f"The subscription renews on {format_date(d.commercial.renewal_date)}.")
    if found:
        lines.append("1 risk to discuss, with its mitigation below." if len(found) == 1 else
                     f"{counted(len(found), 'risk')} to discuss, each with a mitigation below.")
    return tuple(lines)


def _scored_on(d: QbrData) -> str:
    """The day the quarter's score was taken, so that a score since changed (the book shows
    today's) is not read as a contradiction."""
    return f", scored {format_date(d.health_on)}" if d.health_on is not None else ""


def _objectives_line(d: QbrData) -> str | None:
    """"2 of 3 objectives achieved; outcomes are on average 80% of the way to target." """
    if d.plan is None or not d.plan.objectives:
        return None
    achieved = sum(1 for o in d.plan.objectives if o.status == "achieved")
    progress = (f"; outcomes are on average {d.plan.outcome_progress:.0%} of the way to "
                "target" if d.plan.outcome_progress is not None else "")
    return (f"{achieved} of {counted(len(d.plan.objectives), 'objective')} "
            f"achieved{progress}.")


def _usage_line(d: QbrData) -> str | None:
    """"On average 41 active users of 50 seats in 2026Q3." """
    q = d.quarters[-1] if d.quarters else None
    if q is None or q.active_users is None:
        return None
    seats = f" of {counted(round(q.seats), 'seat')}" if q.seats else ""
    return f"On average {counted(round(q.active_users), 'active user')}{seats} in {q.label}."


@dataclass(frozen=True)
class _Step:
    title: str
    objective: str
    owner_side: str
    due_date: date | None
    days_overdue: int


def _open_milestones(d: QbrData) -> list[_Step]:
    as_of = d.as_of or d.period_end
    out = []
    for o in d.plan.objectives if d.plan is not None else ():
        for m in o.milestones:
            if m.status != "done":
                late = (as_of - m.due_date).days if m.due_date and m.due_date < as_of else 0
                out.append(_Step(m.title, o.title, m.owner_side, m.due_date, late))
    out.sort(key=lambda n: (n.due_date or date.max, n.title))
    return out


def next_quarter_end(d: QbrData) -> date:
    return parse_period(shift_quarter(d.period, 1))[1]


def next_quarter_milestones(d: QbrData) -> list[_Step]:
    """Open milestones due from the review's day to the end of next quarter."""
    end = next_quarter_end(d)
    return [n for n in _open_milestones(d)
            if n.due_date is not None and not n.days_overdue and n.due_date <= end]


def overdue_milestones(d: QbrData, *, internal: bool) -> list[_Step]:
    """Open milestones past their due date; the customer's version only those overdue by
    ``CUSTOMER_OVERDUE_DAYS`` days or fewer."""
    return [n for n in _open_milestones(d) if n.days_overdue
            and (internal or n.days_overdue <= CUSTOMER_OVERDUE_DAYS)]


def _owner(side: str) -> str:
    return {"customer": "Your team", "vendor": "Us"}.get(side, nice(side))


def qbr_document(d: QbrData, *, internal: bool = False) -> QbrDocument:
    """The QBR for ``internal`` (our team) or the customer: each section that has something
    to say, in order."""
    h = d.header
    found = risks(d, internal=internal)
    sections: list[Section] = []
    if d.attendees or d.our_attendees:
        people = [f"{label}: {', '.join(names)}" for label, names in
                  (("Your team", d.attendees), ("Us", d.our_attendees)) if names]
        sections.append(Section("attendees", "Attendees", bullets=tuple(people)))
    lines = summary(d, found, internal=internal)
    if lines:
        sections.append(Section("summary", "Executive summary", bullets=lines))

    # Internal: the renewal next to the summary, where our team looks first
    if internal:
        c = d.commercial
        facts = (f"Renewal date: {format_date(c.renewal_date)}",
                 "Current ARR: " + format_money_both(c.current_arr_cents, c.currency,
                                                     c.current_arr_base_cents, c.base_currency),
                 f"Forecast ARR: {format_money(c.forecast_arr_cents, c.currency)}",
                 f"Likelihood: {'—' if c.likelihood is None else f'{c.likelihood:.0%}'}",
                 f"Track: {nice(c.track)}")
        opportunities = (Table(("Opportunity", "Kind", "Amount"),
                               tuple((title, nice(kind), format_money(cents, currency))
                                     for title, kind, cents, currency in c.open_opportunities),
                               (60, 20, 20), right=(2,))
                         if c.open_opportunities else None)
        sections.append(Section("commercial", "Renewal and commercial (internal)",
                                paragraphs=facts, table=opportunities))

    rows = [t for t in d.then_vs_now if internal or t.label == "Seats"]
    if rows and d.then_vs_now_days:
        then_day, now_day = d.then_vs_now_days
        sections.append(Section("then_now", "Then and now", table=Table(
            ("", f"On {format_date(then_day)}", f"On {format_date(now_day)}"),
            tuple((t.label, t.then, t.now) for t in rows), (34, 33, 33))))

    said = _said_we_would_do(d)
    if said is not None:
        sections.append(said)

    if d.plan is not None and d.plan.objectives:
        objectives = []
        for o in d.plan.objectives:
            measure = None
            if o.baseline is not None and o.target is not None:
                unit = f" {o.kpi_unit}" if o.kpi_unit else ""
                measure = (f"{o.kpi_name or 'Measure'}: baseline {format_number(o.baseline)} "
                           f"→ now {format_number(o.current)} → target "
                           f"{format_number(o.target)}{unit}")
            note = (f"Status set by the CSM; the numbers say {nice(o.computed_status)}."
                    if internal and o.status_overridden else None)
            # "At risk" is our renewal track's word too: the customer reads "Behind plan"
            status = nice(o.status) if internal or o.status != "at_risk" else "Behind plan"
            objectives.append(ObjectiveLine(o.title, status, measure, o.bar,
                                            o.bar_label, note))
        sections.append(Section("objectives", "Objectives and progress",
                                objectives=tuple(objectives),
                                headline=_objectives_line(d)))

    value = _value_section(d, internal)
    if value is not None:
        sections.append(value)

    if d.usage:
        sections.append(Section("usage", "Adoption and usage", charts=True, table=Table(
            ("Quarter", "Active users", "Seats", "Use of seats", "Key events / week",
             "Features used"),
            tuple((q.label, format_number(round(q.active_users or 0)),
                   format_number(round(q.seats or 0)),
                   f"{q.active_users / q.seats:.0%}" if q.seats and q.active_users is not None
                   else "—", format_number(round(q.key_events or 0)),
                   format_number(round(q.features_used or 0, 1))) for q in d.quarters),
            (14, 16, 12, 14, 18, 14), right=(1, 2, 3, 4, 5)), headline=_usage_line(d)))

    sp = d.support
    if sp.opened or sp.closed or sp.open_now:
        days = sp.median_days_to_close
        median = (f"; the median time to close was {counted(round(days), 'day')}"
                  if days is not None else "")
        sections.append(Section("support", "Support", paragraphs=(
            f"{counted(sp.opened, 'ticket')} opened and {sp.closed:,} closed this "
            f"quarter{median}. High or urgent priority: {sp.urgent_or_high}; escalated: "
            f"{sp.escalations}; open at the end of the period: {sp.open_now}.",)))

    if (new := _whats_new_section(d, internal)) is not None:
        sections.append(new)

    if found:
        sections.append(Section("risks", "Risks and mitigation", table=Table(
            ("Risk", "Mitigation"), tuple((x.risk, x.mitigation) for x in found), (45, 55)),
            headline=("1 risk to discuss, with its mitigation." if len(found) == 1 else
                      f"{counted(len(found), 'risk')} to discuss, each with a mitigation.")))

    sections.append(_next_quarter(d, internal))
    late = overdue_milestones(d, internal=internal)
    asks = asks_and_decisions(d, late)
    if asks is not None:
        sections.append(asks)
    if late:
        notes: tuple[str, ...] = ()
        if internal:
            hidden = [n for n in late if n.days_overdue > CUSTOMER_OVERDUE_DAYS]
            if hidden:
                notes = (f"The customer's version leaves out "
                         f"{counted(len(hidden), 'milestone')} overdue by more than "
                         f"{CUSTOMER_OVERDUE_DAYS} days: re-plan "
                         f"{'it' if len(hidden) == 1 else 'them'} before the review.",)
        sections.append(Section(
            "overdue", "Overdue: to re-plan at this review",
            table=Table(("Milestone", "Objective", "Owner", "Was due"),
                        tuple((n.title, n.objective, _owner(n.owner_side),
                               f"{format_date(n.due_date)} "
                               f"({counted(n.days_overdue, 'day')} overdue)") for n in late),
                        (34, 34, 12, 20), warn=tuple((i, 3) for i in range(len(late)))),
            notes=notes))

    if d.next_qbr_date is not None:
        when = f"The next review is agreed for {format_date(d.next_qbr_date)}."
        sections.append(Section("next_qbr", "Next QBR", paragraphs=(when,), headline=when))

    period = f"{d.period[-2:]} {d.period[:4]}"
    return QbrDocument(
        internal, f"Quarterly business review — {h.name} — {d.period}",
        "Quarterly business review" + (" · internal" if internal else ""), h.name,
        f"{period} · {format_date(d.period_start)} to {format_date(d.period_end)}",
        h.owner, d.customer_logo, INTERNAL_MARK if internal else None, tuple(sections),
        d.usage)


def _said_we_would_do(d: QbrData) -> Section | None:
    """The previous QBR's commitments and what became of them (customer-safe: the words
    said in the room, their owners and dates); None when there were none."""
    rows = d.commitments_last_qbr
    if not rows:
        return None
    done = sum(c.state in ("done", "done_late") for c in rows)
    late = sum(c.state in ("late", "done_late") for c in rows)
    headline = (f"{done} of {counted(len(rows), 'commitment')} from the "
                f"{format_date(d.last_qbr_on)} review done" +
                (f"; {late} late" if late else ", all on time" if done == len(rows) else "") +
                ".")
    return Section("commitments", "What we said we would do", table=Table(
        ("What", "Who", "By", "State"),
        tuple((c.what, f"{c.who} ({_owner(c.side).lower()})", format_date(c.due_on),
               c.state_label + (f" ({format_date(c.done_on)})" if c.done_on else ""))
              for c in rows),
        (36, 24, 14, 26), warn=tuple((i, 3) for i, c in enumerate(rows)
                                     if c.state in ("late", "done_late"))),
        headline=headline)


def _value_section(d: QbrData, internal: bool) -> Section | None:
    t = d.value.totals
    in_period = [e for e in d.value.entries if d.period_start <= e.occurred_on <= d.period_end]
    shown = in_period or list(d.value.entries[:5])
    if not (t.note or t.to_date_cents or shown):
        return None
    if t.note:
        headline = f"Value delivered cannot be totalled: {t.note}."
    else:
        # the customer's currency; the base beside only in the internal version
        to_date = (format_money_both(t.to_date_cents, t.currency, t.to_date_base_cents,
                                     t.base_currency) if internal
                   else format_money(t.to_date_cents, t.currency))
        headline = (f"This quarter {format_money(d.value_in_period_cents, t.currency)} · to "
                    f"date {to_date}{_multiple(t.roi, internal)}.")
    notes = ("No new outcomes were logged this quarter; the most recent:",) \
        if shown and not in_period else ()
    table = Table(("Date", "Outcome", "Worth", "Confirmed by"),
                  tuple((format_date(e.occurred_on), e.title,
                         format_money(e.value_cents, e.currency), e.confirmed_by or "—")
                        for e in shown), (14, 46, 14, 26), right=(2,)) if shown else None
    return Section("value", "Value delivered", paragraphs=(headline, *notes), table=table,
                   headline=headline)


RENEWAL_ASK_DAYS = 180  # a renewal this close to the review is a decision to prepare there


def asks_and_decisions(d: QbrData, late: list[_Step]) -> Section | None:
    """What the review must settle: decisions (overdue work to re-plan, no plan yet, the
    renewal coming up) and asks of the customer's team (its milestones next quarter).
    Customer-safe in both audiences: facts of the plan and the contract, no forecast."""
    decisions: list[str] = []  # (no plan yet is said under "Next quarter", not twice)
    if late:
        decisions.append(f"Re-plan {counted(len(late), 'overdue milestone')} (listed below): "
                         "a new date, or drop " + ("it." if len(late) == 1 else "them."))
    renewal = d.commercial.renewal_date
    as_of = d.as_of or d.period_end
    if renewal is not None and 0 <= (renewal - as_of).days <= RENEWAL_ASK_DAYS:
        decisions.append(f"The subscription renews on {format_date(renewal)}: agree what "
                         "the next term must deliver.")
    theirs = [n for n in next_quarter_milestones(d) if n.owner_side == "customer"]
    asks = [f"{n.title} (your team, by {format_date(n.due_date)})" for n in theirs[:5]]
    if len(theirs) > 5:
        asks.append(f"and {counted(len(theirs) - 5, 'more milestone')} (in the plan above)")
    if not decisions and not asks:
        return None
    parts = [counted(len(decisions), "decision") if decisions else "",
             counted(len(theirs), "ask") + " of your team" if theirs else ""]
    headline = " and ".join(p for p in parts if p) + " for this review."
    return Section("asks", "Asks and decisions", bullets=(*decisions, *asks),
                   headline=headline[:1].upper() + headline[1:])


def _whats_new_section(d: QbrData, internal: bool) -> Section | None:
    """"You asked, we shipped", the period's product updates, then the roadmap; left out
    when all are empty. The roadmap is customer-safe: titles and status words only, the
    internal note in our version alone."""
    new = d.whats_new
    if not new:
        return None
    bullets = [f"You asked, we shipped: {i.title} ({format_date(i.shipped_on)})"
               for i in new.shipped]
    bullets += [f"{u.title} (released {format_date(u.released_on)})"
                + (f": {u.description}" if u.description else "") for u in new.updates]
    for r in new.roadmap:  # one line each, the account's own asks first
        why = [r.status_label.lower()] + (["you asked for it"] if r.asked_by_account else [])
        note = (f" [internal note: {r.internal_note}]" if internal and r.internal_note
                else "")
        bullets.append(f"On the roadmap: {r.title} ({', '.join(why)}){note}")
    if new.roadmap_more:
        bullets.append(f"On the roadmap: and {new.roadmap_more} more")
    headline = (f"{counted(len(new.shipped), 'request')} you asked for shipped this quarter."
                if new.shipped else None)
    return Section("whats_new", "What's new", bullets=tuple(bullets), headline=headline)


def _next_quarter(d: QbrData, internal: bool) -> Section:
    end = next_quarter_end(d)
    steps = next_quarter_milestones(d)
    title = f"Next quarter: plan and asks (to {format_date(end)})"
    if d.plan is None or not d.plan.objectives:
        return Section("next_quarter", title, paragraphs=(
            "There is no success plan with objectives yet; agreeing one is the first step "
            "for next quarter.",))
    if not steps:
        return Section("next_quarter", title, paragraphs=(
            "No plan milestone falls due next quarter; the next steps are to be agreed at "
            "this review.",))
    # the customer's own milestones are listed as asks under "Asks and decisions"
    return Section("next_quarter", title, table=Table(
        ("Milestone", "Objective", "Owner", "Due"),
        tuple((n.title, n.objective, _owner(n.owner_side), format_date(n.due_date))
              for n in steps), (34, 38, 12, 16)))
