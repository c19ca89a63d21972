"""The book table's shape (:class:`AccountTable`) and its first, names-only state.

Kept apart from :mod:`csdesk.services.book.accounts` (SQLAlchemy, pandas) so that the
window can show a book's names read by :mod:`csdesk.db.glance` before those load.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Any

from csdesk import clock
from csdesk.db.glance import glance
from csdesk.models.enums import AccountStatus, Segment
from csdesk.services.base_currency import BASE_SETTING, DEFAULT_BASE

ACCOUNT_COLUMNS: tuple[str, ...] = (
    "id", "external_id", "name", "segment", "status", "health_score", "health_band",
    "arr_cents", "currency", "renewal_date", "renewal_track", "owner", "last_touch",
    "open_tasks", "health_trend", "days_to_renewal", "health_note", "arr_base_cents",
    "arr_note", "name_key", "owner_key",
)
RENEWAL_COLUMNS = ("renewal_date", "renewal_track", "days_to_renewal")
LARGE_BOOK = 20_000  # accounts: from here the table shows before its renewals are read


@dataclass(frozen=True)
class AccountTable:
    """The book as rows of plain values; ``as_of`` is the date 'days to renewal' counts from."""

    columns: tuple[str, ...]
    rows: list[tuple[object, ...]]
    as_of: date
    sorted_by: str | None = None  # the rows come sorted by this column, ascending
    base_currency: str = "USD"  # the currency of arr_base_cents and of every total
    # "no exchange rate for EUR …" when some account's ARR cannot be converted: a total of
    # the book's ARR is then refused, not shown short (empty when every rate is there)
    missing_rates: str = ""
    missing_currencies: tuple[str, ...] = ()  # the currencies named in missing_rates
    # The next renewal's columns are still to come (``with_renewals``): a large book's table
    # is shown first and its renewals filled in after, from the book's one pipeline.
    renewals_pending: bool = False
    # Health, ARR, last touch and open tasks are still to come: a large book shows its
    # accounts' names first (one query), then these (``account_table`` again), then renewals.
    figures_pending: bool = False

    def index(self, column: str) -> int:
        return self.columns.index(column)


_ID, _NAME_KEY = itemgetter(0), itemgetter(ACCOUNT_COLUMNS.index("name_key"))


def sort_by_name(rows: list[tuple[object, ...]]) -> None:
    """The order the table opens in: by name, case-folded, then by id (the same order
    whichever way and in whatever order the rows were read). Two stable sorts on one key
    each: rows read in id order make the first a single pass, and a text key compares in
    half the time of a (text, id) pair."""
    rows.sort(key=_ID)
    rows.sort(key=_NAME_KEY)


def names_only(accounts: Sequence[tuple[Any, ...]], today: date, base: str,
               kinds: tuple[dict[str, Segment], dict[str, AccountStatus]] | None = None
               ) -> AccountTable:
    """The table as far as the accounts themselves go (id, external id, name, segment,
    status, owner): every figure still to come, sorted by name as the table opens.
    ``kinds``: the segment and status read as their stored strings, with their enums."""
    if kinds is None:
        rows: list[tuple[object, ...]] = [
            (aid, ext, name, segment, status, None, None, None, None, None, None, owner, None,
             0, None, None, None, None, None, name.casefold(),
             owner.casefold() if owner else None)
            for aid, ext, name, segment, status, owner in accounts]
    else:
        seg, sta = kinds
        rows = [
            (aid, ext, name, seg[segment], sta[status], None, None, None, None, None, None,
             owner, None, 0, None, None, None, None, None, name.casefold(),
             owner.casefold() if owner else None)
            for aid, ext, name, segment, status, owner in accounts]
    sort_by_name(rows)
    return AccountTable(ACCOUNT_COLUMNS, rows, today, sorted_by="name_key", base_currency=base,
                        renewals_pending=True, figures_pending=True)


def first_table(path: Path | None) -> AccountTable | None:
    """The names-only table of the book file at ``path``, read without the storage layer
    (:func:`csdesk.db.glance.glance`); ``None`` when the file cannot be read that way or
    holds a value this version does not know (the ordinary start then makes every check)."""
    seen = glance(path, BASE_SETTING)
    if seen is None:
        return None
    try:
        return names_only(seen.accounts, clock.today(), seen.base_currency or DEFAULT_BASE,
                          ({s.value: s for s in Segment}, {s.value: s for s in AccountStatus}))
    except (KeyError, AttributeError):  # a value this version does not know; no name
        return None


def first_table_soon(path: Path | None) -> Callable[[], AccountTable | None]:
    """:func:`first_table`, read on a thread begun now (SQLite reads the file while the
    caller imports Qt); the function returned waits for it. A read that failed in any way
    gives ``None``, as :func:`first_table` does for a book it cannot read quickly."""
    box: list[AccountTable | None] = []
    thread = threading.Thread(target=lambda: box.append(first_table(path)),
                              name="csdesk-first-table", daemon=True)
    thread.start()

    def result() -> AccountTable | None:
        thread.join()
        return box[0] if box else None
    return result
