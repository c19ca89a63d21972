"""Benchmark: the renewal pipeline of a 100,000-account book, against SQLite's own pass.

The floor is the sqlite3 shell running, on the same file in the same run, the SQL that reads
what the pipeline needs for each live account: its current subscriptions' earliest end date,
ARR and auto-renew flag, its latest health snapshot, and its latest usage snapshot. csdesk's
``pipeline`` does that and everything else: pending Renewal records and overrides, the
previous health score for the trend, champions who left, open escalations, the track and its
reasons, checkpoints per segment, likelihood and expected ARR. Then the whole pipeline is
written as an .ics file (``to_ics``), and the quarter's forecast is computed.

    python benchmarks/renewals_pipeline.py [--book PATH] [--accounts 100000]

Without --book it generates the demo book first (100,000 accounts), which takes a minute or
two and is not part of the measurement.
"""

from __future__ import annotations

import sys
import time

from _book import AS_OF, book_arguments, demo_book, sqlite_floor, timing

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.services.renewals.calendar import to_ics
from csdesk.services.renewals.forecast import forecast
from csdesk.services.renewals.pipeline import pipeline


def main() -> int:
    args = book_arguments(__doc__.splitlines()[0])
    book = demo_book(args, usage_weeks=26)
    if book is None:
        return 1
    day = AS_OF.isoformat()
    floor_sql = f"""
        WITH subs AS (
            SELECT account_id, min(end_date) AS ends, sum(arr_cents) AS arr,
                   max(auto_renew) AS auto
            FROM subscriptions WHERE start_date <= '{day}' AND end_date >= '{day}'
            GROUP BY account_id),
        health AS (
            SELECT account_id, score, band, max(as_of) FROM health_snapshots
            WHERE as_of <= '{day}' GROUP BY account_id),
        usage AS (
            SELECT account_id, active_users, licensed_seats, max(date) FROM usage_snapshots
            WHERE date <= '{day}' GROUP BY account_id)
        SELECT a.id, a.name, a.segment, subs.ends, subs.arr, subs.auto, health.score,
               health.band, usage.active_users, usage.licensed_seats
        FROM accounts a JOIN subs ON subs.account_id = a.id
        LEFT JOIN health ON health.account_id = a.id
        LEFT JOIN usage ON usage.account_id = a.id
        WHERE a.status = 'active';
    """
    floor_s = sqlite_floor(book, floor_sql)

    with Database.open(resolve_database(book)) as db:  # start-up checks are not timed
        t0 = time.perf_counter()
        rows = pipeline(db, today=AS_OF)
        pipeline_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ics = to_ics(rows, stamp=AS_OF)
        ics_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        fc = forecast(db, "2026Q4", today=AS_OF)
        forecast_s = time.perf_counter() - t0

    print(f"renewals in the pipeline: {len(rows):,}; .ics: {len(ics) / 1e6:.1f} MB; "
          f"{fc.period}: {fc.renewals:,} renewals")
    timing("floor (sqlite3, one query for subscriptions, latest health and usage)", floor_s)
    timing("csdesk pipeline (tracks, reasons, checkpoints, likelihood)", pipeline_s, floor_s)
    timing("csdesk .ics of every renewal", ics_s, floor_s)
    timing("csdesk quarter forecast", forecast_s, floor_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
