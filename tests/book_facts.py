"""The book's accounts as plain facts read straight from the tables, with no csdesk service:
what a filtered list is checked against (every row shown passes, every row left out fails).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from csdesk import clock
from csdesk.db import Database
from csdesk.models import Account, HealthSnapshot, Renewal, Subscription
from csdesk.services.renewals.pipeline import outlook


@dataclass(frozen=True)
class Fact:
    id: int
    external_id: str
    name: str
    segment: str
    status: str
    owner: str | None
    band: str | None  # of the latest health snapshot
    score: float | None  # the latest score
    previous: float | None  # the score of the snapshot before it
    renewal: date | None  # the next renewal from today (a live account's; see below)
    track: str | None  # its track in force (computed, or the CSM's override)
    pending: tuple[date, ...]  # every pending renewal's date, earliest first

    def next_renewal(self, today: date) -> date | None:
        """The earliest pending renewal from ``today`` on."""
        return next((d for d in self.pending if d >= today), None)

    def days_to_renewal(self, today: date) -> int | None:
        return None if self.renewal is None else (self.renewal - today).days

    def needs_attention(self, today: date) -> bool:
        """Live, and red; or down 10 points or more; or at risk and renewing within 90 days."""
        if self.status == "churned":
            return False
        if self.band == "red":
            return True
        if self.score is not None and self.previous is not None \
                and round(self.score - self.previous, 1) <= -10:
            return True
        days = self.days_to_renewal(today)
        return days is not None and 0 <= days <= 90 and self.track == "at_risk"


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


def book_facts(db: Database, today: date | None = None) -> dict[int, Fact]:
    with db.read() as s:
        accounts = s.execute(select(Account.id, Account.external_id, Account.name,
                                    Account.segment, Account.status, Account.owner)).all()
        snaps: dict[int, list[tuple[float | None, str | None]]] = {}
        for aid, score, band in s.execute(
                select(HealthSnapshot.account_id, HealthSnapshot.score, HealthSnapshot.band)
                .order_by(HealthSnapshot.account_id, HealthSnapshot.as_of)):
            snaps.setdefault(aid, []).append((score, _value(band)))
        renewals: dict[int, list[tuple[date, str]]] = {}
        for aid, when, track, override in s.execute(
                select(Renewal.account_id, Renewal.renewal_date, Renewal.track,
                       Renewal.track_override)
                .where(Renewal.outcome == "pending")
                .order_by(Renewal.account_id, Renewal.renewal_date)):
            renewals.setdefault(aid, []).append((when, _value(override or track)))
    # The next renewal follows the pipeline's rule (hand-computed in next_renewals); its
    # track is computed from health, usage and contacts, so it is read from the one
    # function that computes it (renewals.outlook, tested on its own).
    today = today or clock.today()
    ends = _subscription_ends(db, today)
    tracks = {a: r.track for a, r in outlook(db, today=today).items()}
    out = {}
    for aid, ext, name, segment, status, owner in accounts:
        history = snaps.get(aid, [])
        score, band = history[-1] if history else (None, None)
        previous = history[-2][0] if len(history) > 1 else None
        if _value(status) == "churned":  # history: no health now, no renewal ahead
            score = band = previous = None
        pending = renewals.get(aid, [])
        when = None
        if _value(status) == "active":
            when = next((d for d, _t in pending if d >= today), None) or ends.get(aid)
        out[aid] = Fact(aid, ext, name, _value(segment), _value(status), owner, band, score,
                        previous, when, tracks.get(aid), tuple(d for d, _t in pending))
    return out


def _subscription_ends(db: Database, today: date) -> dict[int, date]:
    ends: dict[int, date] = {}
    with db.read() as s:
        for aid, start, end in s.execute(select(
                Subscription.account_id, Subscription.start_date, Subscription.end_date)):
            if start <= today <= end:
                ends[aid] = min(end, ends.get(aid, end))
    return ends


def arr_on(db: Database, day: date) -> dict[int, int]:
    """Each account's ARR (cents) on a day: its subscriptions in force that day, ends
    included."""
    arr: dict[int, int] = {}
    with db.read() as s:
        for aid, start, end, cents in s.execute(select(
                Subscription.account_id, Subscription.start_date, Subscription.end_date,
                Subscription.arr_cents)):
            if start <= day <= end:
                arr[aid] = arr.get(aid, 0) + cents
    return arr


def shown_ids(model: Any) -> set[int]:
    """The account ids an AccountsModel lists now."""
    ids = model.row_ids(list(range(model.rowCount())))
    assert len(ids) == len(set(ids))  # no account listed twice
    return set(ids)


def next_renewals(db: Database, today: date) -> dict[int, date]:
    """Each live account's next renewal as the pipeline lists it: its earliest pending
    renewal from today on, else the end of the subscriptions in force today."""
    facts = book_facts(db, today)
    ends = _subscription_ends(db, today)
    out = {}
    for aid, f in facts.items():
        if f.status != "active":
            continue
        when = f.next_renewal(today) or ends.get(aid)
        if when is not None:
            out[aid] = when
    return out
