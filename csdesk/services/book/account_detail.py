"""One account, as the account page shows it, and the edits a CSM makes there.

Reads return frozen dataclasses; writes check the record's version counter so that an edit
made against a stale copy (another window, or a team mate) raises :class:`ConflictError`
instead of silently overwriting the newer data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import selectinload

from csdesk import clock
from csdesk.db import Database
from csdesk.db.versioned import update_versioned
from csdesk.errors import ConflictError, CsdeskError, ValidationError
from csdesk.models import (
    Account,
    Activity,
    Contact,
    HealthSnapshot,
    SupportTicket,
    SurveyResponse,
    UsageSnapshot,
    activity_contacts,
)
from csdesk.models.enums import (
    AccountStatus,
    ActivityKind,
    AdvocacyLevel,
    HistorySource,
    LifecycleStage,
    Segment,
    Sentiment,
    TicketStatus,
)
from csdesk.services.book.accounts import arr_money, last_touch_in
from csdesk.services.book.qbr_record import latest_qbr_days
from csdesk.services.formatting import format_date
from csdesk.services.history import HistoryWriter, record_edit
from csdesk.services.money import Rates, arr_by_account
from csdesk.services.renewals.pipeline import outlook


@dataclass(frozen=True)
class Header:
    id: int
    external_id: str
    name: str
    segment: str
    segment_overridden: bool
    engagement_model: str
    lifecycle_stage: str
    status: str
    owner: str | None
    arr_cents: int
    currency: str
    renewal_date: date | None
    renewal_track: str | None
    customer_since: date | None
    first_value_date: date | None
    version: int
    last_touch: date | None = None
    # ARR in the base currency at today's rate (None: no rate), and how it was converted
    arr_base_cents: int | None = None
    base_currency: str = "USD"
    arr_note: str | None = None
    churned_on: date | None = None


def standing(header: Header) -> str:
    """Where the account stands, in words, wherever a screen names its stage: its lifecycle
    stage while it is a customer; "Churned on 08 Jan 2026" once it churned (the stage it had
    then, often Renewal, no longer applies)."""
    if header.status == AccountStatus.CHURNED.value:
        return ("Churned on " + format_date(header.churned_on)) if header.churned_on \
            else "Churned"
    return LifecycleStage(header.lifecycle_stage).label


@dataclass(frozen=True)
class ContactRow:
    id: int
    name: str
    email: str | None
    title: str | None
    is_champion: bool
    is_executive_sponsor: bool
    is_economic_buyer: bool
    sentiment: str
    advocacy_level: str
    last_contacted: date | None
    left_company: bool
    version: int


@dataclass(frozen=True)
class TimelineItem:
    id: int
    occurred_on: date
    kind: str
    summary: str
    details: str | None
    proactive: bool
    contacts: tuple[str, ...]


@dataclass(frozen=True)
class AccountFacts:
    header: Header
    health: list[tuple[date, float | None, str | None]] = field(default_factory=list)
    usage: list[tuple[date, int | None, int | None, int | None, int | None]] = \
        field(default_factory=list)
    nps: list[tuple[date, int]] = field(default_factory=list)
    open_tickets: int = 0
    last_qbr: date | None = None
    ttv_days: int | None = None


def _header(s: Any, account_id: int) -> Header:
    acc = s.get(Account, account_id)
    if acc is None:
        raise CsdeskError(f"no account with id {account_id}")
    today = clock.today()
    rates = Rates.load(s)
    money = arr_money(rates, arr_by_account(s, day=today, account_ids=[account_id],
                                            rates_=rates))
    # no contract in force: no ARR (the book's "—"), not $0
    cents, currency, base_cents, note = money.get(
        account_id, (0, rates.base, None, "no contract in force"))
    # The next renewal and its track are filled in by _with_track (renewals.outlook).
    return Header(
        acc.id, acc.external_id, acc.name, acc.segment.value, acc.segment_override is not None,
        acc.engagement_model.value, acc.lifecycle_stage.value, acc.status.value, acc.owner,
        cents or 0, currency, None, None, acc.customer_since,
        acc.first_value_date, acc.version,
        last_touch_in(s, as_of=today, account_ids=[account_id]).get(account_id),
        base_cents, rates.base, note, acc.churned_on)


def account_id_for(db: Database, key: str) -> int:
    """An account's id from its external id, or else its exact name (which must be unique)."""
    with db.read() as s:
        found = s.scalar(select(Account.id).where(Account.external_id == key))
        if found is None:
            ids = s.scalars(select(Account.id).where(Account.name == key).limit(2)).all()
            if len(ids) > 1:
                raise CsdeskError(f"more than one account is named {key!r}; use its external id")
            found = ids[0] if ids else None
    if found is None:
        raise CsdeskError(f"no account with external id or name {key!r}")
    return int(found)


