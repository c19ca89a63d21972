"""Benchmark: recomputing the health of a 100,000-account book, against SQLite's own passes.

The floor is what issue 21 names: one SQL pass per input family, run by the sqlite3 shell on
the same file in the same run — each account's last 90 days of usage (the means and the sums
an OLS slope needs: seats, trend, breadth), its last proactive touch, its contacts (champion
there or gone, the sponsor's last touch), its weighted tickets of 90 days, its latest NPS and
CSAT, the accounts' own facts (segment, start, first value) — and the history rows written:
one row per live account with a components text as long as csdesk's, into a table of the
same shape and unique key. csdesk's recompute does that and everything else: the nine
inputs' values, the weighted scores and bands per segment model, and the explanation kept
with each row.

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
        SELECT account_id, max(occurred_on) FROM activities
        WHERE proactive AND occurred_on <= '{AS_OF}' GROUP BY account_id;
        SELECT account_id, max(is_champion AND NOT left_company),
               max(is_champion AND left_company),
               max(CASE WHEN is_executive_sponsor AND NOT left_company THEN last_contacted END)
        FROM contacts GROUP BY account_id;
        SELECT account_id, count(*),
               sum(CASE priority WHEN 'urgent' THEN 4 WHEN 'high' THEN 2 ELSE 1 END
                   + 2 * is_escalation)
        FROM support_tickets WHERE opened_on > '{lo}' AND opened_on <= '{AS_OF}'
        GROUP BY account_id;
        SELECT account_id, kind, score, max(responded_on) FROM survey_responses
        WHERE responded_on <= '{AS_OF}' GROUP BY account_id, kind;
        SELECT id, segment, engagement_model, customer_since, first_value_date, status
        FROM accounts;
        CREATE TEMP TABLE history AS SELECT * FROM health_snapshots WHERE 0;
        CREATE UNIQUE INDEX temp.history_key ON history (account_id, as_of, model_id);
        INSERT INTO history (id, account_id, model_id, as_of, score, band, adoption_score,
                             inputs_present, inputs_total, components)
        SELECT id, id, 1, '{AS_OF}', 61.5, 'yellow', 43.75, 9, 9, printf('%.1078c', 'x')
        FROM accounts WHERE status = 'active';
    """
    floor_s = sqlite_floor(book, floor_sql)

    with Database.open(resolve_database(book)) as db:  # start-up checks are not timed
        from sqlalchemy.orm import configure_mappers

        configure_mappers()  # the ORM's set-up, once a process (0.3 s): start-up, not timed
        t0 = time.perf_counter()
        summary = recompute(db, as_of=AS_OF)
        csdesk_s = time.perf_counter() - t0

    print(f"accounts: {counts['accounts']:,}; usage rows: {counts['usage_snapshots']:,}; "
          f"scored: {summary.scored:,}")
    timing("floor (sqlite3: a pass per input family, the history rows written)", floor_s)
    timing("csdesk recompute (9 inputs, scores, history)", csdesk_s, floor_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
