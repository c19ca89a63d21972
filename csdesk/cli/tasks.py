"""``csdesk tasks``: run the playbook rules and list the open tasks, with why each exists."""

from __future__ import annotations

import argparse
import json

from csdesk import clock
from csdesk.cli import open_book
from csdesk.config import DatabaseLocation
from csdesk.errors import CsdeskError


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 date_type: object) -> None:
    tasks = sub.add_parser("tasks", parents=[common],
                           help="run the playbook rules (--run) and list the open tasks")
    tasks.add_argument("--run", action="store_true",
                       help="evaluate the enabled rules first and create the new tasks")
    tasks.add_argument("--as-of", type=date_type, metavar="YYYY-MM-DD",
                       help="the day to evaluate the book as of (default: today)")
    tasks.add_argument("--owner", help="only this owner's tasks")
    tasks.add_argument("--first-touches", action="store_true",
                       help="with --run: create the first touches a run holds back when "
                            "they are more than a day's work, planned over the coming days "
                            "at the daily capacity")
    tasks.add_argument("--capacity", type=int, metavar="N",
                       help="set the book's tasks a day (default 15) and plan the worklist "
                            "with it")
    tasks.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, location: DatabaseLocation) -> int:
    from csdesk.services.formatting import counted, format_date
    from csdesk.services.settings import daily_capacity
    from csdesk.services.worklist.plan import over_capacity, planned_today, set_capacity
    from csdesk.services.worklist.rules import run_rules
    from csdesk.services.worklist.today import group_of, open_tasks

    if location.path is not None and not location.path.exists():
        raise CsdeskError(f"no csdesk book at {location.path}")
    today = args.as_of or clock.today()
    with open_book(location, create=False, readonly_if_locked=not args.run) as db:
        if args.run and db.readonly:
            raise CsdeskError(f"the book is read-only ({db.readonly_reason}); cannot create "
                              "tasks")
        if args.capacity is not None:
            if db.readonly:
                raise CsdeskError(f"the book is read-only ({db.readonly_reason}); cannot "
                                  "change the tasks a day")
            set_capacity(db, args.capacity, today)
        result = run_rules(db, today, first_touches=True if args.first_touches else None) \
            if args.run else None
        created = result.created if result else 0
        held = result.held_back_text if result else ""
        made = result.created_text if result else ""
        capacity = daily_capacity(db)
        rows = open_tasks(db, today, owner=args.owner)
    if args.json:
        print(json.dumps({"as_of": today.isoformat(), "created": created,
                          "capacity": capacity, "first_touches_held_back": held or None,
                          "created_text": made or None,
                          "over_capacity": over_capacity(rows, today, capacity) or None,
                          "open": [
            {"id": r.id, "account": r.account, "account_id": r.account_id, "rule": r.rule,
             "title": r.title, "reason": r.reason, "rank": r.score, "why": r.why,
             "due": r.due.isoformat() if r.due else None, "priority": r.priority,
             "owner": r.owner, "group": group_of(r, today)[1],
             "checklist": [{"text": t, "done": d} for t, d in r.checklist]}
            for r in rows]}, indent=2, ensure_ascii=False))
        return 0
    if args.run:
        print(f"{made or 'No new tasks'} (as of {format_date(today)})")
    if held:
        print(f"\n{held}\nRun `csdesk tasks --run --first-touches` to spread them.")
    due = [r for r in rows if r.due is None or r.due <= today]
    print(f"\nToday: {planned_today(len(due), capacity, len({r.owner for r in rows}))}, "
          "highest rank first (ARR × risk × urgency)")
    if over := over_capacity(rows, today, capacity):
        print(f"  {over}")
    group = None
    for r in due + [r for r in rows if r not in due]:
        if r.due is not None and r.due > today and group is None:
            group = "later"
            print(f"\nPlanned on later days: {counted(len(rows) - len(due), 'task')}")
        print(f"  {format_date(r.due):>11}  {r.priority:<8} {r.account or '—'} — {r.title}"
              f"{f' [{r.rule}]' if r.rule else ''}")
        print(f"               why first: {r.why}")
        if r.reason:
            print(f"               {r.reason}")
    print(f"\n{counted(len(rows), 'open task')}")
    return 0