def account_facts(db: Database, account_id: int) -> AccountFacts:
    with db.read() as s:
        header = _header(s, account_id)
        health = [(d, sc, b.value if b else None) for d, sc, b in s.execute(
            select(HealthSnapshot.as_of, HealthSnapshot.score, HealthSnapshot.band)
            .where(HealthSnapshot.account_id == account_id).order_by(HealthSnapshot.as_of))]
        usage = [tuple(r) for r in s.execute(
            select(UsageSnapshot.date, UsageSnapshot.active_users, UsageSnapshot.licensed_seats,
                   UsageSnapshot.key_events, UsageSnapshot.features_used)
            .where(UsageSnapshot.account_id == account_id).order_by(UsageSnapshot.date))]
        nps = [tuple(r) for r in s.execute(
            select(SurveyResponse.responded_on, SurveyResponse.score)
            .where(SurveyResponse.account_id == account_id, SurveyResponse.kind == "nps")
            .order_by(SurveyResponse.responded_on))]
        open_tickets = s.scalar(select(func.count()).select_from(SupportTicket).where(
            SupportTicket.account_id == account_id,
            SupportTicket.status != TicketStatus.CLOSED)) or 0
    last_qbr = latest_qbr_days(db, clock.today(), [account_id]).get(account_id)
    ttv = None
    if header.first_value_date and header.customer_since:
        ttv = (header.first_value_date - header.customer_since).days
    return AccountFacts(_with_track(db, header), health, usage[-52:], nps, int(open_tickets),
                        last_qbr, ttv)


def _with_track(db: Database, header: Header) -> Header:
    """The header with the next renewal and its track as the renewals view shows them
    (renewals.outlook): computed from today's data or the CSM's override, never whatever
    track was stored when the record was made. A churned account has none."""
    from dataclasses import replace


    row = outlook(db, account_ids=[header.id]).get(header.id)
    if row is None:
        return header
    return replace(header, renewal_date=row.renewal_date, renewal_track=row.track)


# -- account fields -----------------------------------------------------------------------

EDITABLE = {"owner", "lifecycle_stage", "segment_override", "name", "domain", "industry",
            "region"}


def update_account(db: Database, account_id: int, changes: dict[str, Any],
                   expected_version: int) -> int:
    """Save field edits of an account; return its new version."""
    bad = set(changes) - EDITABLE
    if bad:
        raise ValidationError(sorted(bad)[0], f"{sorted(bad)[0]} cannot be edited here")
    values = dict(changes)
    if "name" in values and not str(values["name"] or "").strip():
        raise ValidationError("name", "an account needs a name")
    if "lifecycle_stage" in values:
        values["lifecycle_stage"] = LifecycleStage(values["lifecycle_stage"])
    if values.get("segment_override"):
        values["segment_override"] = Segment(values["segment_override"])
    with db.write() as s:
        t = Account.__table__
        before = s.execute(select(*(t.c[c] for c in values)).where(t.c.id == account_id)
                           ).mappings().first() if values else None
        # An UPDATE's result is a CursorResult, which has the rowcount.
        done = cast(CursorResult[Any], s.execute(
            update(Account).where(Account.id == account_id, Account.version == expected_version)
            .values(**values, version=Account.version + 1),
            execution_options={"synchronize_session": False}))
        if done.rowcount != 1:
            raise ConflictError("this account was changed elsewhere since you opened it; "
                                "your edit was not saved — reload to see the newer data")
        if before is not None:  # the field history: one row per field that changed
            record_edit(s, t, account_id, dict(before), values)
        return expected_version + 1


