"""``csdesk pulse``: record or show the CSM's pulse of an account, and edit its reasons."""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING

from csdesk import clock
from csdesk.cli import open_book
from csdesk.config import DatabaseLocation
from csdesk.errors import CsdeskError, UsageError

if TYPE_CHECKING:
    from csdesk.db import Database


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 date_type: object) -> None:
    pulse = sub.add_parser(
        "pulse", parents=[common],
        help="record your pulse of an account (1 about to churn … 5 thriving), or show it",
        description="csdesk pulse ACCOUNT RATING records a pulse; csdesk pulse ACCOUNT shows "
                    "the latest and the history; --reasons lists the reasons to pick from and "
                    "--set-reasons replaces them. The pulse is shown beside the computed "
                    "health, never blended into it unless the health model turns it on.")
    pulse.add_argument("account", nargs="?", help="the account's external id or exact name")
    pulse.add_argument("rating", nargs="?",
                       help="1 about to churn, 2 at risk, 3 steady, 4 healthy, 5 thriving (or "
                            "red, yellow, green)")
    pulse.add_argument("--reason", action="append", default=[], metavar="REASON",
                       help="why (up to three; one of csdesk pulse --reasons); repeatable")
    pulse.add_argument("--note", metavar="TEXT", help="a note to keep with the pulse")
    pulse.add_argument("--date", type=date_type, metavar="YYYY-MM-DD",
                       help="the day of the pulse (default: today)")
    pulse.add_argument("--reasons", action="store_true", dest="list_reasons",
                       help="list the reasons a pulse picks from")
    pulse.add_argument("--set-reasons", metavar="A,B,C",
                       help="replace the list of reasons (comma-separated)")


def pulse_line(db: Database, account_id: int, as_of: date | None = None) -> str | None:
    """The pulse line printed beside an account's health (None without a pulse)."""
    from csdesk.services.health.pulse import latest_pulse

    latest = latest_pulse(db, account_id, as_of)
    return None if latest is None else latest.line()


def run(args: argparse.Namespace, location: DatabaseLocation) -> int:
    from csdesk.services.formatting import format_date
    from csdesk.services.health.pulse import (
        RATING_WORDS,
        pulse_history,
        pulse_reasons,
        record_pulse,
        set_pulse_reasons,
    )

    if location.path is not None and not location.path.exists():
        raise CsdeskError(f"no csdesk book at {location.path}")
    writing = args.rating is not None or args.set_reasons is not None
    if args.account is None and not (args.list_reasons or args.set_reasons is not None):
        raise UsageError("name an account (csdesk pulse ACCOUNT [RATING]), or use --reasons "
                         "or --set-reasons")
    if args.rating is None and (args.reason or args.note or args.date):
        raise UsageError("--reason, --note and --date go with a rating: "
                         "csdesk pulse ACCOUNT RATING --reason …")
    with open_book(location, create=False, readonly_if_locked=not writing) as db:
        if args.set_reasons is not None:
            saved = set_pulse_reasons(db, args.set_reasons.split(","))
            print(f"Pulse reasons saved: {', '.join(saved)}")
        if args.list_reasons:
            for reason in pulse_reasons(db):
                print(reason)
        if args.account is None:
            return 0
        if args.rating is not None:
            p = record_pulse(db, args.account, args.rating, args.reason, note=args.note,
                             day=args.date)
            print(f"Recorded for {args.account}: {p.line()} ({p.words})")
            return 0
        from csdesk.services.health.pulse import account_id_of

        account_id = account_id_of(db, args.account)
        history = pulse_history(db, account_id, clock.today())
        if not history:
            print(f"No pulse recorded for {args.account} yet (csdesk pulse {args.account!r} "
                  f"RATING).")
            return 0
        print(pulse_line(db, account_id) or "No pulse on or before today.")
        print(f"History ({len(history)}):")
        for p in history:
            why = f"  {', '.join(p.reasons)}" if p.reasons else ""
            note = f"  — {p.note}" if p.note else ""
            print(f"  {format_date(p.day):>11}  {p.rating}/5 {RATING_WORDS[p.rating]:<14}"
                  f"{why}{note}")
    return 0
