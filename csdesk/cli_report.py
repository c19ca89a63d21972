"""``csdesk report``: the customer documents as PDFs, offline."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.errors import CsdeskError


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 date_type: object) -> None:
    rep = sub.add_parser("report", parents=[common],
                         help="write a success plan or value-delivered PDF for an account")
    rep.add_argument("document", choices=("plan", "value"),
                     help="plan: the success plan handout; value: value delivered")
    rep.add_argument("account", help="the account's external id or exact name")
    rep.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.pdf")
    rep.add_argument("--as-of", type=date_type, metavar="YYYY-MM-DD",
                     help="the day the report is as of (default: today)")


def run(args: argparse.Namespace, location: DatabaseLocation) -> int:
    from csdesk.reports.document import Branding
    from csdesk.services.account_detail import account_id_for

    if location.path is not None and not location.path.exists():
        raise CsdeskError(f"no csdesk book at {location.path}")
    out: Path = args.output
    if out.is_dir():
        raise CsdeskError(f"{out} is a folder; give a file name ending in .pdf")
    if not out.parent.exists():
        raise CsdeskError(f"the folder {out.parent} does not exist")
    as_of = args.as_of or date.today()
    branding = Branding.load()
    with Database.open(location, create=False, readonly_if_locked=True) as db:
        account = account_id_for(db, args.account)
        if args.document == "plan":
            from csdesk.reports.plan_pdf import write_plan_pdf
            from csdesk.services import success_plans as P

            plan_id = P.active_plan_id(db, account)
            if plan_id is None:
                raise CsdeskError(f"{args.account} has no success plan yet")
            missing = write_plan_pdf(P.plan_view(db, plan_id, today=as_of), out, branding)
        else:
            from csdesk.reports.value_pdf import write_value_pdf
            from csdesk.services.value import value_report

            missing = write_value_pdf(value_report(db, account, today=as_of), out, branding)
    print(f"Wrote {out}")
    if missing:
        print(f"Note: no font on this computer has {' '.join(sorted(missing))}; "
              "they print as '?'.")
    return 0
