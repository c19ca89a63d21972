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

from dataclasses import dataclass
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, select

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError, FileWriteError
from csdesk.models import (
    Account,
    Contact,
    HealthSnapshot,
    Renewal,
    Subscription,
    SupportTicket,
    UsageSnapshot,
)
from csdesk.models.enums import AccountStatus, RenewalOutcome, TicketStatus
from csdesk.progress import CancelFn, ProgressFn, Reporter
from csdesk.safefile import ICS_MARK, check_replace, describe_os_error, made_by_csdesk, write_bytes
from csdesk.services.periods import quarter_of

# Days before the renewal date at which the renewal process starts, per segment.
PROCESS_START = {"enterprise": 180, "mid_market": 120, "smb": 90, "self_serve": 60}
CHECKPOINTS = (120, 90, 60, 30)
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


STARTS_SETTING = "renewals.process_start"


def process_start(db: Database) -> dict[str, int]:
    """Days before renewal at which the process starts, per segment (the book's setting)."""
    from csdesk.models import Setting

    with db.read() as s:
        row = s.get(Setting, STARTS_SETTING)
    return {**PROCESS_START, **(row.value if row is not None and row.value else {})}


def _check_starts(starts: dict[str, int]) -> dict[str, int]:
    from csdesk.errors import ValidationError

    for segment, days in starts.items():
        if segment not in PROCESS_START:
            raise ValidationError("segment", f"no segment {segment!r}")
        if not 30 <= int(days) <= 365:
            raise ValidationError("days", f"{segment}: the renewal process starts 30 to 365 "
                                          f"days out, not {days}")
    return {k: int(v) for k, v in starts.items()}


def save_process_start(db: Database, starts: dict[str, int]) -> None:
    save_settings(db, starts=starts)


def save_settings(db: Database, *, starts: dict[str, int] | None = None,
                  reasons: list[tuple[str, str, str]] | None = None,
                  limits: dict[str, int] | None = None) -> None:
    """Save the renewal settings given (process starts, churn reasons, expansion plan
    limits) in one transaction, after checking them all: a refused value writes nothing."""
    from csdesk.models import Setting
    from csdesk.services.expansion import LIMITS_SETTING, check_limits

    values = {}
    if starts is not None:
        values[STARTS_SETTING] = _check_starts(starts)
    if reasons is not None:
        values[REASONS_SETTING] = _check_reasons(reasons)
    if limits is not None:
        values[LIMITS_SETTING] = check_limits(limits)
    with db.write() as s:
        for key, value in values.items():
            s.merge(Setting(key=key, value=value))


