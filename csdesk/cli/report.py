"""``csdesk report``: the customer documents as PDFs, and the QBR as a slide deck, offline."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from csdesk import clock
from csdesk.cli import open_book
from csdesk.config import DatabaseLocation
from csdesk.errors import CsdeskError
from csdesk.reports.branding import Branding
from csdesk.safefile import PDF_MARK, check_replace, deck_made_by_csdesk, made_by_csdesk
from csdesk.services.formatting import counted

if TYPE_CHECKING:
    from csdesk.db import Database


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 date_type: object) -> None:
    rep = sub.add_parser("report", parents=[common],
                         help="write a QBR, value-delivered or success plan PDF, or a QBR "
                              "deck (.pptx)")
    rep.add_argument("document", choices=("qbr", "deck", "value", "plan", "batch"),
                     help="qbr: quarterly business review; deck: the QBR as an editable "
                          "PowerPoint deck; value: value delivered; "
                          "plan: the success plan handout; batch: one of those for many "
                          "accounts (csdesk report batch qbr --segment enterprise -o DIR)")
    rep.add_argument("account", help="the account's external id or exact name (for batch: "
                                     "qbr, deck, value or plan)")
    rep.add_argument("-o", "--output", type=Path, required=True,
                     metavar="FILE.pdf|FILE.pptx|DIR",
                     help="the PDF or deck to write (for batch: a folder)")
    rep.add_argument("--segment", help="batch: only this segment (enterprise, mid_market, smb)")
    rep.add_argument("--renewing-within", type=int, metavar="DAYS",
                     help="batch: only accounts with a renewal in the next DAYS days")
    rep.add_argument("--as-of", type=date_type, metavar="YYYY-MM-DD",
                     help="the day the report is as of (default: today)")
    rep.add_argument("--period", metavar="2026Q3",
                     help="the QBR's quarter (default: the last complete quarter)")
    rep.add_argument("--overwrite", action="store_true",
                     help="replace an existing file that csdesk did not write")
    rep.add_argument("--internal", action="store_true",
                     help="include the renewal and commercial section (not for customers)")
    rep.add_argument("--template", type=Path, metavar="T.pptx",
                     help="deck: the company's PowerPoint template (its master and layouts); "
                         "default: the one set in Reports → Branding…")


def run(args: argparse.Namespace, location: DatabaseLocation) -> int:
    from csdesk.reports.document import Branding
    from csdesk.services.book.account_detail import account_id_for

    if location.path is not None and not location.path.exists():
        raise CsdeskError(f"no csdesk book at {location.path}")
    if args.document == "batch":
        return _batch(args, location)
    if args.document == "deck":
        return _deck(args, location)
    if args.template is not None:
        raise CsdeskError("--template is for decks (csdesk report deck)")
    out: Path = args.output
    if out.is_dir():
        raise CsdeskError(f"{out} is a folder; give a file name ending in .pdf")
    check_replace(out, ours=made_by_csdesk(out, PDF_MARK), overwrite=args.overwrite,
                  what="a PDF csdesk wrote")
    if not out.parent.exists():
        raise CsdeskError(f"the folder {out.parent} does not exist")
    as_of = args.as_of or clock.today()
    branding = Branding.load()
    with open_book(location, create=False, readonly_if_locked=True) as db:
        account = _live(db, account_id_for(db, args.account), args.account)
        if args.document == "qbr":
            from csdesk.reports.qbr_pdf import write_qbr_pdf
            from csdesk.services.plans.qbr import qbr_data

            missing = write_qbr_pdf(qbr_data(db, account, args.period, today=as_of), out,
                                    branding, internal=args.internal)
        elif args.document == "plan":
            from csdesk.reports.plan_pdf import write_plan_pdf
            from csdesk.services.plans import success_plans

            plan_id = success_plans.active_plan_id(db, account)
            if plan_id is None:
                raise CsdeskError(f"{args.account} has no success plan yet")
            plan = success_plans.plan_view(db, plan_id, today=as_of)
            missing = write_plan_pdf(plan, out, branding)
        else:
            from csdesk.reports.value_pdf import write_value_pdf
            from csdesk.services.plans.value import value_report

            missing = write_value_pdf(value_report(db, account, today=as_of), out, branding)
    print(f"Wrote {out}")
    if notice := branding.unset_notice():
        print(notice)
    if missing:
        print(f"Note: no font on this computer has {' '.join(sorted(missing))}; "
              "they print as '?'.")
    return 0


def _deck(args: argparse.Namespace, location: DatabaseLocation) -> int:
    from csdesk.reports.qbr_deck import write_qbr_deck
    from csdesk.services.book.account_detail import account_id_for
    from csdesk.services.plans.qbr import qbr_data
    from csdesk.services.plans.qbr_document import qbr_document

    out: Path = args.output
    if out.is_dir():
        raise CsdeskError(f"{out} is a folder; give a file name ending in .pptx")
    check_replace(out, ours=deck_made_by_csdesk(out), overwrite=args.overwrite,
                  what="a deck csdesk wrote")
    if not out.parent.exists():
        raise CsdeskError(f"the folder {out.parent} does not exist")
    as_of = args.as_of or clock.today()
    branding = Branding.load()
    template, template_gone = _template(args, branding)
    with open_book(location, create=False, readonly_if_locked=True) as db:
        account = _live(db, account_id_for(db, args.account), args.account)
        data = qbr_data(db, account, args.period, today=as_of)
    write_qbr_deck(qbr_document(data, internal=args.internal), out, branding, template)
    if template_gone:
        print(template_gone)
    print(f"Wrote {out}")
    if notice := branding.unset_notice():
        print(notice)
    return 0


def _live(db: Database, account: int, name: str) -> int:
    """Documents are for live customers (as in the window): a churned account is refused in
    one line, not written from data that stopped when it left."""
    from csdesk.services.book.accounts import select_accounts

    if not select_accounts(db, ids=[account]):
        raise CsdeskError(f"{name} has churned: csdesk writes its documents for live "
                          "customers only")
    return account


def _template(args: argparse.Namespace, branding: Branding) -> tuple[Path | None, str | None]:
    """--template, else the one saved with the branding; checked before any work."""
    from csdesk.reports.qbr_deck import check_template

    template, gone = (args.template, None) if args.template else branding.template()
    if template is not None:
        check_template(template)
    return template, gone


def _batch(args: argparse.Namespace, location: DatabaseLocation) -> int:
    import sys
    from dataclasses import replace

    from csdesk.reports.batch import BatchJob, run_batch
    from csdesk.services.book.accounts import select_accounts

    if args.account not in ("qbr", "deck", "value", "plan"):
        raise CsdeskError(f"batch makes qbr, deck, value or plan documents, not "
                          f"{args.account!r}")
    branding, template_gone = Branding.load(), None
    if args.account == "deck":
        template, template_gone = _template(args, branding)
        branding = replace(branding, deck_template=str(template) if template else None)
    elif args.template is not None:
        raise CsdeskError("--template is for decks (csdesk report batch deck)")
    if args.output.exists() and not args.output.is_dir():
        raise CsdeskError(f"{args.output} is a file; batch writes into a folder")
    as_of = args.as_of or clock.today()
    with open_book(location, create=False, readonly_if_locked=True) as db:
        accounts = select_accounts(db, segment=args.segment,
                                   renewing_within=args.renewing_within, today=as_of)
    if not accounts:
        print("No accounts match; nothing written.")
        return 0

    def progress(fraction: float, message: str) -> None:
        if sys.stderr.isatty():
            print(f"\r{fraction:4.0%} {message[:60]:<60}", end="", file=sys.stderr, flush=True)

    job = BatchJob(args.account, args.output, args.period, args.internal, as_of, branding)
    result = run_batch(location, job, accounts, progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    what = "deck" if args.account == "deck" else "PDF"
    print(f"Wrote {counted(len(result.written), what)} to {args.output}")
    if template_gone:
        print(template_gone)
    if notice := job.branding.unset_notice():
        print(notice)
    for name, reason in result.skipped:
        print(f"Skipped {name}: {reason}")
    if result.missing_characters:
        print(f"Note: no font on this computer has "
              f"{' '.join(sorted(result.missing_characters))}; they print as '?'.")
    return 0
