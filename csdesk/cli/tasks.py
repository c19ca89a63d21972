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
    tasks.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, location: DatabaseLocation) -> int:
    from csdesk.services.formatting import counted, format_date
    from csdesk.services.worklist.rules import run_rules
    from csdesk.services.worklist.today import group_of, open_tasks

    if location.path is not None and not location.path.exists():
        raise CsdeskError(f"no csdesk book at {location.path}")
    today = args.as_of or clock.today()
    with open_book(location, create=False, readonly_if_locked=not args.run) as db:
        if args.run and db.readonly:
            raise CsdeskError(f"the book is read-only ({db.readonly_reason}); cannot create "
                              "tasks")
        created = run_rules(db, today).created if args.run else 0
        rows = open_tasks(db, today, owner=args.owner)
    if args.json:
        print(json.dumps({"as_of": today.isoformat(), "created": created, "open": [
            {"id": r.id, "account": r.account, "account_id": r.account_id, "rule": r.rule,
             "title": r.title, "reason": r.reason,
             "due": r.due.isoformat() if r.due else None, "priority": r.priority,
             "owner": r.owner, "group": group_of(r, today)[1],
             "checklist": [{"text": t, "done": d} for t, d in r.checklist]}
            for r in rows]}, indent=2, ensure_ascii=False))
        return 0
    if args.run:
        print(f"{counted(created, 'new task')} as of {format_date(today)}")
    group = None
    for r in rows:
        if group_of(r, today)[1] != group:
            group = group_of(r, today)[1]
            print(f"\n{group}")
        print(f"  {format_date(r.due):>11}  {r.priority:<8} {r.account or '—'} — {r.title}"
              f"{f' [{r.rule}]' if r.rule else ''}")
        if r.reason:
            print(f"               {r.reason}")
    print(f"\n{counted(len(rows), 'open task')}")
    return 0
