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

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.services.book import book_info
from csdesk.services.demo import generate_demo
from csdesk.services.health import recompute

AS_OF = date(2026, 11, 22)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, help="an existing demo book to score")
    parser.add_argument("--accounts", type=int, default=100_000)
    args = parser.parse_args()
    if shutil.which("sqlite3") is None:
        print("the sqlite3 shell is needed for the floor (apt-get install sqlite3)")
        return 1
    book = args.book
    if book is None:
        book = Path(tempfile.mkdtemp(prefix="csdesk-bench-")) / "book.sqlite"
        with Database.open(resolve_database(book)) as db:
            generate_demo(db, accounts=args.accounts, seed=7, as_of=AS_OF, usage_weeks=52)
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
    t0 = time.perf_counter()
    subprocess.run(["sqlite3", str(book)], input=floor_sql, text=True, check=True,
                   stdout=subprocess.DEVNULL)
    floor_s = time.perf_counter() - t0

    with Database.open(resolve_database(book)) as db:  # start-up checks are not timed
        t0 = time.perf_counter()
        summary = recompute(db, as_of=AS_OF)
        csdesk_s = time.perf_counter() - t0

    print(f"accounts: {counts['accounts']:,}; usage rows: {counts['usage_snapshots']:,}; "
          f"scored: {summary.scored:,}")
    print(f"floor (sqlite3, one 90-day usage aggregate): {floor_s:6.2f} s")
    print(f"csdesk recompute (9 inputs, scores, history): {csdesk_s:6.2f} s   "
          f"ratio {csdesk_s / floor_s:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
