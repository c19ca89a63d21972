"""The book as a table: one row per account with what a CSM scans for, in one query.

Built as a single SQL statement of grouped sub-queries (no per-account queries), so that the
table of 100,000 accounts loads in one round trip. Rows are plain tuples in
:data:`ACCOUNT_COLUMNS` order; sorting and filtering happen on them, in the data layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select

from csdesk.db import Database
from csdesk.models import Account, Activity, HealthSnapshot, Renewal, Subscription, Task
from csdesk.models.enums import RenewalOutcome, TaskStatus

ACCOUNT_COLUMNS: tuple[str, ...] = (
    "id", "external_id", "name", "segment", "status", "health_score", "health_band",
    "arr_cents", "currency", "renewal_date", "renewal_track", "owner", "last_touch",
    "open_tasks",
)


@dataclass(frozen=True)
class AccountTable:
    """The book as rows of plain values; ``as_of`` is the date 'days to renewal' counts from."""

    columns: tuple[str, ...]
    rows: list[tuple[object, ...]]
    as_of: date

    def index(self, column: str) -> int:
        return self.columns.index(column)


def account_table(db: Database, *, as_of: date | None = None) -> AccountTable:
    today = as_of or date.today()
    current_arr = (
        select(Subscription.account_id, func.sum(Subscription.arr_cents).label("arr"),
               func.min(Subscription.currency).label("currency"))
        .where(Subscription.start_date <= today, Subscription.end_date >= today)
        .group_by(Subscription.account_id)
        .subquery()
    )
    ranked_health = (
        select(HealthSnapshot.account_id, HealthSnapshot.score, HealthSnapshot.band,
               func.row_number().over(partition_by=HealthSnapshot.account_id,
                                      order_by=HealthSnapshot.as_of.desc()).label("rn"))
        .subquery()
    )
    ranked_renewal = (
        select(Renewal.account_id, Renewal.renewal_date, Renewal.track, Renewal.track_override,
               func.row_number().over(partition_by=Renewal.account_id,
                                      order_by=Renewal.renewal_date).label("rn"))
        .where(Renewal.outcome == RenewalOutcome.PENDING)
        .subquery()
    )
    last_touch = (
        select(Activity.account_id, func.max(Activity.occurred_on).label("last_touch"))
        .group_by(Activity.account_id)
        .subquery()
    )
    open_tasks = (
        select(Task.account_id, func.count().label("open_tasks"))
        .where(Task.status == TaskStatus.OPEN)
        .group_by(Task.account_id)
        .subquery()
    )
    stmt = (
        select(
            Account.id, Account.external_id, Account.name, Account.segment, Account.status,
            ranked_health.c.score, ranked_health.c.band,
            current_arr.c.arr, current_arr.c.currency,
            ranked_renewal.c.renewal_date,
            func.coalesce(ranked_renewal.c.track_override, ranked_renewal.c.track),
            Account.owner, last_touch.c.last_touch,
            func.coalesce(open_tasks.c.open_tasks, 0),
        )
        .outerjoin(current_arr, current_arr.c.account_id == Account.id)
        .outerjoin(ranked_health, and_(ranked_health.c.account_id == Account.id,
                                       ranked_health.c.rn == 1))
        .outerjoin(ranked_renewal, and_(ranked_renewal.c.account_id == Account.id,
                                        ranked_renewal.c.rn == 1))
        .outerjoin(last_touch, last_touch.c.account_id == Account.id)
        .outerjoin(open_tasks, open_tasks.c.account_id == Account.id)
        .order_by(Account.name)
    )
    with db.read() as s:
        rows = [tuple(r) for r in s.execute(stmt)]
    return AccountTable(ACCOUNT_COLUMNS, rows, today)

