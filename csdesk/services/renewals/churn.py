"""Churn post-mortems: every churned account with its reason, category and the health and
usage it had before, grouped so a CSM sees which causes cost the most ARR."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from csdesk.db import Database
from csdesk.models import (
    Account,
    Contact,
    HealthSnapshot,
    Renewal,
    SupportTicket,
    UsageSnapshot,
)
from csdesk.models.enums import (
    RenewalOutcome,
)
from csdesk.services.money import Rates, missing_text
from csdesk.services.periods import quarter_of
from csdesk.services.renewals.pipeline import LOW_SEAT_USE


@dataclass(frozen=True)
class ChurnCase:
    account_id: int
    name: str
    churned_on: date
    arr_cents: int
    reason: str
    category: str
    signals: tuple[str, ...]  # what the account showed 90 days before
    currency: str = "USD"  # of arr_cents (the renewal's)
    base_cents: int | None = None  # in the base at the churn day's rate (None: no rate)


@dataclass(frozen=True)
class ChurnAnalysis:
    cases: tuple[ChurnCase, ...]
    by_reason: dict[str, int]  # reason → churned ARR (cents)
    by_category: dict[str, int]
    by_quarter: dict[str, dict[str, int]]  # 2026Q3 → {reason: ARR}
    currency: str = "USD"  # the base currency of every sum
    note: str = ""  # a rate missing: the sums are refused (empty) and this says which


def churn_analysis(db: Database, *, since: date | None = None) -> ChurnAnalysis:
    """Churned ARR by reason, category and quarter, and each account's signals 90 days out."""
    with db.read() as s:
        # The churn date is the account's (as its page says), else the renewal's.
        stmt = (select(Renewal.account_id, Account.name,
                       func.coalesce(Account.churned_on, Renewal.renewal_date),
                       Renewal.current_arr_cents, Renewal.churn_reason_code,
                       Renewal.churn_category, Renewal.currency)
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
        rates = Rates.load(s)
        left = s.execute(select(Contact.account_id, Contact.left_on)
                         .where(Contact.account_id.in_(ids), Contact.is_champion.is_(True),
                                Contact.left_company.is_(True))).all() if ids else []
    def grouped(rows: Sequence[Sequence[Any]]
                ) -> dict[int, list[Sequence[Any]]]:  # one pass, in the query's order
        out: dict[int, list[Sequence[Any]]] = {}
        for row in rows:
            out.setdefault(row[0], []).append(row[1:])
        return out

    snaps_of, usage_of = grouped(snaps), grouped(usage)
    tickets_of, left_of = grouped(tickets), grouped(left)
    cases = []
    by_reason: dict[str, int] = {}
    by_category: dict[str, int] = {}
    by_quarter: dict[str, dict[str, int]] = {}
    # each churned ARR in the base at the rate of its churn day
    conv = rates.convert([int(r[3] or 0) for r in churned], [r[6] for r in churned],
                         [r[2] for r in churned])
    base_of = [None if b != b else int(b) for b in conv["base_cents"].tolist()]
    for (aid, name, when, arr, reason, category, currency), base in zip(churned, base_of,
                                                                        strict=True):
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
                               tuple(signals) or ("no warning signal on record",),
                               currency, base))
        lost = base or 0
        by_reason[code] = by_reason.get(code, 0) + lost
        by_category[cat] = by_category.get(cat, 0) + lost
        q = quarter_of(when)
        by_quarter.setdefault(q, {})[code] = by_quarter.get(q, {}).get(code, 0) + lost
    note = missing_text(rates.missing(conv))
    if note:  # a sum short of the currencies without a rate would mislead: refused
        by_reason, by_category, by_quarter = {}, {}, {}
    return ChurnAnalysis(tuple(cases), by_reason, by_category, by_quarter, rates.base, note)
