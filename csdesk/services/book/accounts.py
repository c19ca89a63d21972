"""The book as a table: one row per account with what a CSM scans for, in one query.

Built from a few grouped queries joined in Python (never a query per account), so that the
table of 100,000 accounts loads in seconds. Rows are plain tuples in
:data:`ACCOUNT_COLUMNS` order; sorting and filtering happen on them, in the data layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from csdesk import clock
from csdesk.db import Database
from csdesk.db.cache import kept
from csdesk.errors import CsdeskError
from csdesk.models import Account, Activity, Contact, HealthSnapshot, Renewal, Task
from csdesk.models.enums import AccountStatus, RenewalOutcome, RenewalTrack, Segment, TaskStatus
from csdesk.services.book.table import (
    ACCOUNT_COLUMNS,
    LARGE_BOOK,
    RENEWAL_COLUMNS,
    AccountTable,
    names_only,
    sort_by_name,
)
from csdesk.services.formatting import format_money, health_note
from csdesk.services.money import Rates, arr_by_account, base_currency_in, missing_text
from csdesk.services.renewals.pipeline import outlook


def small_book(accounts: int) -> bool:
    """A book small enough that its table is read in one step, renewals included (below
    ``LARGE_BOOK`` accounts)."""
    return accounts < LARGE_BOOK


def account_table(db: Database, *, as_of: date | None = None, renewals: bool | None = True,
                  figures: bool | None = True) -> AccountTable:
    """Every account with its current ARR, latest health, next renewal, last touch, tasks.

    ``renewals=False`` leaves the next renewal's columns empty and the table marked
    ``renewals_pending``: :func:`with_renewals` fills them (the renewal pipeline is most of
    the cost at 100,000 accounts, and the rest of the table is useful without it).
    ``renewals=None`` reads them now when that is cheap: the book's pipeline is at hand, or
    the book has fewer than ``LARGE_BOOK`` accounts. ``figures=False`` reads the accounts
    alone (names, segment, status, owner: one query) and marks the rest ``figures_pending``;
    ``figures=None`` reads them too unless the book is a large one.

    Six indexed aggregate queries joined in Python: SQLite plans one big statement with
    window-function sub-queries as nested loops (minutes at 100,000 accounts), while each
    of these is a single pass over an index.
    """
    today = as_of or clock.today()
    latest_health = (  # the latest score up to the day shown, as every other screen reads it
        select(HealthSnapshot.account_id, func.max(HealthSnapshot.as_of).label("as_of"))
        .where(HealthSnapshot.as_of <= today)
        .group_by(HealthSnapshot.account_id)
        .subquery()
    )
    previous_health = (
        select(HealthSnapshot.account_id, func.max(HealthSnapshot.as_of).label("as_of"))
        .join(latest_health, latest_health.c.account_id == HealthSnapshot.account_id)
        .where(HealthSnapshot.as_of < latest_health.c.as_of)
        .group_by(HealthSnapshot.account_id)
        .subquery()
    )
    with db.read() as s:
        conn = s.connection()  # plain rows: the ORM's row layer costs more than the query
        accounts = conn.execute(select(Account.id, Account.external_id, Account.name,
                                    Account.segment, Account.status, Account.owner)
                             ).tuples().all()  # sorted below, as the table opens
        if figures is None:
            figures = small_book(len(accounts))
        if not figures:
            return names_only(accounts, today, base_currency_in(s))
        rates = Rates.load(s)
        by_account = arr_by_account(s, day=today, rates_=rates)
        arr = arr_money(rates, by_account)
        gaps = {c.strip() for m in by_account.loc[by_account["base_cents"].isna(), "missing"]
                for c in m.split(",")}
        health = {
            a: (score, band)
            for a, score, band in conn.execute(
                select(HealthSnapshot.account_id, HealthSnapshot.score, HealthSnapshot.band)
                .join(latest_health, and_(
                    latest_health.c.account_id == HealthSnapshot.account_id,
                    latest_health.c.as_of == HealthSnapshot.as_of))).all()
        }
        before = {
            a: score
            for a, score in conn.execute(
                select(HealthSnapshot.account_id, HealthSnapshot.score)
                .join(previous_health, and_(
                    previous_health.c.account_id == HealthSnapshot.account_id,
                    previous_health.c.as_of == HealthSnapshot.as_of))).all()
        }
    # Next renewal and track, last touch, open tasks: each from its one service function.
    if renewals is None:
        renewals = small_book(len(accounts)) or kept(db, ("pipeline", today, None, None)) \
            is not None
    renewal = _renewals(db, today) if renewals else {}
    touch = last_touch(db, as_of=today)
    tasks = open_task_counts(db, as_of=today)
    none2 = (None, None)
    none4 = (None, None, None, None)
    rows: list[tuple[object, ...]] = []
    for aid, ext, name, segment, status, owner in accounts:
        when, track = renewal.get(aid, none2)
        # A churned account has no health now (its page shows the last it had).
        now = none2 if status == AccountStatus.CHURNED else health.get(aid, none2)
        cents, currency, base_cents, arr_note = arr.get(aid, none4)
        rows.append((
            aid, ext, name, segment, status, *now, cents, currency,
            when, track, owner, touch.get(aid), tasks.get(aid, 0),
            _trend(now[0], before.get(aid)),
            (when - today).days if when is not None else None,
            # Scored, but below the minimum of evidence: no number, and the book says so.
            health_note(aid in health and status != AccountStatus.CHURNED, now[0]),
            base_cents, arr_note,
            # Case-folded keys, computed here off the GUI thread: sorting and filtering a
            # 100,000-row table then compares plain strings.
            name.casefold(), owner.casefold() if owner else None))
    sort_by_name(rows)  # the table opens sorted by name
    return AccountTable(ACCOUNT_COLUMNS, rows, today, sorted_by="name_key",
                        base_currency=rates.base, missing_rates=missing_text(
                            [(str(c), today) for c in sorted(gaps)]),
                        missing_currencies=tuple(sorted(gaps)),
                        renewals_pending=not renewals)


def _renewals(db: Database, today: date) -> dict[int, tuple[date, RenewalTrack]]:
    track_of = {t.value: t for t in RenewalTrack}
    return {a: (r.renewal_date, track_of[r.track])
            for a, r in outlook(db, today=today).items()}


def with_renewals(db: Database, table: AccountTable) -> AccountTable:
    """``table`` with each account's next renewal, track and days to it filled in (from
    ``outlook``, as on every screen); a table that has them is returned as it is."""
    from dataclasses import replace

    if not table.renewals_pending:
        return table
    today = table.as_of
    renewal = _renewals(db, today)
    i_id, i_date, i_track, i_days = (table.index(c) for c in ("id", *RENEWAL_COLUMNS))
    rows = []
    for r in table.rows:
        found = renewal.get(r[i_id])  # type: ignore[call-overload]
        if found is None:
            rows.append(r)
            continue
        row = list(r)
        row[i_date], row[i_track] = found
        row[i_days] = (found[0] - today).days
        rows.append(tuple(row))
    return replace(table, rows=rows, renewals_pending=False)


def arr_money(rates: Rates, arr: pd.DataFrame
              ) -> dict[int, tuple[int | None, str, int | None, str | None]]:
    """Each account's ARR as the book shows it: (cents, its currency, base cents, a note
    saying how it was converted or which rate is missing; None in the base currency)."""
    out: dict[int, tuple[int | None, str, int | None, str | None]] = {}
    for aid, cents, currency, base, rate, rate_day, missing in zip(
            arr.index.tolist(), arr["arr_cents"].tolist(), arr["currency"].tolist(),
            arr["base_cents"].tolist(), arr["rate"].tolist(), arr["rate_day"].tolist(),
            arr["missing"].tolist(), strict=True):
        whole = None if cents is None or cents != cents else int(cents)
        if base != base:
            note: str | None = (f"no {missing} rate to {rates.base} on or before today: add "
                                "one (Book ▸ Currencies and exchange rates) to count it in "
                                "the book's totals")
            out[aid] = (whole, currency, None, note)
            continue
        note = None if currency == rates.base else (
            f"{format_money(int(base), rates.base)} at {rates.explain(currency, rate, rate_day)}")
        out[aid] = (whole, currency, int(base), note)
    return out


def last_touch(db: Database, *, as_of: date | None = None,
               account_ids: list[int] | None = None) -> dict[int, date]:
    """Each account's last touch up to ``as_of``: the latest of its activities on the
    timeline, the "last contacted" a CRM gave one of its contacts and the account's own
    "last activity" date from a CRM (touches csdesk has no record of), so the book never
    shows a touch older than the contacts tab or the CRM does."""
    with db.read() as s:
        return last_touch_in(s, as_of=as_of, account_ids=account_ids)


def last_touch_in(s: Any, *, as_of: date | None = None,
                  account_ids: list[int] | None = None) -> dict[int, date]:
    """:func:`last_touch` inside an open session."""
    as_of = as_of or clock.today()
    stmt = (select(Activity.account_id, func.max(Activity.occurred_on))
            .where(Activity.occurred_on <= as_of).group_by(Activity.account_id))
    crm = (select(Contact.account_id, func.max(Contact.last_contacted))
           .where(Contact.last_contacted <= as_of).group_by(Contact.account_id))
    stated = select(Account.id, Account.last_activity_on).where(
        Account.last_activity_on.is_not(None), Account.last_activity_on <= as_of)
    if account_ids is not None:
        stmt = stmt.where(Activity.account_id.in_(account_ids))
        crm = crm.where(Contact.account_id.in_(account_ids))
        stated = stated.where(Account.id.in_(account_ids))
    conn = s.connection() if isinstance(s, Session) else s  # plain rows, not the ORM's
    out: dict[int, date] = dict(conn.execute(stmt).tuples().all())
    for aid, when in [*conn.execute(crm).tuples(), *conn.execute(stated).tuples()]:
        if when is not None and (aid not in out or when > out[aid]):
            out[aid] = when
    return out


def open_task_counts(db: Database, *, as_of: date | None = None,
                     account_ids: list[int] | None = None) -> dict[int | None, int]:
    """How many open tasks each account has, as the worklist counts them: open, or snoozed
    until a day that has come (accounts with none are absent; tasks on no account are
    counted under None)."""
    as_of = as_of or clock.today()
    stmt = (select(Task.account_id, func.count())
            .where((Task.status == TaskStatus.OPEN)
                   | ((Task.status == TaskStatus.SNOOZED) & (Task.snoozed_until <= as_of)))
            .group_by(Task.account_id))
    if account_ids is not None:
        stmt = stmt.where(Task.account_id.in_(account_ids))
    with db.read() as s:
        return dict(s.execute(stmt).tuples().all())


def _trend(now: float | None, before: float | None) -> float | None:
    """Change of the health score since the previous snapshot (None when unknown)."""
    if now is None or before is None:
        return None
    return round(now - before, 1)


@dataclass(frozen=True)
class AccountRef:
    id: int
    external_id: str
    name: str


def select_accounts(db: Database, *, segment: str | None = None,
                    renewing_within: int | None = None, ids: list[int] | None = None,
                    today: date | None = None, owner: str | None = None) -> list[AccountRef]:
    """Live accounts by segment, by a pending renewal within N days, by id, and (``owner``)
    only that CSM's book; by name."""

    today = today or clock.today()
    stmt = select(Account.id, Account.external_id, Account.name).where(
        Account.status != AccountStatus.CHURNED)
    if segment is not None:
        try:
            stmt = stmt.where(Account.segment == Segment(segment))
        except ValueError:

            names = ", ".join(s.value for s in Segment)
            raise CsdeskError(f"no segment {segment!r}; the segments are {names}") from None
    if renewing_within is not None:
        soon = select(Renewal.account_id).where(
            Renewal.outcome == RenewalOutcome.PENDING, Renewal.renewal_date >= today,
            Renewal.renewal_date <= date.fromordinal(today.toordinal() + renewing_within))
        stmt = stmt.where(Account.id.in_(soon))
    if ids is not None:
        stmt = stmt.where(Account.id.in_(ids))
    if owner is not None:
        stmt = stmt.where(Account.owner == owner)
    with db.read() as s:
        rows = s.execute(stmt.order_by(Account.name, Account.id)).all()
    return [AccountRef(*r) for r in rows]
