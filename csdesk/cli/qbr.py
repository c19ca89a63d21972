"""``csdesk qbr``: record a QBR held with an account, list an account's QBRs, complete a
commitment."""

from __future__ import annotations

import argparse
import json

from csdesk.cli import open_book
from csdesk.config import DatabaseLocation
from csdesk.errors import CsdeskError, UsageError


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 date_type: object) -> None:
    qbr = sub.add_parser(
        "qbr", parents=[common],
        help="record a QBR held with an account, list its QBRs, or complete a commitment",
        description="csdesk qbr record ACCOUNT --date D records a QBR (one per quarter); "
                    "csdesk qbr list ACCOUNT lists them with their commitments; csdesk qbr "
                    "done COMMITMENT_ID completes a commitment (and its success plan "
                    "milestone). A commitment made while the account has an active success "
                    "plan joins the plan.")
    qbr.add_argument("action", choices=("record", "list", "done", "delete"),
                     help="record: a QBR held; list: an account's QBRs; done: a commitment "
                          "kept; delete: a QBR recorded by mistake (--quarter)")
    qbr.add_argument("target", help="the account's external id or exact name (record, "
                                    "list), or the commitment's id (done)")
    qbr.add_argument("--date", type=date_type, metavar="YYYY-MM-DD",
                     help="the day the QBR was held (record)")
    qbr.add_argument("--attendee", action="append", default=[], metavar="NAME",
                     help="someone from the customer who attended (a contact of that name "
                          "is linked); repeatable")
    qbr.add_argument("--ours", action="append", default=[], metavar="NAME",
                     help="someone from our side who attended; repeatable")
    qbr.add_argument("--decision", action="append", default=[], metavar="TEXT",
                     help="a decision taken; repeatable")
    qbr.add_argument("--commit", action="append", default=[],
                     metavar="WHO|SIDE|WHAT|YYYY-MM-DD",
                     help="a commitment: who, side (customer or ours), what, by when; "
                          "repeatable")
    qbr.add_argument("--next-date", type=date_type, metavar="YYYY-MM-DD",
                     help="the day of the next QBR, if agreed")
    qbr.add_argument("--on", type=date_type, metavar="YYYY-MM-DD",
                     help="the day the commitment was done (done; default: today)")
    qbr.add_argument("--quarter", metavar="2026Q4",
                     help="the quarter of the QBR to delete (delete)")
    qbr.add_argument("--json", action="store_true", help="print the list as JSON (list)")


def run(args: argparse.Namespace, location: DatabaseLocation) -> int:
    from csdesk.services.book.account_detail import account_id_for
    from csdesk.services.formatting import counted, format_date
    from csdesk.services.plans import qbr_meetings as qm

    if location.path is not None and not location.path.exists():
        raise CsdeskError(f"no csdesk book at {location.path}")
    recording = (args.attendee or args.ours or args.decision or args.commit
                 or args.next_date or args.date)
    if args.action != "record" and recording:
        raise UsageError("--date, --attendee, --ours, --decision, --commit and --next-date "
                         "go with csdesk qbr record")
    if args.action == "record" and args.date is None:
        raise UsageError("say when the QBR was held: csdesk qbr record ACCOUNT --date "
                         "YYYY-MM-DD")
    if args.action != "done" and args.on is not None:
        raise UsageError("--on goes with csdesk qbr done COMMITMENT_ID")
    if args.action != "list" and args.json:
        raise UsageError("--json goes with csdesk qbr list")
    if (args.action == "delete") != (args.quarter is not None):
        raise UsageError("csdesk qbr delete ACCOUNT --quarter 2026Q4 (and --quarter goes "
                         "only with delete)")
    with open_book(location, create=False,
                       readonly_if_locked=args.action == "list") as db:
        if args.action == "done":
            try:
                commitment_id = int(args.target)
            except ValueError:
                raise UsageError(f"a commitment's id is a number (csdesk qbr list ACCOUNT "
                                 f"shows them), not {args.target!r}") from None
            c = qm.complete_commitment(db, commitment_id, args.on)
            print(f"Done: {c.what} ({c.who}) on {format_date(c.done_on)} — "
                  f"{c.state_label.lower()}")
            return 0
        account_id = account_id_for(db, args.target)
        if args.action == "delete":
            quarter = args.quarter.upper().replace("-", "")
            found = [m for m in qm.qbr_meetings(db, account_id) if m.quarter == quarter]
            if not found:
                raise CsdeskError(f"no QBR recorded for {args.target} in {quarter}")
            removed = qm.delete_qbr(db, found[0].id)
            steps = (f"; {counted(removed, 'open step')} left the success plan"
                     if removed else "")
            print(f"Deleted the {quarter} QBR of {args.target} held "
                  f"{format_date(found[0].held_on)} and its "
                  f"{counted(len(found[0].commitments), 'commitment')}{steps}")
            return 0
        if args.action == "record":
            commitments = [qm.parse_commitment(text) for text in args.commit]
            meeting_id = qm.record_qbr(db, account_id, args.date, attendees=args.attendee,
                                       our_attendees=args.ours, decisions=args.decision,
                                       commitments=commitments, next_qbr_on=args.next_date)
            m = next(x for x in qm.qbr_meetings(db, account_id) if x.id == meeting_id)
            joined = sum(c.milestone_id is not None for c in m.commitments)
            plan = f"; {joined} joined the success plan" if joined else ""
            print(f"Recorded the {m.quarter} QBR of {args.target} held "
                  f"{format_date(m.held_on)}: {counted(len(m.commitments), 'commitment')}"
                  f"{plan}")
            return 0
        meetings = qm.qbr_meetings(db, account_id)
    if args.json:
        print(json.dumps([{
            "id": m.id, "quarter": m.quarter, "held_on": m.held_on.isoformat(),
            "attendees": list(m.attendees), "ours": list(m.our_attendees),
            "decisions": list(m.decisions),
            "documents": [{"kind": k, "path": p} for k, p in m.documents],
            "next_qbr_on": m.next_qbr_on.isoformat() if m.next_qbr_on else None,
            "commitments": [{"id": c.id, "who": c.who, "side": c.side, "what": c.what,
                             "due_on": c.due_on.isoformat(),
                             "done_on": c.done_on.isoformat() if c.done_on else None,
                             "state": c.state, "milestone_id": c.milestone_id}
                            for c in m.commitments]} for m in meetings],
            indent=2, ensure_ascii=False))
        return 0
    if not meetings:
        print(f"No QBR recorded for {args.target} yet (csdesk qbr record {args.target!r} "
              f"--date YYYY-MM-DD).")
        return 0
    for m in meetings:
        print(f"{m.quarter}  held {format_date(m.held_on)}"
              + (f"  · next {format_date(m.next_qbr_on)}" if m.next_qbr_on else ""))
        if m.attendees or m.our_attendees:
            print(f"  Attendees: {', '.join((*m.attendees, *m.our_attendees))}")
        for d in m.decisions:
            print(f"  Decision: {d}")
        for c in m.commitments:
            side = "customer" if c.side == "customer" else "ours"
            print(f"  [{c.id}] {c.what} — {c.who} ({side}), by {format_date(c.due_on)}: "
                  f"{c.state_label}"
                  + (f" {format_date(c.done_on)}" if c.done_on else ""))
    return 0
