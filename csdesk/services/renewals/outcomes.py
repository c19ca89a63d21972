"""What a renewal came to, and the CSM's call on one still open: the logged outcome (renewed,
expanded, downsold, churned with its reason), the forecast track and likelihood, and the
refusal to forecast or log an account that has already churned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import ValidationError
from csdesk.models import (
    Account,
    Renewal,
    Subscription,
)
from csdesk.models.enums import (
    AccountStatus,
    ChurnCategory,
    RenewalOutcome,
    RenewalStage,
    RenewalTrack,
)
from csdesk.services.settings import churn_reasons


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

    try:
        kind = RenewalOutcome(outcome)
    except ValueError:
        raise ValidationError("outcome", "the outcome is renewed, expanded, downsold or "
                                         f"churned, not {outcome!r}") from None
    if kind == RenewalOutcome.PENDING:
        raise ValidationError("outcome", "pick what happened: renewed, expanded, downsold "
                                         "or churned")
    reasons = {c: k for c, _l, k in churn_reasons(db)}
    if kind == RenewalOutcome.CHURNED:
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
            Renewal.account_id == account_id, Renewal.outcome == RenewalOutcome.PENDING)
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
        if kind == RenewalOutcome.EXPANDED and new_arr_cents <= old:
            raise ValidationError("new_arr", "an expansion's new ARR is above the current "
                                             f"{old / 100:,.0f}")
        if kind == RenewalOutcome.DOWNSOLD and new_arr_cents >= old:
            raise ValidationError("new_arr", "a downsell's new ARR is below the current "
                                             f"{old / 100:,.0f}")
        renewal.outcome = kind
        renewal.new_arr_cents = new_arr_cents
        renewal.closed_on = today
        renewal.stage = RenewalStage.CLOSED
        if note:
            renewal.notes = (renewal.notes + "\n" if renewal.notes else "") + note
        new_id = None
        if kind == RenewalOutcome.CHURNED:
            assert reason is not None  # checked against the book's reasons above
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


def refuse_if_churned(account: Account, what: str) -> None:
    """A churned account's history is not rewritten: no forecast, outcome or opportunity."""

    if account.status == AccountStatus.CHURNED:
        raise ValidationError("account", f"{account.name} has churned; you cannot {what}")


def set_forecast(db: Database, account_id: int, *, track: str | None = None,
                 reason: str | None = None, likelihood: float | None = None,
                 note: str | None = None) -> int:
    """Override the next renewal's track (with a reason) and/or its likelihood (with a note).

    ``track=None`` clears the override and the computed track applies again.
    """

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
