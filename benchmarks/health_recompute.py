"""Benchmark: recomputing the health of a 100,000-account book, against SQLite's own pass.

The floor is the sqlite3 shell running, on the same file in the same run, the one SQL query
that aggregates each account's last 90 days of usage (means and the sums an OLS slope needs).
csdesk's recompute does that and everything else: all nine inputs (usage, activities,
contacts and their sponsor touches, tickets, surveys, time to first value), the weighted
scores and bands per segment model, and the HealthSnapshot history rows it writes.

    python benchmarks/health_recompute.py [--book PATH] [--accounts 100000]

Without --book it generates the demo book first (100,000 accounts, 52 weeks of usage: about
five million usage rows), which takes a minute or two and is not part of the measurement.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta

from _book import AS_OF, book_arguments, demo_book, sqlite_floor, timing

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.services.book.info import book_info
from csdesk.services.health.scoring import recompute


def main() -> int:
    args = book_arguments(__doc__.splitlines()[0])
    book = demo_book(args, usage_weeks=52)
    if book is None:
        return 1
    with Database.open(resolve_database(book)) as db:
        counts = book_info(db).counts

    lo = (AS_OF - timedelta(days=90)).isoformat()
    floor_sql = f"""
        SELECT account_id, count(*), avg(active_users), avg(licensed_seats),
               avg(features_used), sum(julianday(date) - julianday('{AS_OF}')),
               sum(key_events),
               sum((julianday(date) - julianday('{AS_OF}')) * key_events),
               sum((julianday(date) - julianday('{AS_OF}')) *
                   (julianday(date) - julianday('{AS_OF}')))
        FROM usage_snapshots WHERE date > '{lo}' AND date <= '{AS_OF}'
        GROUP BY account_id;
    """
    floor_s = sqlite_floor(book, floor_sql)

    with Database.open(resolve_database(book)) as db:  # start-up checks are not timed
        t0 = time.perf_counter()
        summary = recompute(db, as_of=AS_OF)
        csdesk_s = time.perf_counter() - t0

    print(f"accounts: {counts['accounts']:,}; usage rows: {counts['usage_snapshots']:,}; "
          f"scored: {summary.scored:,}")
    timing("floor (sqlite3, one 90-day usage aggregate)", floor_s)
    timing("csdesk recompute (9 inputs, scores, history)", csdesk_s, floor_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