def set_owner(db: Database, account_ids: list[int], owner: str) -> int:
    """Reassign many accounts at once; return how many changed."""
    owner = owner.strip()
    if not owner:
        raise ValidationError("owner", "the owner cannot be blank")
    with db.write() as s:
        before = dict(s.execute(select(Account.id, Account.owner).where(
            Account.id.in_(account_ids), Account.owner.is_distinct_from(owner))).tuples().all())
        done = cast(CursorResult[Any], s.execute(
            update(Account).where(Account.id.in_(account_ids),
                                  Account.owner.is_distinct_from(owner))
            .values(owner=owner, version=Account.version + 1),
            execution_options={"synchronize_session": False}))
        writer = HistoryWriter(clock.today(), HistorySource.EDIT)
        for account_id, old in before.items():
            writer.change("accounts", account_id, "owner", old, owner)
        writer.flush(s)
        return int(done.rowcount)


def owners(db: Database) -> list[str]:
    with db.read() as s:
        return [o for o in s.scalars(select(Account.owner).distinct().order_by(Account.owner))
                if o]


# -- contacts -------------------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CONTACT_FIELDS = ("name", "email", "title", "is_champion", "is_executive_sponsor",
                  "is_economic_buyer", "sentiment", "advocacy_level", "last_contacted",
                  "left_company")


def _contact_row(c: Contact, touched: date | None = None) -> ContactRow:
    return ContactRow(c.id, c.name, c.email, c.title, c.is_champion, c.is_executive_sponsor,
                      c.is_economic_buyer, c.sentiment.value, c.advocacy_level.value,
                      _later(c.last_contacted, touched), c.left_company, c.version)


def _later(a: date | None, b: date | None) -> date | None:
    return a if b is None else b if a is None else max(a, b)


def last_contacted(s: Any, *, account_ids: list[int] | None = None,
                   as_of: date | None = None, contact_ids: Any | None = None
                   ) -> dict[int, date]:
    """Each contact's last contact, up to ``as_of``: the later of its latest activity on the
    timeline and the date a CRM import gave (a touch csdesk has no record of). Every
    screen, rule and score reads it here, so none shows a date older than the timeline.
    ``contact_ids``: only these contacts (a list, or a select of ids)."""
    as_of = as_of or clock.today()
    touched = (select(activity_contacts.c.contact_id, func.max(Activity.occurred_on))
               .join(Activity, Activity.id == activity_contacts.c.activity_id)
               .where(Activity.occurred_on <= as_of)
               .group_by(activity_contacts.c.contact_id))
    stated = select(Contact.id, Contact.last_contacted).where(
        Contact.last_contacted.is_not(None), Contact.last_contacted <= as_of)
    if account_ids is not None:
        touched = touched.where(Activity.account_id.in_(account_ids))
        stated = stated.where(Contact.account_id.in_(account_ids))
    if contact_ids is not None:
        touched = touched.where(activity_contacts.c.contact_id.in_(contact_ids))
        stated = stated.where(Contact.id.in_(contact_ids))
    out: dict[int, date] = dict(s.execute(stated).tuples().all())
    for cid, when in s.execute(touched).tuples():
        out[cid] = _later(out.get(cid), when) or when
    return out


def contacts(db: Database, account_id: int) -> list[ContactRow]:
    with db.read() as s:
        rows = s.scalars(select(Contact).where(Contact.account_id == account_id)
                         .order_by(Contact.left_company, Contact.is_champion.desc(),
                                   Contact.name)).all()
        touched = last_contacted(s, account_ids=[account_id])
        return [_contact_row(c, touched.get(c.id)) for c in rows]


def _validate_contact(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k in CONTACT_FIELDS}
    if "name" in out:
        out["name"] = str(out["name"] or "").strip()
        if not out["name"]:
            raise ValidationError("name", "a contact needs a name")
    if out.get("email"):
        out["email"] = str(out["email"]).strip()
        if not _EMAIL.match(out["email"]):
            raise ValidationError("email", f"{out['email']!r} is not an e-mail address")
    elif "email" in out:
        out["email"] = None
    if "sentiment" in out:
        out["sentiment"] = Sentiment(out["sentiment"])
        out["sentiment_on"] = clock.today()
    if "advocacy_level" in out:
        out["advocacy_level"] = AdvocacyLevel(out["advocacy_level"])
    return out


def add_contact(db: Database, account_id: int, data: dict[str, Any]) -> ContactRow:
    values = _validate_contact(data)
    if "name" not in values:
        raise ValidationError("name", "a contact needs a name")
    with db.write() as s:
        contact = Contact(account_id=account_id, **values)
        s.add(contact)
        s.flush()
        return _contact_row(contact)


