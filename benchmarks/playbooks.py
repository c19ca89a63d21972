"""Benchmark: running every playbook rule over a 100,000-account book, against SQLite's pass.

The floor is the sqlite3 shell running, on the same file in the same run, the aggregates the
rules cannot do without: each account's latest health snapshot, its latest usage snapshot,
its last proactive activity and its current ARR. csdesk's ``run_rules`` does that and the
rest: the ten rules (health drop with the red streak's start, onboarding stall, renewal
checkpoints through the renewal pipeline, no proactive touch by engagement model, champion
and sponsor, adoption plateau, expansion signals, NPS detractors and promoters, QBR due), a
reason citing the data for each finding, the dedupe check, and the tasks it writes. A second run
(everything already has a task) is timed too.

    python benchmarks/playbooks.py [--book PATH] [--accounts 100000]

The book is modified (tasks are added): pass a copy.
"""

from __future__ import annotations

import sys
import time

from _book import AS_OF, book_arguments, demo_book, sqlite_floor, timing

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.services.worklist.rules import rules, run_rules, save_rule


def main() -> int:
    args = book_arguments(__doc__.splitlines()[0])
    book = demo_book(args, usage_weeks=26)
    if book is None:
        return 1
    day = AS_OF.isoformat()
    floor_s = sqlite_floor(book, f"""
        SELECT account_id, score, band, max(as_of) FROM health_snapshots
        WHERE as_of <= '{day}' GROUP BY account_id;
        SELECT account_id, active_users, licensed_seats, max(date) FROM usage_snapshots
        WHERE date <= '{day}' GROUP BY account_id;
        SELECT account_id, max(occurred_on) FROM activities
        WHERE proactive AND occurred_on <= '{day}' GROUP BY account_id;
        SELECT account_id, sum(arr_cents) FROM subscriptions
        WHERE start_date <= '{day}' AND end_date >= '{day}' GROUP BY account_id;
    """)
    with Database.open(resolve_database(book)) as db:
        from dataclasses import replace

        for rule in rules(db):  # every rule on, whatever the book had
            save_rule(db, replace(rule, enabled=True))
        t0 = time.perf_counter()
        first = run_rules(db, AS_OF)
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        second = run_rules(db, AS_OF)
        second_s = time.perf_counter() - t0
    print(f"tasks created: {first.created:,}; second run created {second.created:,} "
          f"({second.already:,} already had a task)")
    timing("floor (sqlite3: latest health, usage, proactive touch, ARR)", floor_s)
    timing("csdesk run_rules, first run (ten rules, reasons, tasks)", first_s, floor_s)
    timing("csdesk run_rules, second run (nothing new)", second_s, floor_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
