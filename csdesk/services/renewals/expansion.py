"""Expansion: signals computed from the book, and opportunities created from them.

Signals: seat use above 90 %; a key feature used at 80 % or more of its plan limit (limits are
the book's setting ``expansion.feature_limits``: feature → uses per 30 days); active users up
25 % or more in 90 days (a new team adopting); an executive sponsor who is a promoter (NPS 9
or 10 in the last 180 days). The source texts' rule applies: an account that has not reached
first value is flagged, and expansion should not be pitched to it yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import ValidationError
from csdesk.models import (
    Account,
    Contact,
    FeatureUsage,
    Opportunity,
    SurveyResponse,
    UsageSnapshot,
)
from csdesk.models.enums import AccountStatus, OpportunityKind, OpportunityStage, SurveyKind
from csdesk.services.money import account_currency_in
from csdesk.services.renewals.outcomes import refuse_if_churned
from csdesk.services.settings import feature_limits

HIGH_SEAT_USE = 0.9
NEAR_LIMIT = 0.8
GROWTH = 0.25


@dataclass(frozen=True)
class Signal:
    kind: str  # seats | feature_limit | new_team | sponsor_promoter
    text: str
    suggested: str  # the opportunity kind it points to


@dataclass(frozen=True)
class AccountSignals:
    account_id: int
    name: str
    signals: tuple[Signal, ...]
    first_value_reached: bool
    warning: str | None  # set when expansion should not be pitched yet


@dataclass(frozen=True)
class OpportunityLine:
    id: int
    title: str
    kind: str  # an OpportunityKind value
    stage: str  # an OpportunityStage value
    amount_cents: int
    currency: str
    handed_to: str | None


def opportunities(db: Database, account_id: int) -> list[OpportunityLine]:
    """The account's opportunities, oldest first."""
    with db.read() as s:
        rows = s.execute(select(Opportunity.id, Opportunity.title, Opportunity.kind,
                                Opportunity.stage, Opportunity.amount_cents,
                                Opportunity.currency, Opportunity.handed_to)
                         .where(Opportunity.account_id == account_id)
                         .order_by(Opportunity.id)).all()
    return [OpportunityLine(oid, title, kind.value, stage.value, cents, currency, handed_to)
            for oid, title, kind, stage, cents, currency, handed_to in rows]


def known_features(db: Database) -> list[str]:
    """The feature names the book's usage data records, for choosing which have plan limits."""
    with db.read() as s:
        return sorted(s.scalars(select(FeatureUsage.feature).distinct()))


