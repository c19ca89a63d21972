"""Renewals: each live account's next renewal, its track with the reasons, the checkpoints
where renewal work starts, and the forecast.

The next renewal is the earliest pending Renewal record, or else the end of the account's
current subscription. The track is computed from the book (and can be overridden, with a
reason): **at risk** when health is red, or yellow and falling, a champion has left, seat
use is under the threshold or an escalation is open; **auto-renew** when health is green and
not falling and the contract auto-renews or runs more than a year; **standard** otherwise.
Expected ARR is current ARR × likelihood; the likelihood defaults from the track and the
health score and can be overridden.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from csdesk import clock
from csdesk.db import Database
from csdesk.db.cache import kept, until_changed
from csdesk.models import (
    Account,
    Contact,
    HealthSnapshot,
    Renewal,
    Subscription,
    SupportTicket,
    UsageSnapshot,
)
from csdesk.models.enums import (
    AccountStatus,
    RenewalOutcome,
    TicketStatus,
)
from csdesk.services.formatting import format_date, health_note
from csdesk.services.money import Rates, arr_by_account
from csdesk.services.settings import PROCESS_START, process_start

CHECKPOINTS = (120, 90, 60, 30)
# The pipeline's column titles, as the Renewals screen and ``csdesk renewals`` head them.
TITLES = {"name": "Account", "owner": "Owner", "renews": "Renews", "days": "Days",
          "track": "Track", "health": "Health", "arr": "ARR", "likelihood": "Likely",
          "expected": "Expected", "checkpoint": "Checkpoint"}
LOW_SEAT_USE = 0.5  # under this share of licensed seats active → at risk
FALLING = -5.0  # a health drop of at least this many points since the previous snapshot
# The default likelihood of each track, from health 0 to health 100: the ranges do not
# overlap, so an at-risk renewal is always less likely than a standard one, and a standard
# one than an auto-renewal, unless the CSM overrides the likelihood (with a note).
LIKELIHOOD_RANGE = {"at_risk": (0.30, 0.60), "standard": (0.70, 0.90),
                    "auto_renew": (0.92, 0.98)}


@dataclass(frozen=True)
class RenewalRow:
    account_id: int
    external_id: str
    name: str
    segment: str
    owner: str | None
    renewal_id: int | None  # None when the date comes from the subscription
    renewal_date: date
    days_to_go: int
    arr_cents: int
    currency: str
    health: float | None
    band: str | None
    trend: float | None
    track: str  # the track in force (the override when there is one)
    computed_track: str
    reasons: tuple[str, ...]
    override_reason: str | None
    likelihood: float
    likelihood_overridden: bool
    expected_arr_cents: int
    process_start: date
    checkpoints: tuple[date, ...]
    next_checkpoint: date | None
    uid: str  # stable per account and renewal, for calendar files
    sequence: int  # rises whenever the renewal record changes (its date included)
    health_note: str | None = None  # "not enough data" when scored without a number
    # ARR and expected ARR in the book's base currency at today's rate (None: no rate)
    arr_base_cents: int | None = None
    expected_base_cents: int | None = None
    base_currency: str = "USD"


def checkpoints(segment: str, renewal_date: date,
                starts: dict[str, int] | None = None) -> tuple[date, tuple[date, ...]]:
    """(the day renewal work starts, the checkpoint dates from then on, oldest first)."""
    lead = (starts or PROCESS_START).get(segment, 90)
    start = renewal_date - timedelta(days=lead)
    marks = sorted({start, *(renewal_date - timedelta(days=d) for d in CHECKPOINTS if d < lead)})
    return start, tuple(marks)


def checkpoint_marks(rows: Iterable[RenewalRow]) -> dict[date, list[RenewalRow]]:
    """The renewals whose next checkpoint falls on each day: what the calendar marks. Only
    the next one: every checkpoint of every renewal would mark nearly every day of a big
    book."""
    marks: dict[date, list[RenewalRow]] = {}
    for r in rows:
        if r.next_checkpoint is not None:
            marks.setdefault(r.next_checkpoint, []).append(r)
    return marks


def checkpoint_words(row: RenewalRow, day: date) -> str:
    """Whose checkpoint a calendar mark on ``day`` is, in words: "Acme — 60-day checkpoint
    for the 27 Jan 2027 renewal" (a mark sits weeks before the renewal it belongs to, beside
    other days' renewals: the words say which)."""
    days = (row.renewal_date - day).days
    start = "; renewal work starts" if day == row.process_start else ""
    return (f"{row.name} — {days}-day checkpoint for the {format_date(row.renewal_date)} "
            f"renewal{start}")


