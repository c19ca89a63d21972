"""QBRs as meetings: the record of one held (who came, what was decided, who committed to
what by when), and what the next QBR reports back ("what we said we would do").

A commitment recorded while the account has an active success plan becomes a milestone of
that plan (under the objective :data:`PLAN_OBJECTIVE`, owner side and due date kept), so the
plan and the QBR show one list of promises: completing either completes both
(:func:`complete_commitment` here, ``success_plans.update_node`` for the milestone).
Whether a commitment is done, done late, open or late has one answer:
:func:`commitment_state`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import ConflictError, CsdeskError, ValidationError
from csdesk.models import (
    Account,
    Contact,
    Milestone,
    Objective,
    QbrAttendee,
    QbrCommitment,
    QbrMeeting,
    SuccessPlan,
)
from csdesk.models.enums import MilestoneStatus, ObjectiveStatus, OwnerSide, PlanStatus
from csdesk.services.book.qbr_record import (
    STATE_WORDS,
    CommitmentView,
    QbrMeetingView,
    commitment_state,
    commitment_view,
    latest_qbr_days,
    qbr_meetings,
)
from csdesk.services.formatting import format_date
from csdesk.services.periods import parse_period, quarter_of, shift_quarter

PLAN_OBJECTIVE = "Commitments from our QBRs"
__all__ = ["STATE_WORDS", "CommitmentView", "QbrMeetingView", "commitment_state",
           "latest_qbr_days", "qbr_meetings"]  # read in services.book.qbr_record
SIDES = {"customer": "customer", "ours": "vendor", "us": "vendor", "vendor": "vendor"}


@dataclass(frozen=True)
class NewCommitment:
    """A commitment as typed: ``side`` is "customer" or "vendor" (ours)."""

    who: str
    side: str
    what: str
    due_on: date


@dataclass(frozen=True)
class QbrFollowUp:
    """What the QBR for a period reports back: the previous QBR's commitments and the
    people and next date of the one being prepared."""

    previous_held_on: date | None
    commitments: tuple[CommitmentView, ...]  # the previous QBR's, with their state
    attendees: tuple[str, ...]  # of the QBR being prepared: the customer's people…
    our_attendees: tuple[str, ...]  # …and ours
    next_qbr_on: date | None


def parse_commitment(text: str) -> NewCommitment:
    """``"who|side|what|YYYY-MM-DD"`` (side: customer or ours) → a commitment."""
    parts = [p.strip() for p in text.split("|")]
    if len(parts) != 4:
        raise ValidationError("commitment", f"a commitment is who|side|what|YYYY-MM-DD, not "
                                            f"{text!r}")
    who, side, what, due = parts
    try:
        day = date.fromisoformat(due)
    except ValueError:
        raise ValidationError("due_on", f"{due!r} is not a date (YYYY-MM-DD)") from None
    return NewCommitment(who, side, what, day)


def _checked(c: NewCommitment) -> NewCommitment:
    side = SIDES.get(c.side.strip().lower())
    if side is None:
        raise ValidationError("side", f"a commitment's side is customer or ours, not "
                                      f"{c.side!r}")
    if not c.who.strip():
        raise ValidationError("who", "a commitment needs who made it")
    if not c.what.strip():
        raise ValidationError("what", "a commitment needs what was promised")
    if len(c.what.strip()) > 500:
        raise ValidationError("what", "a commitment is at most 500 characters")
    return NewCommitment(c.who.strip(), side, c.what.strip(), c.due_on)


def _names(values: Sequence[str]) -> list[str]:
    return [v.strip() for v in values if v and v.strip()]


def _set_attendees(s: Session, m: QbrMeeting, names: Sequence[str],
                   contact_ids: Sequence[int]) -> None:
    """The customer's attendees: contacts by id, and names (a name that is a contact of the
    account is linked to it)."""
    contacts = {cid: name for cid, name in s.execute(
        select(Contact.id, Contact.name).where(Contact.account_id == m.account_id))}
    by_name = {name.casefold(): cid for cid, name in contacts.items()}
    wanted: list[tuple[int | None, str]] = []
    for given in contact_ids:
        if given not in contacts:
            raise ValidationError("attendees", f"contact {given} is not one of this account's")
        wanted.append((given, contacts[given]))
    for name in _names(names):
        wanted.append((by_name.get(name.casefold()), name))
    seen: set[str] = set()
    m.attendees.clear()
    for cid, name in wanted:
        if name.casefold() in seen:
            continue
        seen.add(name.casefold())
        m.attendees.append(QbrAttendee(position=len(m.attendees), contact_id=cid,
                                       name=name[:255]))


def _check_day(held_on: date, next_qbr_on: date | None) -> None:
    if held_on > clock.today():
        raise ValidationError("held_on", f"a QBR is recorded once held; {format_date(held_on)} "
                                         "is in the future")
    if next_qbr_on is not None and next_qbr_on <= held_on:
        raise ValidationError("next_qbr_on", "the next QBR comes after this one")


def record_qbr(db: Database, account_id: int, held_on: date, *,
               attendees: Sequence[str] = (), attendee_contact_ids: Sequence[int] = (),
               our_attendees: Sequence[str] = (), decisions: Sequence[str] = (),
               commitments: Sequence[NewCommitment] = (), next_qbr_on: date | None = None,
               notes: str | None = None) -> int:
    """Record a QBR held on ``held_on`` (one per account and quarter); return its id.

    Its commitments join the account's active success plan, if it has one.
    """
    _check_day(held_on, next_qbr_on)
    checked = [_checked(c) for c in commitments]
    quarter = quarter_of(held_on)
    with db.write() as s:
        if s.get(Account, account_id) is None:
            raise CsdeskError(f"no account {account_id}")
        if s.scalar(select(QbrMeeting.id).where(QbrMeeting.account_id == account_id,
                                                QbrMeeting.quarter == quarter)) is not None:
            raise ValidationError("held_on", f"a QBR is already recorded for {quarter} "
                                             "(one per quarter): delete it first to record "
                                             "it again")
        m = QbrMeeting(account_id=account_id, held_on=held_on, quarter=quarter,
                       our_attendees=_names(our_attendees), decisions=_names(decisions),
                       documents=[], next_qbr_on=next_qbr_on,
                       notes=(notes or "").strip() or None)
        s.add(m)
        _set_attendees(s, m, attendees, attendee_contact_ids)
        try:
            s.flush()
        except IntegrityError:  # recorded elsewhere a moment ago
            raise ValidationError("held_on", f"a QBR is already recorded for {quarter} "
                                             "(one per quarter): delete it first to record "
                                             "it again") from None
        for c in checked:
            _add_commitment(s, m, c)
        return m.id


def update_qbr(db: Database, meeting_id: int, expected_version: int, *, held_on: date,
               attendees: Sequence[str] = (), attendee_contact_ids: Sequence[int] = (),
               our_attendees: Sequence[str] = (), decisions: Sequence[str] = (),
               next_qbr_on: date | None = None, notes: str | None = None) -> int:
    """Change a recorded QBR (its commitments are added and completed on their own);
    return its new version."""
    _check_day(held_on, next_qbr_on)
    with db.write() as s:
        m = s.get(QbrMeeting, meeting_id)
        if m is None:
            raise ConflictError("this QBR was deleted elsewhere; reload")
        if m.version != expected_version:
            raise ConflictError("someone else changed this QBR since you opened it; your edit "
                                "was not saved")
        quarter = quarter_of(held_on)
        if quarter != m.quarter and s.scalar(select(QbrMeeting.id).where(
                QbrMeeting.account_id == m.account_id, QbrMeeting.quarter == quarter)):
            raise ValidationError("held_on", f"a QBR is already recorded for {quarter}")
        m.held_on, m.quarter, m.next_qbr_on = held_on, quarter, next_qbr_on
        m.our_attendees, m.decisions = _names(our_attendees), _names(decisions)
        m.notes = (notes or "").strip() or None
        _set_attendees(s, m, attendees, attendee_contact_ids)
        s.flush()
        return m.version


def delete_qbr(db: Database, meeting_id: int) -> int:
    """Remove a QBR record (one recorded by mistake) with its commitments; the plan
    milestones they became and that are not done leave the plan with them (a done one stays:
    the plan's history). Returns how many milestones left the plan."""
    with db.write() as s:
        m = s.get(QbrMeeting, meeting_id)
        if m is None:
            return 0
        steps = [c.milestone_id for c in m.commitments if c.milestone_id is not None]
        s.delete(m)
        s.flush()
        removed = 0
        for step in steps:
            milestone = s.get(Milestone, step)
            if milestone is not None and milestone.status != MilestoneStatus.DONE:
                s.delete(milestone)
                removed += 1
        return removed


def add_document(db: Database, meeting_id: int, kind: str, path: str) -> None:
    """Note a document produced for the QBR (a PDF, a deck…)."""
    with db.write() as s:
        m = s.get(QbrMeeting, meeting_id)
        if m is None:
            raise CsdeskError(f"no QBR {meeting_id}")
        m.documents = [*(m.documents or []), {"kind": kind, "path": str(path)}]


def note_document(db: Database, account_id: int, period: str, kind: str, path: str
                  ) -> date | None:
    """A QBR document for ``period`` was written: note it on the QBR reviewing that period
    (held in the quarter after it), where one is recorded; return the day it was held.
    Written again under the same name, it is noted once."""
    review_quarter = shift_quarter(period, 1)
    with db.write() as s:
        m = s.scalars(select(QbrMeeting).where(QbrMeeting.account_id == account_id,
                                               QbrMeeting.quarter == review_quarter)).first()
        if m is None:
            return None
        kept = [d for d in (m.documents or []) if d.get("path") != str(path)]
        m.documents = [*kept, {"kind": kind, "path": str(path)}]
        return m.held_on


def add_commitment(db: Database, meeting_id: int, commitment: NewCommitment) -> int:
    checked = _checked(commitment)
    with db.write() as s:
        m = s.get(QbrMeeting, meeting_id)
        if m is None:
            raise CsdeskError(f"no QBR {meeting_id}")
        return _add_commitment(s, m, checked)


def _add_commitment(s: Session, m: QbrMeeting, c: NewCommitment) -> int:
    row = QbrCommitment(position=len(m.commitments), side=OwnerSide(c.side), who=c.who,
                        what=c.what, due_on=c.due_on)
    m.commitments.append(row)
    row.milestone_id = _plan_milestone(s, m.account_id, row)
    s.flush()
    return row.id


def _plan_milestone(s: Session, account_id: int, c: QbrCommitment) -> int | None:
    """The milestone a commitment becomes in the account's active plan (None: no plan)."""
    plan = s.scalars(select(SuccessPlan).where(SuccessPlan.account_id == account_id,
                                               SuccessPlan.status == PlanStatus.ACTIVE)
                     .order_by(SuccessPlan.period_start.desc())).first()
    if plan is None or c.due_on < plan.period_start:
        return None  # no plan, or due before it starts (a plan's steps fall within it)
    objective = next((o for o in plan.objectives if o.title == PLAN_OBJECTIVE), None)
    if objective is None:
        objective = Objective(position=len(plan.objectives), title=PLAN_OBJECTIVE,
                              status=ObjectiveStatus.ON_TRACK, owner_side=OwnerSide.VENDOR)
        plan.objectives.append(objective)
    milestone = Milestone(position=len(objective.milestones), title=f"{c.what} ({c.who})"[:500],
                          due_date=c.due_on, owner_side=c.side,
                          status=MilestoneStatus.DONE if c.done_on else MilestoneStatus.PLANNED,
                          done_date=c.done_on)
    objective.milestones.append(milestone)
    s.flush()
    return milestone.id


def complete_commitment(db: Database, commitment_id: int, on: date | None = None
                        ) -> CommitmentView:
    """Mark a commitment done (``on`` a day, default today), and its plan milestone too."""
    today = clock.today()
    on = on or today
    if on > today:
        raise ValidationError("done_on", f"{format_date(on)} is in the future")
    with db.write() as s:
        c = s.get(QbrCommitment, commitment_id)
        if c is None:
            raise CsdeskError(f"no commitment {commitment_id}")
        c.done_on = on
        if c.milestone_id is not None:
            ms = s.get(Milestone, c.milestone_id)
            if ms is not None:
                ms.status, ms.done_date = MilestoneStatus.DONE, on
        s.flush()
        return commitment_view(c, today)


def sync_from_milestone(s: Session, milestone: Milestone) -> None:
    """A plan milestone was completed or reopened: the commitment it came from follows."""
    done = milestone.done_date if milestone.status == MilestoneStatus.DONE else None
    for c in s.scalars(select(QbrCommitment).where(QbrCommitment.milestone_id == milestone.id)):
        if c.done_on != done:
            c.done_on = done


def follow_up(db: Database, account_id: int, period: str, *, today: date | None = None
              ) -> QbrFollowUp:
    """For the QBR reviewing ``period`` (held in the quarter after it): the previous QBR's
    commitments with done / late as of today, and the attendees and next date of the QBR
    being prepared, where it is recorded."""
    today = today or clock.today()
    review_quarter = shift_quarter(period, 1)
    meetings = qbr_meetings(db, account_id, today=today)
    current = next((m for m in meetings if m.quarter == review_quarter), None)
    cutoff = current.held_on if current else parse_period(review_quarter)[1] + timedelta(1)
    previous = next((m for m in meetings if m.held_on < cutoff
                     and (current is None or m.id != current.id)), None)
    return QbrFollowUp(
        previous.held_on if previous else None,
        previous.commitments if previous else (),
        current.attendees if current else (), current.our_attendees if current else (),
        current.next_qbr_on if current else (previous.next_qbr_on if previous else None))