def update_contact(db: Database, contact_id: int, data: dict[str, Any],
                   expected_version: int) -> ContactRow:
    values = _validate_contact(data)
    with db.write() as s:
        t = Contact.__table__
        before = s.execute(select(*(t.c[c] for c in values)).where(t.c.id == contact_id)
                           ).mappings().first() if values else None
        contact = update_versioned(
            s, Contact, contact_id, expected_version, values,
            "this contact was changed or deleted elsewhere since you opened it; your edit "
            "was not saved — reload to see it")
        if before is not None:
            record_edit(s, t, contact_id, dict(before), values)
        touched = last_contacted(s, account_ids=[contact.account_id])
        return _contact_row(contact, touched.get(contact.id))


def delete_contact(db: Database, contact_id: int, expected_version: int) -> None:
    with db.write() as s:
        contact = s.get(Contact, contact_id)
        if contact is None or contact.version != expected_version:
            raise ConflictError("this contact was changed or deleted elsewhere; reload")
        s.delete(contact)


def restore_contact(db: Database, account_id: int, row: ContactRow) -> ContactRow:
    """Bring back a deleted contact (undo of a delete)."""
    data = {f: getattr(row, f) for f in CONTACT_FIELDS}
    return add_contact(db, account_id, data)


# -- timeline -------------------------------------------------------------------------------


def timeline(db: Database, account_id: int, kinds: set[str] | None = None
             ) -> list[TimelineItem]:
    with db.read() as s:
        stmt = select(Activity).where(Activity.account_id == account_id).options(
            selectinload(Activity.contacts))  # every activity's contacts in one more read
        if kinds:
            stmt = stmt.where(Activity.kind.in_([ActivityKind(k) for k in kinds]))
        # the contacts of every activity in one more query, not one query per activity
        rows = s.scalars(stmt.options(selectinload(Activity.contacts))
                         .order_by(Activity.occurred_on.desc(), Activity.id.desc())).all()
        return [TimelineItem(a.id, a.occurred_on, a.kind.value, a.summary, a.details,
                             a.proactive, tuple(c.name for c in a.contacts)) for a in rows]


def add_activity(db: Database, account_id: int, *, kind: str, summary: str,
                 occurred_on: date | None = None, proactive: bool = True,
                 contact_ids: list[int] | None = None, details: str | None = None,
                 owner: str | None = None) -> TimelineItem:
    summary = summary.strip()
    if not summary:
        raise ValidationError("summary", "say in a few words what happened")
    with db.write() as s:
        activity = Activity(account_id=account_id, kind=ActivityKind(kind), summary=summary,
                            details=details, proactive=proactive, owner=owner,
                            occurred_on=occurred_on or clock.today())
        if contact_ids:
            chosen = s.scalars(select(Contact).where(Contact.id.in_(contact_ids),
                                                     Contact.account_id == account_id)).all()
            activity.contacts = list(chosen)
            for c in chosen:
                if c.last_contacted is None or c.last_contacted < activity.occurred_on:
                    c.last_contacted = activity.occurred_on
        s.add(activity)
        s.flush()
        return TimelineItem(activity.id, activity.occurred_on, activity.kind.value,
                            activity.summary, activity.details, activity.proactive,
                            tuple(c.name for c in activity.contacts))


def day_heading(day: date, today: date | None = None) -> str:
    """A timeline day's heading: "Today", "Yesterday", else "Mon 23 Nov 2026"."""
    today = today or clock.today()
    if day == today:
        return "Today"
    if (today - day).days == 1:
        return "Yesterday"
    return f"{day:%a %d %b %Y}"


def filter_timeline(items: list[TimelineItem], *, kind: str | None = None,
                    proactive: bool | None = None, days: int | None = None,
                    text: str = "", today: date | None = None) -> list[TimelineItem]:
    """The timeline's rows that pass the page's filters: a kind, proactive (True) or
    reactive (False) only, the last ``days`` days (today and the days - 1 before it), and
    words that must all appear in the summary or a contact's name (any case)."""
    today = today or clock.today()
    words = text.casefold().split()
    first = None if days is None else today - timedelta(days=days - 1)
    out = []
    for a in items:
        if kind and a.kind != kind:
            continue
        if proactive is not None and a.proactive != proactive:
            continue
        if first is not None and a.occurred_on < first:
            continue
        if words:
            hay = " ".join((a.summary, *a.contacts)).casefold()
            if not all(w in hay for w in words):
                continue
        out.append(a)
    return out