@dataclass(frozen=True)
class Checkpoint:
    """A renewal's checkpoint as every place shows it: the next one ("next"), or, once every
    one has passed (the last 30 days), the last one ("passed"); ``day`` None: none at all."""

    state: str  # "next", "passed" or "none"
    day: date | None
    text: str  # as the pipeline's Checkpoint column reads: "27 Jan 2027", "passed 28 Oct"


def checkpoint_of(row: RenewalRow) -> Checkpoint:
    """The one answer for a renewal's checkpoint: the pipeline's column, the calendar's
    marks and ``csdesk renewals --json`` all read it."""
    if row.next_checkpoint is not None:
        return Checkpoint("next", row.next_checkpoint, format_date(row.next_checkpoint))
    if row.checkpoints:  # within the last 30 days: no year needed, and it fits the column
        last = row.checkpoints[-1]
        return Checkpoint("passed", last, f"passed {last:%d %b}")
    return Checkpoint("none", None, "—")


def next_checkpoint_text(row: RenewalRow) -> str:
    """A renewal's checkpoint in words, as the pipeline lists it and the calendar marks it:
    the next one's day, or, once every one has passed (the last 30 days), the last one's
    ("passed 28 Oct")."""
    return checkpoint_of(row).text


def classify(*, band: str | None, trend: float | None, auto_renew: bool, multi_year: bool,
             champion_left: bool, seat_use: float | None, escalation_open: bool
             ) -> tuple[str, tuple[str, ...]]:
    """The track and the reasons for it, in words a CSM can repeat."""
    risk = []
    if band == "red":
        risk.append("health is red")
    if band == "yellow" and trend is not None and trend <= FALLING:
        risk.append(f"health is yellow and fell {-trend:.0f} points")
    if champion_left:
        risk.append("a champion has left the company")
    if seat_use is not None and seat_use < LOW_SEAT_USE:
        risk.append(f"only {seat_use:.0%} of seats were in use in the latest week")
    if escalation_open:
        risk.append("a support escalation is open")
    if risk:
        return "at_risk", tuple(risk)
    if band == "green" and (trend is None or trend > FALLING) and (auto_renew or multi_year):
        why = "auto-renews" if auto_renew else "multi-year term"
        return "auto_renew", (f"health is green and steady; the contract {why}",)
    if band is None:
        return "standard", ("no health score yet",)
    return "standard", (f"health is {band}" + ("" if auto_renew or multi_year
                                               else "; no auto-renew clause"),)


def default_likelihood(track: str, health: float | None) -> float:
    """Where the health score (0–100; unknown counts as 50) falls in the track's range."""
    low, high = LIKELIHOOD_RANGE[track]
    score = 50.0 if health is None else max(0.0, min(100.0, float(health)))
    return round(low + (high - low) * score / 100, 2)


def pipeline(db: Database, *, today: date | None = None, within: int | None = None,
             segment: str | None = None, account_ids: list[int] | None = None
             ) -> list[RenewalRow]:
    """Every live account's next renewal (from today on), soonest first; ``account_ids``
    reads only those accounts (one account page need not read the whole book). The book's
    whole pipeline is kept until the book changes: Renewals, Today, Portfolio and the
    account pages ask for it in turn."""
    today = today or clock.today()
    key = ("pipeline", today, within, segment)
    if account_ids is None:
        return list(until_changed(db, key,
                                  lambda: tuple(_pipeline(db, today, within, segment, None))))
    whole = kept(db, key)  # the book's pipeline at hand (same function): take the rows
    if whole is not None:
        wanted = set(account_ids)
        return [r for r in whole if r.account_id in wanted]
    return _pipeline(db, today, within, segment, account_ids)


