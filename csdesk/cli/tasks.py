"""``csdesk tasks``: run the playbook rules and list the open tasks, with why each exists."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from csdesk import clock
from csdesk.cli import open_book
from csdesk.config import DatabaseLocation
from csdesk.errors import CsdeskError

if TYPE_CHECKING:  # the storage layer loads when a command runs, not for --help
    from csdesk.db import Database
    from csdesk.services.worklist.today import TaskRow


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 date_type: object) -> None:
    tasks = sub.add_parser("tasks", parents=[common],
                           help="run the playbook rules (--run) and list the open tasks")
    tasks.add_argument("--run", action="store_true",
                       help="evaluate the enabled rules first and create the new tasks")
    tasks.add_argument("--as-of", type=date_type, metavar="YYYY-MM-DD",
                       help="the day to evaluate the book as of (default: today)")
    tasks.add_argument("--owner", help="only this owner's tasks (any case)")
    tasks.add_argument("--today", action="store_true",
                       help="only the tasks planned for today (not those on later days)")
    tasks.add_argument("--first-touches", action="store_true",
                       help="with --run: create the first touches a run holds back when "
                            "they are more than a day's work, planned over the coming days "
                            "at the daily capacity")
    tasks.add_argument("--capacity", type=int, metavar="N",
                       help="set the book's tasks a day (default 15) and plan the worklist "
                            "with it")
    tasks.add_argument("--json", action="store_true")


def _owned(db: Database, rows: list[TaskRow], name: str) -> list[TaskRow]:
    """The tasks of the owner called ``name`` in any case; a name nobody in the book has
    (no account, no task) is an error that lists who there is, never an empty list that
    looks like a free day."""
    from csdesk.services.book.account_detail import owners

    want = name.strip().casefold()
    known = sorted({*owners(db), *(r.owner for r in rows if r.owner)}, key=str.casefold)
    if want not in {o.casefold() for o in known}:
        listed = ", ".join(known[:12]) + (" …" if len(known) > 12 else "")
        raise CsdeskError(f"no owner called {name!r} in this book"
                          + (f"; owners: {listed}" if known else ": nobody owns anything"))
    return [r for r in rows if r.owner and r.owner.casefold() == want]


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
        rows = open_tasks(db, today)
        if args.owner:
            rows = _owned(db, rows, args.owner)
    if args.today:
        rows = [r for r in rows if r.due is None or r.due <= today]
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