def signals(db: Database, *, today: date | None = None,
            account_ids: list[int] | None = None) -> list[AccountSignals]:
    """Every live account with at least one signal (or the given accounts), by name."""
    today = today or clock.today()
    limits = feature_limits(db)
    with db.read() as s:
        stmt = select(Account.id, Account.name, Account.first_value_date).where(
            Account.status == AccountStatus.ACTIVE)
        if account_ids is not None:
            stmt = stmt.where(Account.id.in_(account_ids))
        accounts = s.execute(stmt.order_by(Account.name)).all()
        window = today - timedelta(days=120)
        latest = _latest_usage(s, today, window, account_ids)
        before = _latest_usage(s, today - timedelta(days=90), window, account_ids,
                               active_only=True)
        features = s.execute(select(FeatureUsage.account_id, FeatureUsage.feature,
                                    func.sum(FeatureUsage.usage_count))
                             .where(FeatureUsage.date > today - timedelta(days=30),
                                    FeatureUsage.date <= today,
                                    FeatureUsage.feature.in_(list(limits)))
                             .group_by(FeatureUsage.account_id, FeatureUsage.feature)
                             ).all() if limits else []
        promoters = s.execute(select(SurveyResponse.account_id, Contact.name,
                                     func.max(SurveyResponse.score))
                              .join(Contact, Contact.id == SurveyResponse.contact_id)
                              .where(SurveyResponse.kind == SurveyKind.NPS,
                                     SurveyResponse.score >= 9,
                                     SurveyResponse.responded_on > today - timedelta(days=180),
                                     SurveyResponse.responded_on <= today,
                                     Contact.is_executive_sponsor.is_(True),
                                     Contact.left_company.is_(False))
                              .group_by(SurveyResponse.account_id, Contact.name)).all()
    by_feature: dict[int, list[tuple[str, int]]] = {}
    for a, feature, used in features:
        by_feature.setdefault(a, []).append((feature, int(used or 0)))
    by_sponsor: dict[int, list[tuple[str, int]]] = {}
    for a, sponsor, score in promoters:
        by_sponsor.setdefault(a, []).append((sponsor, score))
    out = []
    for aid, name, first_value in accounts:
        found: list[Signal] = []
        _d, users, seats = latest.get(aid, (None, None, None))
        if users is not None and seats:
            use = users / seats
            if use > HIGH_SEAT_USE:
                found.append(Signal("seats", f"{use:.0%} of {seats} seats in use",
                                    OpportunityKind.SEATS.value))
        _d, then, _s = before.get(aid, (None, None, None))
        if then and users and users >= then * (1 + GROWTH):
            found.append(Signal("new_team", f"active users up {users / then - 1:.0%}"
                                            " in 90 days: a new team is adopting",
                                OpportunityKind.UPSELL.value))
        for feature, used in by_feature.get(aid, []):
            if used >= NEAR_LIMIT * limits[feature]:
                found.append(Signal("feature_limit", f"{feature}: {used:,} of {limits[feature]:,}"
                                                     " uses in 30 days (the plan's limit)",
                                    OpportunityKind.UPSELL.value))
        for sponsor, score in by_sponsor.get(aid, []):
            found.append(Signal("sponsor_promoter", f"executive sponsor {sponsor} is a "
                                                    f"promoter (NPS {score})",
                                OpportunityKind.CROSS_SELL.value))
        if not found and account_ids is None:
            continue
        warning = None if first_value else ("has not reached first value: get it there "
                                            "before pitching expansion")
        out.append(AccountSignals(aid, name, tuple(found), first_value is not None, warning))
    return out


def _latest_usage(s: Any, up_to: date, since: date, account_ids: list[int] | None, *,
                  active_only: bool = False) -> dict[int, tuple[date, Any, Any]]:
    """Each account's latest usage snapshot in (since, up_to]: date, users, seats."""
    u = UsageSnapshot
    ranked = select(u.account_id, u.date, u.active_users, u.licensed_seats,
                    func.row_number().over(partition_by=u.account_id,
                                           order_by=u.date.desc()).label("rn")
                    ).where(u.date > since, u.date <= up_to,
                            *([u.active_users > 0] if active_only else []),
                            *([] if account_ids is None else [u.account_id.in_(account_ids)])
                            ).subquery()
    return {aid: (d, users, seats) for aid, d, users, seats in s.execute(
        select(ranked.c.account_id, ranked.c.date, ranked.c.active_users,
               ranked.c.licensed_seats).where(ranked.c.rn == 1))}


def create_opportunity(db: Database, account_id: int, *, title: str, kind: str,
                       amount_cents: int, signal: str | None = None,
                       stage: str = "identified", currency: str | None = None) -> int:
    if not title.strip():
        raise ValidationError("title", "an opportunity needs a title")
    try:
        k, st = OpportunityKind(kind), OpportunityStage(stage)
    except ValueError as exc:
        raise ValidationError("kind", str(exc)) from None
    if amount_cents < 0:
        raise ValidationError("amount", "the amount cannot be negative")
    with db.write() as s:

        account = s.get(Account, account_id)
        if account is not None:
            refuse_if_churned(account, "add an opportunity")
        # typed for this customer: in its currency unless said otherwise
        currency = currency or account_currency_in(s, account_id, clock.today())
        opp = Opportunity(account_id=account_id, title=title.strip(), kind=k, signal=signal,
                          amount_cents=amount_cents, currency=currency, stage=st)
        s.add(opp)
        s.flush()
        return opp.id


def hand_to_sales(db: Database, opportunity_id: int, *, to: str,
                  on: date | None = None) -> None:
    if not to.strip():
        raise ValidationError("handed_to", "say who in sales takes it")
    with db.write() as s:
        opp = s.get(Opportunity, opportunity_id)
        if opp is None:
            raise ValidationError("opportunity", f"no opportunity with id {opportunity_id}")
        opp.stage = OpportunityStage.HANDED_TO_SALES
        opp.handed_to, opp.handed_to_sales_on = to.strip(), on or clock.today()