def _pipeline(db: Database, today: date, within: int | None, segment: str | None,
              account_ids: list[int] | None) -> list[RenewalRow]:
    starts = process_start(db)

    def only(stmt: Any, column: Any) -> Any:
        return stmt if account_ids is None else stmt.where(column.in_(account_ids))

    with db.read() as s:
        # Plain rows through the connection: the ORM's row layer is a third of the time here
        conn = s.connection()
        accounts = conn.execute(only(
            select(Account.id, Account.external_id, Account.name, Account.segment,
                   Account.owner)
            .where(Account.status == AccountStatus.ACTIVE), Account.id)).all()
        # Each account's earliest pending renewal from today on, and its two latest health
        # snapshots (for the trend): window functions, so only those rows leave the database.
        first = only(select(
            Renewal.account_id, Renewal.id, Renewal.renewal_date, Renewal.current_arr_cents,
            Renewal.currency, Renewal.likelihood, Renewal.track_override,
            Renewal.track_override_reason, Renewal.version,
            func.row_number().over(partition_by=Renewal.account_id,
                                   order_by=(Renewal.renewal_date, Renewal.id)).label("rn"))
            .where(Renewal.outcome == RenewalOutcome.PENDING, Renewal.renewal_date >= today),
            Renewal.account_id).subquery()
        pending_rows = {r[0]: tuple(r[1:9]) for r in conn.execute(
            select(*[c for c in first.c if c.name != "rn"]).where(first.c.rn == 1))}
        rates = Rates.load(s)
        arr_now = arr_by_account(s, day=today, account_ids=account_ids, rates_=rates)
        subs = conn.execute(only(
            select(Subscription.account_id, func.min(Subscription.end_date),
                   func.sum(Subscription.arr_cents), func.min(Subscription.currency),
                   func.max(case((Subscription.auto_renew.is_(True), 1), else_=0)),
                   func.min(Subscription.start_date),
                   func.min(Subscription.id), func.max(Subscription.version))
            .where(Subscription.start_date <= today, Subscription.end_date >= today)
            .group_by(Subscription.account_id), Subscription.account_id)).all()
        latest = only(select(
            HealthSnapshot.account_id, HealthSnapshot.score, HealthSnapshot.band,
            func.row_number().over(partition_by=HealthSnapshot.account_id,
                                   order_by=HealthSnapshot.as_of.desc()).label("rn"))
            .where(HealthSnapshot.as_of <= today), HealthSnapshot.account_id).subquery()
        snaps = conn.execute(select(latest.c.account_id, latest.c.rn, latest.c.score,
                                 latest.c.band).where(latest.c.rn <= 2)
                          .order_by(latest.c.account_id, latest.c.rn.desc())).all()
        # Champion lost: a champion left and nobody current holds the role.
        current = func.sum(case((Contact.left_company.is_(True), 0), else_=1))
        champions_left = set(conn.scalars(only(
            select(Contact.account_id).where(Contact.is_champion.is_(True))
            .group_by(Contact.account_id).having(current == 0), Contact.account_id)))
        escalations = set(conn.scalars(only(select(SupportTicket.account_id).where(
            SupportTicket.is_escalation.is_(True), SupportTicket.status != TicketStatus.CLOSED)
            .distinct(), SupportTicket.account_id)))
        last_usage = latest_seats(s, today, account_ids)
    sub_by = {r[0]: r for r in subs}
    health: dict[int, list[tuple[float | None, str | None]]] = {}
    for aid, _rn, score, band in snaps:  # the older of the two first
        health.setdefault(aid, []).append((score, band.value if band else None))
    out: list[tuple[Any, ...]] = []
    for aid, ext, name, seg, owner in accounts:
        sub = sub_by.get(aid)
        if aid in pending_rows:
            rid, when, arr, currency, lik, override, override_reason, version = \
                pending_rows[aid]
            uid = f"renewal-{rid}-{ext}@csdesk"
        elif sub is not None and sub[1] >= today:
            # The contracts in force, in the customer's currency (the base when several)
            own = arr_now.loc[aid]
            rid, when, arr, currency, lik, override, override_reason, version = (
                None, sub[1], own["arr_cents"], own["currency"], None, None, None, sub[7])
            uid = f"subscription-{sub[6]}-{ext}@csdesk"
        else:
            continue
        days = (when - today).days
        if within is not None and days > within:
            continue
        if segment is not None and seg.value != segment:
            continue
        history = health.get(aid, [])
        score, band = history[-1] if history else (None, None)
        trend = (round(history[-1][0] - history[-2][0], 1)
                 if len(history) >= 2 and history[-1][0] is not None
                 and history[-2][0] is not None else None)
        users, seats = last_usage.get(aid, (None, None))
        computed, reasons = classify(
            band=band, trend=trend, auto_renew=bool(sub and sub[4]),
            multi_year=bool(sub and (sub[1] - sub[5]).days > 400),
            champion_left=aid in champions_left,
            seat_use=users / seats if users is not None and seats else None,
            escalation_open=aid in escalations)
        track = override.value if override is not None else computed
        likelihood = lik if lik is not None else default_likelihood(track, score)
        start, marks = checkpoints(seg.value, when, starts)
        upcoming = [m for m in marks if m >= today]
        out.append((
            aid, ext, name, seg.value, owner, rid, when, days, int(arr or 0), currency,
            score, band, trend, track, computed, reasons, override_reason, likelihood,
            lik is not None, round(int(arr or 0) * likelihood), start, marks,
            upcoming[0] if upcoming else None, uid, max(0, int(version or 1) - 1),
            health_note(bool(history), score)))
    # Today's ARR at today's rate: the base amounts every total of the pipeline adds up.
    conv = rates.convert([r[8] for r in out], [r[9] for r in out], today)["rate"].tolist()
    rows = []
    for r, rate in zip(out, conv, strict=True):
        # the 26 fields gathered above, then the three base ones
        rows.append(RenewalRow(*r, *_based(r[8], r[19], rate), rates.base))  # type: ignore[call-arg]
    rows.sort(key=lambda r: (r.renewal_date, r.name))
    return rows


