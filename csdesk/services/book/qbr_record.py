"""Recorded QBRs as they read: each meeting with its attendees, decisions and commitments,
and the one answer to whether a commitment is done, done late, open or late.

Recording and changing them is ``services.plans.qbr_meetings``; this reading side sits
here, below both the plans and the worklist (whose "QBR due" rule reads it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from csdesk import clock
from csdesk.db import Database
from csdesk.models import Activity, QbrCommitment, QbrMeeting
from csdesk.models.enums import ActivityKind

STATE_WORDS = {"done": "Done", "done_late": "Done late", "open": "Open", "late": "Late"}


@dataclass(frozen=True)
class CommitmentView:
    id: int
    meeting_id: int
    side: str  # customer | vendor
    who: str
    what: str
    due_on: date
    done_on: date | None
    state: str  # done | done_late | open | late (commitment_state, as of the day read)
    milestone_id: int | None
    version: int

    @property
    def state_label(self) -> str:
        return STATE_WORDS[self.state]


@dataclass(frozen=True)
class QbrMeetingView:
    id: int
    account_id: int
    quarter: str
    held_on: date
    attendees: tuple[str, ...]  # the customer's people
    attendee_contact_ids: tuple[int | None, ...]  # beside ``attendees``
    our_attendees: tuple[str, ...]
    decisions: tuple[str, ...]
    documents: tuple[tuple[str, str], ...]  # (kind, path)
    next_qbr_on: date | None
    notes: str | None
    commitments: tuple[CommitmentView, ...]
    version: int


def commitment_state(due_on: date, done_on: date | None, today: date | None = None) -> str:
    """The one answer to "did we (or they) do it": done, done late, open or late."""
    if done_on is not None:
        return "done" if done_on <= due_on else "done_late"
    return "late" if due_on < (today or clock.today()) else "open"


def commitment_view(c: QbrCommitment, today: date) -> CommitmentView:
    return CommitmentView(c.id, c.meeting_id, c.side.value, c.who, c.what, c.due_on,
                          c.done_on, commitment_state(c.due_on, c.done_on, today),
                          c.milestone_id, c.version)


def _view(m: QbrMeeting, today: date) -> QbrMeetingView:
    return QbrMeetingView(
        m.id, m.account_id, m.quarter, m.held_on, tuple(a.name for a in m.attendees),
        tuple(a.contact_id for a in m.attendees), tuple(m.our_attendees or ()),
        tuple(m.decisions or ()),
        tuple((str(d.get("kind", "")), str(d.get("path", ""))) for d in m.documents or ()),
        m.next_qbr_on, m.notes, tuple(commitment_view(c, today) for c in m.commitments),
        m.version)


def qbr_meetings(db: Database, account_id: int, *, today: date | None = None
                 ) -> list[QbrMeetingView]:
    """An account's recorded QBRs, the latest first."""
    today = today or clock.today()
    with db.read() as s:
        return [_view(m, today) for m in s.scalars(
            select(QbrMeeting).where(QbrMeeting.account_id == account_id)
            .order_by(QbrMeeting.held_on.desc()))]


def latest_qbr_days(db: Database, as_of: date, account_ids: list[int] | None = None
                    ) -> dict[int, date]:
    """Each account's latest QBR held on or before ``as_of``: a recorded QBR meeting, or a
    QBR on the timeline (an activity of that kind: a CRM's import, or logged by hand). The
    one answer to "when was the last QBR": the account page and the "QBR due" rule read it
    here, so neither says "no QBR on record" where the other shows one."""
    meetings = select(QbrMeeting.account_id, func.max(QbrMeeting.held_on)).where(
        QbrMeeting.held_on <= as_of).group_by(QbrMeeting.account_id)
    logged = select(Activity.account_id, func.max(Activity.occurred_on)).where(
        Activity.kind == ActivityKind.QBR, Activity.occurred_on <= as_of).group_by(
        Activity.account_id)
    if account_ids is not None:
        meetings = meetings.where(QbrMeeting.account_id.in_(account_ids))
        logged = logged.where(Activity.account_id.in_(account_ids))
    out: dict[int, date] = {}
    with db.read() as s:
        for stmt in (meetings, logged):
            for aid, day in s.execute(stmt).tuples():
                if day is not None and (aid not in out or day > out[aid]):
                    out[aid] = day
    return out


def latest_meetings(db: Database, as_of: date, *, today: date | None = None
                    ) -> dict[int, QbrMeetingView]:
    """Each account's latest QBR held on or before ``as_of`` (of two on one day, the later
    recorded), read for the whole book at once: what the "QBR due" rule follows up."""
    today = today or as_of
    latest = (select(QbrMeeting.account_id, func.max(QbrMeeting.held_on).label("held_on"))
              .where(QbrMeeting.held_on <= as_of).group_by(QbrMeeting.account_id).subquery())
    out: dict[int, QbrMeetingView] = {}
    with db.read() as s:
        for m in s.scalars(
                select(QbrMeeting)
                .join(latest, and_(latest.c.account_id == QbrMeeting.account_id,
                                   latest.c.held_on == QbrMeeting.held_on))
                .order_by(QbrMeeting.id)
                .options(selectinload(QbrMeeting.attendees),
                         selectinload(QbrMeeting.commitments))):
            out[m.account_id] = _view(m, today)  # the later recorded of one day's wins
    return out