def checkpoints(segment: str, renewal_date: date,
                starts: dict[str, int] | None = None) -> tuple[date, tuple[date, ...]]:
    """(the day renewal work starts, the checkpoint dates from then on, oldest first)."""
    lead = (starts or PROCESS_START).get(segment, 90)
    start = renewal_date - timedelta(days=lead)
    marks = sorted({start, *(renewal_date - timedelta(days=d) for d in CHECKPOINTS if d < lead)})
    return start, tuple(marks)


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
        risk.append(f"only {seat_use:.0%} of seats are in use")
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
    reads only those accounts (one account page need not read the whole book)."""
    today = today or clock.today()
    starts = process_start(db)

    def only(stmt: Any, column: Any) -> Any:
        return stmt if account_ids is None else stmt.where(column.in_(account_ids))

    with db.read() as s:
        accounts = s.execute(only(
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
        pending_rows = {r[0]: tuple(r[1:9]) for r in s.execute(
            select(*[c for c in first.c if c.name != "rn"]).where(first.c.rn == 1))}
        subs = s.execute(only(
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
        snaps = s.execute(select(latest.c.account_id, latest.c.rn, latest.c.score,
                                 latest.c.band).where(latest.c.rn <= 2)
                          .order_by(latest.c.account_id, latest.c.rn.desc())).all()
        # Champion lost: a champion left and nobody current holds the role.
        current = func.sum(case((Contact.left_company.is_(True), 0), else_=1))
        champions_left = set(s.scalars(only(
            select(Contact.account_id).where(Contact.is_champion.is_(True))
            .group_by(Contact.account_id).having(current == 0), Contact.account_id)))
        escalations = set(s.scalars(only(select(SupportTicket.account_id).where(
            SupportTicket.is_escalation.is_(True), SupportTicket.status != TicketStatus.CLOSED)
            .distinct(), SupportTicket.account_id)))
        last_usage = _latest_usage(s, today, account_ids)
    sub_by = {r[0]: r for r in subs}
    health: dict[int, list[tuple[float | None, str | None]]] = {}
    for aid, _rn, score, band in snaps:  # the older of the two first
        health.setdefault(aid, []).append((score, band.value if band else None))
    out = []
    for aid, ext, name, seg, owner in accounts:
        sub = sub_by.get(aid)
        if aid in pending_rows:
            rid, when, arr, currency, lik, override, override_reason, version = \
                pending_rows[aid]
            uid = f"renewal-{rid}-{ext}@csdesk"
        elif sub is not None and sub[1] >= today:
            rid, when, arr, currency, lik, override, override_reason, version = (
                None, sub[1], int(sub[2] or 0), sub[3] or "USD", None, None, None, sub[7])
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
        out.append(RenewalRow(
            aid, ext, name, seg.value, owner, rid, when, days, int(arr or 0), currency,
            score, band, trend, track, computed, reasons, override_reason, likelihood,
            lik is not None, round(int(arr or 0) * likelihood), start, marks,
            upcoming[0] if upcoming else None, uid, max(0, int(version or 1) - 1)))
    out.sort(key=lambda r: (r.renewal_date, r.name))
    return out


def outlook(db: Database, *, today: date | None = None,
            account_ids: list[int] | None = None) -> dict[int, RenewalRow]:
    """Each live account's next renewal as :func:`pipeline` computes it (date, track,
    likelihood …), by account id: the one answer the book, the account page, documents and
    the command line all show."""
    return {r.account_id: r for r in pipeline(db, today=today, account_ids=account_ids)}


def _latest_usage(s: object, today: date, account_ids: list[int] | None = None
                  ) -> dict[int, tuple[int | None, int | None]]:
    """Each account's most recent active users and licensed seats (up to today)."""
    latest = select(UsageSnapshot.account_id, func.max(UsageSnapshot.date).label("d")).where(
        UsageSnapshot.date <= today)
    if account_ids is not None:
        latest = latest.where(UsageSnapshot.account_id.in_(account_ids))
    latest = latest.group_by(UsageSnapshot.account_id).subquery()
    rows = s.execute(  # type: ignore[attr-defined]
        select(UsageSnapshot.account_id, UsageSnapshot.active_users,
               UsageSnapshot.licensed_seats)
        .join(latest, (UsageSnapshot.account_id == latest.c.account_id)
              & (UsageSnapshot.date == latest.c.d))).all()
    return {aid: (users, seats) for aid, users, seats in rows}