def _based(arr: int, expected: int, rate: float) -> tuple[int | None, int | None]:
    if rate != rate:
        return None, None
    return round(arr * rate), round(expected * rate)


def outlook(db: Database, *, today: date | None = None,
            account_ids: list[int] | None = None) -> dict[int, RenewalRow]:
    """Each live account's next renewal as :func:`pipeline` computes it (date, track,
    likelihood …), by account id: the one answer the book, the account page, documents and
    the command line all show."""
    return {r.account_id: r for r in pipeline(db, today=today, account_ids=account_ids)}


def latest_seats(s: Session, today: date, account_ids: list[int] | None = None
                 ) -> dict[int, tuple[int | None, int | None]]:
    """Each account's most recent active users and licensed seats (up to today): the one
    reading of seat use, for the renewal track and the playbook rules."""
    newest = select(UsageSnapshot.account_id, func.max(UsageSnapshot.date).label("d")).where(
        UsageSnapshot.date <= today)
    if account_ids is not None:
        newest = newest.where(UsageSnapshot.account_id.in_(account_ids))
    latest = newest.group_by(UsageSnapshot.account_id).subquery()
    rows = s.connection().execute(
        select(UsageSnapshot.account_id, UsageSnapshot.active_users,
               UsageSnapshot.licensed_seats)
        .join(latest, (UsageSnapshot.account_id == latest.c.account_id)
              & (UsageSnapshot.date == latest.c.d))).all()
    return {aid: (users, seats) for aid, users, seats in rows}


# -- outcomes ---------------------------------------------------------------------------------


# -- forecast and post-churn analysis --------------------------------------------------------


