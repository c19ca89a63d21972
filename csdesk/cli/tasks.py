"""``csdesk tasks``: run the playbook rules and list the open tasks, with why each exists;
``csdesk tasks done|snooze|reassign ID …`` acts on tasks by the ids the list shows."""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta
from typing import TYPE_CHECKING

from csdesk import clock
from csdesk.cli import open_book
from csdesk.config import DatabaseLocation
from csdesk.errors import CsdeskError, UsageError
from csdesk.models.enums import ActivityKind

if TYPE_CHECKING:  # the storage layer loads when a command runs, not for --help
    from collections.abc import Callable

    from csdesk.db import Database
    from csdesk.services.worklist.today import TaskRow


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 date_type: Callable[[str], date]) -> None:
    tasks = sub.add_parser(
        "tasks", parents=[common],
        help="run the playbook rules (--run) and list the open tasks; mark tasks done, "
             "snooze or reassign them",
        description="csdesk tasks lists the open tasks, each with its id (#12); csdesk tasks "
                    "done|snooze|reassign ID [ID ...] acts on them as Today does.")
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
    _add_actions(tasks, common, date_type)


def _task_id(text: str) -> int:
    """A task's id as the list shows it: 12 or #12."""
    try:
        return int(text.removeprefix("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a task's id is a number (csdesk tasks shows them as #12), not {text!r}"
        ) from None


def _add_actions(tasks: argparse.ArgumentParser, common: argparse.ArgumentParser,
                 date_type: Callable[[str], date]) -> None:
    """``done``, ``snooze`` and ``reassign``: optional, so ``csdesk tasks`` alone lists. Their
    --as-of and --json default to nothing, so given before the action they still count."""
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("ids", nargs="+", type=_task_id, metavar="ID",
                        help="a task's id, as csdesk tasks shows it (#12 or 12)")
    shared.add_argument("--as-of", type=date_type, metavar="YYYY-MM-DD",
                        default=argparse.SUPPRESS, help="the day it is done (default: today)")
    shared.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print the changed tasks as JSON")
    actions = tasks.add_subparsers(dest="action", metavar="ACTION", required=False,
                                   title="actions (leave out to list the open tasks)")
    done = actions.add_parser(
        "done", parents=[common, shared], help="mark tasks done (--note: log what was done "
                                               "on the account's timeline)")
    done.add_argument("--note", metavar="TEXT",
                      help="what was done, logged on each account's timeline as a proactive "
                           "touch (as Today's Done does); without it, nothing is logged")
    done.add_argument("--kind", choices=[k.value for k in ActivityKind], default="call",
                      help="with --note: the kind of touch (default: call)")
    done.add_argument("--contact", action="append", default=[], metavar="NAME",
                      help="with --note: a contact of the tasks' account who was touched "
                           "(name in any case); repeatable")
    snooze = actions.add_parser("snooze", parents=[common, shared],
                                help="put tasks off until a later day")
    when = snooze.add_mutually_exclusive_group(required=True)
    when.add_argument("--until", type=date_type, metavar="YYYY-MM-DD",
                      help="the day the tasks come back (after today)")
    when.add_argument("--days", type=int, metavar="N",
                      help="come back in N days")
    reassign = actions.add_parser("reassign", parents=[common, shared],
                                  help="give tasks to another owner")
    reassign.add_argument("--to", required=True, metavar="OWNER",
                          help="the owner who takes them over (a known owner in any case)")
    reassign.add_argument("--new-owner", action="store_true",
                          help="the owner is someone new to this book (not a typo)")


def _owned(db: Database, rows: list[TaskRow], name: str) -> list[TaskRow]:
    """The tasks of the owner called ``name`` in any case; a name nobody in the book has
    (no account, no task) is an error that lists who there is, never an empty list that
    looks like a free day."""
    want = _owner_called(db, rows, name).casefold()
    return [r for r in rows if r.owner and r.owner.casefold() == want]


def _owner_called(db: Database, rows: list[TaskRow], name: str, *, new: bool = False) -> str:
    """The owner called ``name`` in any case, as the book spells it (an account's or one
    of ``rows``'s owner). A name nobody has is an error listing who there is, unless
    ``new`` says it is someone new (then it is ``name`` as typed)."""
    from csdesk.services.book.account_detail import owners

    want = name.strip()
    known = sorted({*owners(db), *(r.owner for r in rows if r.owner)}, key=str.casefold)
    spelt = {o.casefold(): o for o in known}
    if want.casefold() in spelt:
        return spelt[want.casefold()]
    if new:
        return want
    listed = ", ".join(known[:12]) + (f" … and {len(known) - 12} more" if len(known) > 12
                                      else "")
    raise CsdeskError(f"no owner called {name!r} in this book"
                      + (f"; owners: {listed}" if known else ": nobody owns anything"))


def _writable(db: Database, cannot: str) -> None:
    if db.readonly:
        raise CsdeskError(f"the book is read-only ({db.readonly_reason}); cannot {cannot}")


def run(args: argparse.Namespace, location: DatabaseLocation) -> int:
    from csdesk.services.formatting import counted, format_date
    from csdesk.services.settings import daily_capacity
    from csdesk.services.worklist.plan import (
        done_on,
        later_days,
        over_capacity,
        planned_today,
        set_capacity,
    )
    from csdesk.services.worklist.rules import run_rules
    from csdesk.services.worklist.today import (
        NO_TASKS_YET,
        any_tasks,
        day_name,
        group_of,
        open_tasks,
    )

    if location.path is not None and not location.path.exists():
        raise CsdeskError(f"no csdesk book at {location.path}")
    today = args.as_of or clock.today()
    if args.action is not None:
        return act(args, location, today)
    with open_book(location, create=False, readonly_if_locked=not args.run) as db:
        if args.run:
            _writable(db, "create tasks")
        if args.capacity is not None:
            _writable(db, "change the tasks a day")
            set_capacity(db, args.capacity, today)
        result = run_rules(db, today, first_touches=True if args.first_touches else None) \
            if args.run else None
        created = result.created if result else 0
        held = result.held_back_text if result else ""
        made = result.created_text if result else ""
        capacity = daily_capacity(db)
        rows = open_tasks(db, today, snoozed=True)  # a snoozed task is listed on its day
        if args.owner:
            rows = _owned(db, rows, args.owner)
        never = not rows and not args.run and not any_tasks(db)
        done = done_on(db, today)
        if args.owner:
            done = {o: n for o, n in done.items() if o in {r.owner for r in rows}}
    # Said before --today keeps today's alone: why due tasks are not among them.
    waiting = _waiting(rows, today, capacity, len({r.owner for r in rows}))
    if args.today:
        rows = [r for r in rows if r.due is None or r.due <= today]
    # In the order of the worklist: today's by rank, then each later day's by rank (the
    # text below and the JSON alike), not one ranking that mixes later days into today.
    due = [r for r in rows if r.due is None or r.due <= today]
    later = later_days(rows, today)
    rows = due + [r for _day, planned in later for r in planned]
    if args.json:
        print(json.dumps({"as_of": today.isoformat(), "created": created,
                          "capacity": capacity, "first_touches_held_back": held or None,
                          "created_text": made or None,
                          "over_capacity": over_capacity(rows, today, capacity) or None,
                          "not_today": waiting or None,
                          "open": [
            {"id": r.id, "account": r.account, "account_id": r.account_id, "rule": r.rule,
             "title": r.title, "reason": r.reason, "rank": r.score, "why": r.why,
             "due": r.due.isoformat() if r.due else None, "priority": r.priority,
             "owner": r.owner, "group": group_of(r, today)[1],
             "status": r.status, "snoozed_until": _snoozed(r, today),
             "checklist": [{"text": t, "done": d} for t, d in r.checklist]}
            for r in rows]}, indent=2, ensure_ascii=False))
        return 0
    if args.run:
        print(f"{made or 'No new tasks'} (as of {format_date(today)})")
    if held:
        print(f"\n{held}\nRun `csdesk tasks --run --first-touches` to spread them.")
    if never:  # before any playbook run: what to do, not an empty day
        print(NO_TASKS_YET)
        return 0
    owners = len({r.owner for r in rows})
    print(f"\nToday: {planned_today(len(due), capacity, owners, sum(done.values()))}, "
          "highest rank first (ARR × risk × urgency)")
    if over := over_capacity(rows, today, capacity):
        print(f"  {over}")
    if waiting:
        print(f"  {waiting}")
    width = max((len(f"#{r.id}") for r in rows), default=0)
    # An Owner column for everyone's tasks (not when the list is one owner's).
    who = 0 if args.owner else max((len(r.owner or "—") for r in rows), default=0)
    indent = " " * (width + 15 + (who + 2 if who else 0))
    if rows:
        print(f"  {'Id':<{width}}  {'Due':>11}  {'Priority':<8} "
              + (f"{'Owner':<{who}}  " if who else "") + "Account — task")
    for day, planned in [(today, due), *later]:
        if day > today:  # each later day under its name, its tasks by rank
            if day == later[0][0]:
                print(f"\nPlanned on later days: "
                      f"{counted(sum(len(p) for _d, p in later), 'task')}")
            print(f"\n {day_name(day)}: {counted(len(planned), 'task')}")
        for r in planned:
            print(f"  {f'#{r.id}':<{width}}  {format_date(r.due):>11}  {r.priority:<8} "
                  + (f"{r.owner or '—':<{who}}  " if who else "")
                  + f"{r.account or '—'} — {r.title}{f' [{r.rule}]' if r.rule else ''}"
                  + (f" (snoozed until {day_name(r.snoozed_until)})"
                     if r.snoozed_until is not None and _snoozed(r, today) else ""))
            print(f"{indent}{r.why}")
            if r.reason:
                print(f"{indent}{r.reason}")
    snoozed = sum(1 for r in rows if _snoozed(r, today))
    print(f"\n{counted(len(rows), 'open task')}" + (f" ({snoozed} snoozed)" if snoozed else ""))
    return 0


def _waiting(rows: list[TaskRow], today: date, capacity: int, owners: int) -> str:
    """Why some tasks due by today are not today's: "7 of 22 due tasks wait for a later
    day: today's 15 places are taken by higher-ranked tasks" (else "")."""
    from csdesk.services.worklist.plan import natural_due

    own = [r for r in rows if not _snoozed(r, today) and (natural_due(r) or today) <= today]
    fit = sum(1 for r in own if r.due is None or r.due <= today)
    if fit == len(own):
        return ""
    places = "place is" if capacity == 1 else "places are"
    each = f" (each of {owners} owners')" if owners > 1 else ""
    return (f"{len(own) - fit:,} of {len(own):,} due tasks wait for a later day: today's "
            f"{capacity} {places}{each} taken by higher-ranked tasks")


def _snoozed(r: TaskRow, today: date) -> str | None:
    """The day a task is snoozed until (ISO), if that day is still to come."""
    if r.status == "snoozed" and r.snoozed_until is not None and r.snoozed_until > today:
        return r.snoozed_until.isoformat()
    return None


_LISTING = {"run": "--run", "today": "--today", "owner": "--owner", "capacity": "--capacity",
            "first_touches": "--first-touches"}


def act(args: argparse.Namespace, location: DatabaseLocation, today: date) -> int:
    """``csdesk tasks done|snooze|reassign ID …``: the tasks as they are now (their current
    version read just before the write), one plain line of what was done."""
    from csdesk.services.worklist.today import day_name, find_task, task_label, tasks_said

    listing = [flag for name, flag in _LISTING.items() if getattr(args, name)]
    if listing:
        raise UsageError(f"{', '.join(listing)} {'go' if len(listing) > 1 else 'goes'} with "
                         f"the list (csdesk tasks), not with csdesk tasks {args.action}")
    if args.action == "done" and args.contact and args.note is None:
        raise UsageError("--contact names who was touched in the activity --note logs; give "
                         "--note too")
    until = None
    if args.action == "snooze":
        until = args.until or today + timedelta(days=args.days)
        if until <= today:
            raise CsdeskError(f"snooze until a day after today ({day_name(today)}), not "
                              f"{day_name(until)}")
    with open_book(location, create=False) as db:
        _writable(db, f"mark tasks {args.action}" if args.action == "done"
                  else f"{args.action} tasks")
        rows = []
        for task_id in dict.fromkeys(args.ids):
            row = find_task(db, task_id)
            if row is None:
                raise CsdeskError(f"no task #{task_id} in this book (csdesk tasks lists the "
                                  "open tasks with their ids)")
            if row.status in ("done", "dismissed"):
                raise CsdeskError(f"{task_label(row)} is {row.status} already")
            rows.append(row)
        pairs = [(r.id, r.version) for r in rows]
        if args.action == "done":
            changed, said = _done(db, args, rows, pairs, today)
        elif args.action == "snooze":
            from csdesk.services.worklist.today import snooze_tasks

            assert until is not None
            changed = snooze_tasks(db, pairs, until, today)
            moved = any(r.due != until for r in changed)  # that day full: a later one
            said = "Snoozed " + tasks_said(changed, f" until {day_name(until)}",
                                           today if moved else None)
        else:
            from csdesk.services.worklist.today import open_tasks, reassign_tasks

            owner = _owner_called(db, open_tasks(db, today), args.to, new=args.new_owner)
            theirs = [r for r in rows if r.owner == owner]
            belong = f" already {'belongs' if len(theirs) == 1 else 'belong'} to {owner}"
            others = [(r.id, r.version) for r in rows if r.owner != owner]
            changed = reassign_tasks(db, others, owner, today) if others else []
            said = "; ".join(
                ([f"Reassigned {tasks_said(changed, f' to {owner}', today)}"] if changed else [])
                + ([tasks_said(theirs, belong)] if theirs else [])
                + ([] if changed else ["nothing changed"]))
    if args.json:
        print(json.dumps({"action": args.action, "tasks": [
            {"id": r.id, "account": r.account, "account_id": r.account_id, "title": r.title,
             "status": r.status, "due": r.due.isoformat() if r.due else None,
             "snoozed_until": r.snoozed_until.isoformat() if r.snoozed_until else None,
             "owner": r.owner} for r in changed]}, indent=2, ensure_ascii=False))
    else:
        print(said)
    return 0


def _done(db: Database, args: argparse.Namespace, rows: list[TaskRow],
          pairs: list[tuple[int, int]], today: date) -> tuple[list[TaskRow], str]:
    """Mark the tasks done, logging ``--note`` as Today's Done form does (a proactive touch
    of ``--kind`` on each account's timeline, with the ``--contact`` people touched)."""
    from csdesk.services.worklist.today import complete_tasks, tasks_said

    people = _contacts(db, rows, args.contact)
    changed = complete_tasks(db, pairs, activity=args.note, kind=args.kind, on=today,
                             contacts=list(people) or None)
    said = f"Marked {tasks_said(changed, ' done')}"
    if args.note is not None:
        said += (f"; logged the {args.kind} “{args.note.strip()}” on the timeline"
                 + (f" with {', '.join(people.values())}" if people else ""))
    return changed, said


def _contacts(db: Database, rows: list[TaskRow], names: list[str]) -> dict[int, str]:
    """The ids (and names) of the contacts called ``names``, in any case, among those of the
    tasks' one account who are still with the company (the ones Today offers to tick)."""
    from csdesk.services.book.account_detail import contacts

    if not names:
        return {}
    accounts = {r.account_id for r in rows}
    if len(accounts) != 1 or None in accounts:
        raise UsageError("--contact goes with the tasks of one account; mark the others "
                         "done on their own")
    people = [c for c in contacts(db, rows[0].account_id or 0) if not c.left_company]
    found: dict[int, str] = {}
    for name in names:
        match = [c for c in people if c.name.casefold() == name.strip().casefold()]
        if not match:
            listed = ", ".join(c.name for c in people)
            raise CsdeskError(f"{rows[0].account} has no contact called {name!r}"
                              + (f"; its contacts: {listed}" if people
                                 else ": none on record"))
        found.update((c.id, c.name) for c in match[:1])
    return found