def to_ics(rows: list[RenewalRow], *, stamp: date | None = None,
           progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> bytes:
    """An iCalendar file: each renewal an all-day event with alarms at its checkpoints.

    UIDs are stable per account and renewal and SEQUENCE rises when the renewal changes, so
    importing a newer file updates the events instead of adding copies. No METHOD: it is a
    calendar to import, not an invitation. (About half a millisecond per renewal: a whole
    100,000-account book is worth a progress bar.)
    """
    from datetime import datetime

    from icalendar import Alarm, Calendar, Event

    from csdesk.services.formatting import format_money

    cal = Calendar()
    cal.add("prodid", "-//csdesk//renewal calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Renewals (csdesk)")
    stamp_at = datetime.combine(stamp or clock.today(), datetime.min.time(), UTC)
    report = Reporter(progress, cancel)
    for i, r in enumerate(rows):
        if i % 500 == 0:
            report.checkpoint(0.9 * i / len(rows), f"Renewal {i + 1:,} of {len(rows):,}")
        event = Event()
        event.add("uid", r.uid)
        event.add("sequence", r.sequence)
        event.add("dtstamp", stamp_at)
        event.add("dtstart", r.renewal_date)
        event.add("dtend", r.renewal_date + timedelta(days=1))
        event.add("summary", f"Renewal: {r.name} ({format_money(r.arr_cents, r.currency)})")
        track = {"auto_renew": "Auto-renew", "standard": "Standard",
                 "at_risk": "At risk"}[r.track]
        event.add("description",
                  f"{r.name} ({r.external_id}) renews on {r.renewal_date:%d %b %Y}.\n"
                  f"ARR {format_money(r.arr_cents, r.currency)}, expected "
                  f"{format_money(r.expected_arr_cents, r.currency)} "
                  f"({r.likelihood:.0%}).\nTrack: {track} — {'; '.join(r.reasons)}.")
        event.add("categories", [track])
        event.add("transp", "TRANSPARENT")
        for mark in r.checkpoints:
            days = (r.renewal_date - mark).days
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{r.name}: renewal in {days} days")
            alarm.add("trigger", timedelta(days=-days))
            event.add_component(alarm)
        cal.add_component(event)
    report.checkpoint(0.9, "Writing the calendar")
    return cal.to_ical()


def write_ics(path: Path, rows: list[RenewalRow], *, stamp: date | None = None,
              progress: ProgressFn | None = None, cancel: CancelFn | None = None,
              overwrite: bool = False) -> Path:
    """Write :func:`to_ics` to ``path`` whole or not at all (a temporary file, then a rename,
    so a calendar app never reads half a file and a failed write leaves the old one)."""
    if not path.parent.is_dir():
        raise CsdeskError(f"the folder {path.parent} does not exist")
    check_replace(path, ours=made_by_csdesk(path, ICS_MARK), overwrite=overwrite,
                  what="a calendar csdesk wrote")
    data = to_ics(rows, stamp=stamp, progress=progress, cancel=cancel)
    try:
        write_bytes(path, data)
    except OSError as exc:
        kept = "the previous file is kept" if path.exists() else "nothing was written"
        raise FileWriteError(f"the calendar was not written: {describe_os_error(exc, path)}; "
                             f"{kept}") from exc
    return path


# -- outcomes ---------------------------------------------------------------------------------

REASONS_SETTING = "renewals.churn_reasons"
DEFAULT_CHURN_REASONS = (
    ("product_gap", "Product gap", "controllable"),
    ("service_failure", "Service failure", "controllable"),
    ("missed_expectations", "Missed expectations", "controllable"),
    ("poor_onboarding", "Poor onboarding", "controllable"),
    ("no_first_value", "Never reached first value", "controllable"),
    ("acquisition", "Acquired", "uncontrollable"),
    ("budget_cut", "Budget cut", "uncontrollable"),
    ("business_closed", "Business closed", "uncontrollable"),
)


@dataclass(frozen=True)
class ChurnRecord:
    """Why and when an account churned, as logged with its renewal's outcome."""

    churned_on: date | None
    reason: str  # the label (the code when the book no longer lists it)
    category: str | None
    arr_cents: int


def churn_record(db: Database, account_id: int) -> ChurnRecord | None:
    """When the account churned (its own churn date, the one every screen shows) and why
    (its latest churned renewal's reason); None when it has not churned."""
    with db.read() as s:
        acc = s.get(Account, account_id)
        if acc is None or acc.status != AccountStatus.CHURNED:
            return None
        r = s.scalars(select(Renewal).where(Renewal.account_id == account_id,
                                            Renewal.outcome == RenewalOutcome.CHURNED)
                      .order_by(Renewal.closed_on.desc(), Renewal.id.desc())).first()
        churned_on = acc.churned_on or (r.closed_on if r is not None else None)
        if r is None:
            return ChurnRecord(churned_on, "reason not recorded", None, 0)
        code, category, arr = r.churn_reason_code or "", r.churn_category, r.current_arr_cents
    labels = {c: label for c, label, _cat in churn_reasons(db)}
    return ChurnRecord(churned_on, labels.get(code, code.replace("_", " ")),
                       category.value if category is not None else None, arr)


def churn_reasons(db: Database) -> list[tuple[str, str, str]]:
    """(code, label, category) of the book's churn reasons: the defaults until edited."""
    from csdesk.models import Setting

    with db.read() as s:
        row = s.get(Setting, REASONS_SETTING)
    if row is None or not row.value:
        return list(DEFAULT_CHURN_REASONS)
    return [(r["code"], r["label"], r["category"]) for r in row.value]


def _check_reasons(reasons: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    from csdesk.errors import ValidationError

    codes = [c for c, _l, _k in reasons]
    if not reasons or len(set(codes)) != len(codes):
        raise ValidationError("reasons", "churn reasons need unique codes, at least one")
    for code, label, category in reasons:
        if not code.strip() or not label.strip():
            raise ValidationError("reasons", "every churn reason needs a code and a label")
        if category not in ("controllable", "uncontrollable"):
            raise ValidationError("reasons", f"{label}: the category is controllable or "
                                             f"uncontrollable, not {category!r}")
    return [{"code": c.strip(), "label": lab.strip(), "category": k} for c, lab, k in reasons]


def save_churn_reasons(db: Database, reasons: list[tuple[str, str, str]]) -> None:
    save_settings(db, reasons=reasons)


@dataclass(frozen=True)
class OutcomeResult:
    renewal_id: int
    outcome: str
    old_arr_cents: int
    new_arr_cents: int
    new_subscription_id: int | None


def log_outcome(db: Database, account_id: int, outcome: str, *, new_arr_cents: int = 0,
                reason: str | None = None, note: str | None = None,
                closed_on: date | None = None) -> OutcomeResult:
    """Record how the account's next renewal ended, and write the subscription history.

    Renewed, expanded or downsold: a new term starts the day after the old one ends, at the
    new ARR. Churned: no new term, the account is marked churned on the renewal date, and a
    reason from the book's list is required (its category comes with it).
    """
    from csdesk.errors import ValidationError
    from csdesk.models.enums import ChurnCategory, RenewalStage
    from csdesk.models.enums import RenewalOutcome as O

    try:
        kind = O(outcome)
    except ValueError:
        raise ValidationError("outcome", "the outcome is renewed, expanded, downsold or "
                                         f"churned, not {outcome!r}") from None
    if kind == O.PENDING:
        raise ValidationError("outcome", "pick what happened: renewed, expanded, downsold "
                                         "or churned")
    reasons = {c: k for c, _l, k in churn_reasons(db)}
    if kind == O.CHURNED:
        if reason not in reasons:
            raise ValidationError("reason", "a churn needs one of the book's reasons: "
                                            + ", ".join(reasons))
        new_arr_cents = 0
    elif new_arr_cents <= 0:
        raise ValidationError("new_arr", "give the new annual value (above zero)")
    today = closed_on or clock.today()
    with db.write() as s:
        account = s.get(Account, account_id)
        if account is None:
            raise ValidationError("account", f"there is no account with id {account_id}")
        refuse_if_churned(account, "log a renewal outcome")
        renewal = s.scalars(select(Renewal).where(
            Renewal.account_id == account_id, Renewal.outcome == O.PENDING)
            .order_by(Renewal.renewal_date)).first()
        live = s.scalars(select(Subscription).where(
            Subscription.account_id == account_id).order_by(Subscription.end_date.desc())
        ).all()
        current = live[0] if live else None
        if renewal is None:
            if current is None:
                raise ValidationError("account", f"{account.name} has no subscription to renew")
            renewal = Renewal(account_id=account_id, subscription_id=current.id,
                              renewal_date=current.end_date,
                              current_arr_cents=sum(x.arr_cents for x in live
                                                    if x.end_date == current.end_date),
                              currency=current.currency)
            s.add(renewal)
            s.flush()
        old = int(renewal.current_arr_cents or 0)
        if kind == O.EXPANDED and new_arr_cents <= old:
            raise ValidationError("new_arr", "an expansion's new ARR is above the current "
                                             f"{old / 100:,.0f}")
        if kind == O.DOWNSOLD and new_arr_cents >= old:
            raise ValidationError("new_arr", "a downsell's new ARR is below the current "
                                             f"{old / 100:,.0f}")
        renewal.outcome = kind
        renewal.new_arr_cents = new_arr_cents
        renewal.closed_on = today
        renewal.stage = RenewalStage.CLOSED
        if note:
            renewal.notes = (renewal.notes + "\n" if renewal.notes else "") + note
        new_id = None
        if kind == O.CHURNED:
            renewal.churn_reason_code = reason
            renewal.churn_category = ChurnCategory(reasons[reason])
            account.status = AccountStatus.CHURNED
            account.churned_on = renewal.renewal_date
        else:
            base = current
            term = ((base.end_date - base.start_date).days if base else 364) or 364
            start = renewal.renewal_date + timedelta(days=1)
            new = Subscription(account_id=account_id, start_date=start,
                               end_date=start + timedelta(days=term), plan=base.plan if base
                               else None, seats=base.seats if base else 0,
                               arr_cents=new_arr_cents, currency=renewal.currency,
                               auto_renew=base.auto_renew if base else False)
            s.add(new)
            s.flush()
            new_id = new.id
        return OutcomeResult(renewal.id, kind.value, old, new_arr_cents, new_id)


# -- forecast and post-churn analysis --------------------------------------------------------

@dataclass(frozen=True)
class QuarterForecast:
    period: str
    renewals: int
    arr_cents: int  # up for renewal in the quarter
    expected_arr_cents: int
    at_risk_arr_cents: int
    start_arr_cents: int  # the book's ARR when the quarter starts (or today, if it has)
    expected_grr: float | None
    expected_nrr: float | None
    by_track: dict[str, tuple[int, int, int]]  # track → (renewals, ARR, expected ARR)


def forecast(db: Database, period: str, *, today: date | None = None,
             rows: list[RenewalRow] | None = None) -> QuarterForecast:
    """The quarter's renewals still to come, their expected ARR, and the GRR/NRR that implies.

    ``rows``: the whole book's pipeline as of ``today``, when the caller already has it."""
    from csdesk.services.periods import parse_period

    today = today or clock.today()
    start, end = parse_period(period)
    if rows is None:
        rows = pipeline(db, today=today, within=max(0, (end - today).days))
    rows = [r for r in rows if start <= r.renewal_date <= end]
    as_of = max(start, today)
    with db.read() as s:
        start_arr = int(s.scalar(select(func.coalesce(func.sum(Subscription.arr_cents), 0))
                                 .join(Account, Account.id == Subscription.account_id)
                                 .where(Subscription.start_date <= as_of,
                                        Subscription.end_date >= as_of,
                                        Account.status == AccountStatus.ACTIVE)) or 0)
    by_track: dict[str, tuple[int, int, int]] = {}
    for r in rows:
        n, arr, exp = by_track.get(r.track, (0, 0, 0))
        by_track[r.track] = (n + 1, arr + r.arr_cents, exp + r.expected_arr_cents)
    arr = sum(r.arr_cents for r in rows)
    expected = sum(r.expected_arr_cents for r in rows)
    loss = sum(max(0, r.arr_cents - r.expected_arr_cents) for r in rows)
    return QuarterForecast(
        period.upper(), len(rows), arr, expected,
        sum(r.arr_cents for r in rows if r.track == "at_risk"), start_arr,
        (start_arr - loss) / start_arr if start_arr else None,
        (start_arr - arr + expected) / start_arr if start_arr else None, by_track)


@dataclass(frozen=True)
class ForecastAccuracy:
    period: str
    renewals: int
    forecast_cents: int  # Σ current ARR × the likelihood on record
    actual_cents: int  # Σ new ARR (0 for churn)
    accuracy: float | None  # 1 − |forecast − actual| ÷ actual


def forecast_accuracy(db: Database, period: str) -> ForecastAccuracy:
    """How close the likelihoods on record came to what the quarter's renewals brought."""
    from csdesk.services.periods import parse_period

    start, end = parse_period(period)
    with db.read() as s:
        rows = s.execute(select(Renewal.current_arr_cents, Renewal.likelihood,
                                Renewal.new_arr_cents, Renewal.track, Renewal.track_override)
                         .where(Renewal.renewal_date >= start, Renewal.renewal_date <= end,
                                Renewal.outcome != RenewalOutcome.PENDING)).all()
    # No likelihood on record: the default of the track it was on (its health then unknown).
    predicted = round(sum(
        arr * (lik if lik is not None else default_likelihood((over or track).value, None))
        for arr, lik, _new, track, over in rows))
    actual = sum(int(row[2] or 0) for row in rows)
    accuracy = max(0.0, 1 - abs(predicted - actual) / actual) if actual else None
    return ForecastAccuracy(period.upper(), len(rows), predicted, actual, accuracy)


@dataclass(frozen=True)
class ChurnCase:
    account_id: int
    name: str
    churned_on: date
    arr_cents: int
    reason: str
    category: str
    signals: tuple[str, ...]  # what the account showed 90 days before


@dataclass(frozen=True)
class ChurnAnalysis:
    cases: tuple[ChurnCase, ...]
    by_reason: dict[str, int]  # reason → churned ARR (cents)
    by_category: dict[str, int]
    by_quarter: dict[str, dict[str, int]]  # 2026Q3 → {reason: ARR}


def churn_analysis(db: Database, *, since: date | None = None) -> ChurnAnalysis:
    """Churned ARR by reason, category and quarter, and each account's signals 90 days out."""
    with db.read() as s:
        # The churn date is the account's (as its page says), else the renewal's.
        stmt = (select(Renewal.account_id, Account.name,
                       func.coalesce(Account.churned_on, Renewal.renewal_date),
                       Renewal.current_arr_cents, Renewal.churn_reason_code,
                       Renewal.churn_category)
                .join(Account, Account.id == Renewal.account_id)
                .where(Renewal.outcome == RenewalOutcome.CHURNED)
                .order_by(Renewal.renewal_date))
        if since is not None:
            stmt = stmt.where(Renewal.renewal_date >= since)
        churned = s.execute(stmt).all()
        ids = [r[0] for r in churned]
        snaps = s.execute(select(HealthSnapshot.account_id, HealthSnapshot.as_of,
                                 HealthSnapshot.score, HealthSnapshot.band)
                          .where(HealthSnapshot.account_id.in_(ids))
                          .order_by(HealthSnapshot.as_of)).all() if ids else []
        usage = s.execute(select(UsageSnapshot.account_id, UsageSnapshot.date,
                                 UsageSnapshot.active_users, UsageSnapshot.licensed_seats)
                          .where(UsageSnapshot.account_id.in_(ids))
                          .order_by(UsageSnapshot.date)).all() if ids else []
        tickets = s.execute(select(SupportTicket.account_id, SupportTicket.opened_on,
                                   SupportTicket.is_escalation)
                            .where(SupportTicket.account_id.in_(ids))).all() if ids else []
        left = s.execute(select(Contact.account_id, Contact.left_on)
                         .where(Contact.account_id.in_(ids), Contact.is_champion.is_(True),
                                Contact.left_company.is_(True))).all() if ids else []
    def grouped(rows: list[Any]) -> dict[int, list[Any]]:  # one pass, in the query's order
        out: dict[int, list[Any]] = {}
        for row in rows:
            out.setdefault(row[0], []).append(row[1:])
        return out

    snaps_of, usage_of = grouped(snaps), grouped(usage)
    tickets_of, left_of = grouped(tickets), grouped(left)
    cases = []
    by_reason: dict[str, int] = {}
    by_category: dict[str, int] = {}
    by_quarter: dict[str, dict[str, int]] = {}
    for aid, name, when, arr, reason, category in churned:
        look = when - timedelta(days=90)
        signals = []
        health = [(sc, b) for d, sc, b in snaps_of.get(aid, ()) if d <= look]
        if health:
            score, band = health[-1]
            if band is not None and band.value != "green":
                signals.append(f"health {band.value} ({score:.0f})")
        use = [(u, st) for d, u, st in usage_of.get(aid, ()) if d <= look and st]
        if use and use[-1][0] is not None and use[-1][0] / use[-1][1] < LOW_SEAT_USE:
            signals.append(f"{use[-1][0] / use[-1][1]:.0%} of seats in use")
        if any(esc and look - timedelta(days=90) <= d <= look
               for d, esc in tickets_of.get(aid, ())):
            signals.append("a support escalation")
        if any(d is None or d <= look for (d,) in left_of.get(aid, ())):
            signals.append("champion already gone")
        code = reason or "unknown"
        cat = category.value if category is not None else "unknown"
        cases.append(ChurnCase(aid, name, when, int(arr or 0), code, cat,
                               tuple(signals) or ("no warning signal on record",)))
        by_reason[code] = by_reason.get(code, 0) + int(arr or 0)
        by_category[cat] = by_category.get(cat, 0) + int(arr or 0)
        q = quarter_of(when)
        by_quarter.setdefault(q, {})[code] = by_quarter.get(q, {}).get(code, 0) + int(arr or 0)
    return ChurnAnalysis(tuple(cases), by_reason, by_category, by_quarter)


def refuse_if_churned(account: Account, what: str) -> None:
    """A churned account's history is not rewritten: no forecast, outcome or opportunity."""
    from csdesk.errors import ValidationError

    if account.status == AccountStatus.CHURNED:
        raise ValidationError("account", f"{account.name} has churned; you cannot {what}")


def set_forecast(db: Database, account_id: int, *, track: str | None = None,
                 reason: str | None = None, likelihood: float | None = None,
                 note: str | None = None) -> int:
    """Override the next renewal's track (with a reason) and/or its likelihood (with a note).

    ``track=None`` clears the override and the computed track applies again.
    """
    from csdesk.errors import ValidationError
    from csdesk.models.enums import RenewalTrack

    if track is not None:
        try:
            chosen = RenewalTrack(track)
        except ValueError:
            raise ValidationError("track", "the track is auto_renew, standard or at_risk, "
                                           f"not {track!r}") from None
        if not (reason or "").strip():
            raise ValidationError("reason", "say why the track is overridden")
    if likelihood is not None and not 0 <= likelihood <= 1:
        raise ValidationError("likelihood", "the likelihood is between 0 % and 100 %")
    with db.write() as s:
        account = s.get(Account, account_id)
        if account is not None:
            refuse_if_churned(account, "change its renewal forecast")
        renewal = s.scalars(select(Renewal).where(
            Renewal.account_id == account_id, Renewal.outcome == RenewalOutcome.PENDING)
            .order_by(Renewal.renewal_date)).first()
        if renewal is None:
            sub = s.scalars(select(Subscription).where(Subscription.account_id == account_id)
                            .order_by(Subscription.end_date.desc())).first()
            if sub is None:
                raise ValidationError("account", "this account has no subscription to renew")
            live = s.scalars(select(Subscription).where(
                Subscription.account_id == account_id,
                Subscription.end_date == sub.end_date)).all()
            renewal = Renewal(account_id=account_id, subscription_id=sub.id,
                              renewal_date=sub.end_date,
                              current_arr_cents=sum(x.arr_cents for x in live),
                              currency=sub.currency)
            s.add(renewal)
        renewal.track_override = chosen if track is not None else None
        renewal.track_override_reason = reason.strip() if track is not None and reason else None
        renewal.likelihood = likelihood
        if likelihood is not None and note:
            renewal.likelihood_note = note.strip()
        if likelihood is not None:
            renewal.forecast_arr_cents = round(renewal.current_arr_cents * likelihood)
        s.flush()
        return renewal.id
