"""``csdesk requests`` and ``csdesk updates``: customers' asks ranked by the ARR at stake,
the product team's statuses, and the product updates the QBR's "what's new" tells."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csdesk.cli import open_book
from csdesk.config import DatabaseLocation
from csdesk.errors import CsdeskError

if TYPE_CHECKING:
    from csdesk.db import Database

KINDS = ("feature", "gap", "bug")


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 date_type: object) -> None:
    req = sub.add_parser(
        "requests", parents=[common],
        help="customers' feature requests and product gaps, ranked by the ARR at stake",
        description="csdesk requests lists every product item customers asked for, ranked "
                    "by the ARR at stake: the ARR today of each live customer that asked "
                    "(churned accounts are listed but not summed), each account once, in the "
                    "base currency; an item needing a missing exchange rate shows no sum. "
                    "--export writes it for the product team (.csv, or .xlsx with a sheet of "
                    "the asks by account).")
    req.add_argument("--json", action="store_true", help="print JSON")
    req.add_argument("--account", metavar="ACCOUNT",
                     help="list this account's asks instead (external id or exact name)")
    req.add_argument("--export", type=Path, metavar="FILE.csv|FILE.xlsx",
                     help="write the ranked list for the product team")
    req.add_argument("--overwrite", action="store_true",
                     help="with --export: replace an existing file csdesk did not write")
    actions = req.add_subparsers(dest="requests_action", metavar="ACTION")
    add = actions.add_parser("add", parents=[common], help="log an account's ask")
    add.add_argument("account", help="the account's external id or exact name")
    add.add_argument("title", help="what was asked, in a few words")
    add.add_argument("--detail", metavar="TEXT", help="more about the ask")
    add.add_argument("--by", metavar="NAME",
                     help="who asked (a contact of the account by name, or any name)")
    add.add_argument("--kind", choices=KINDS, default="feature",
                     help="a feature request (default), a product gap, or a bug as a gap")
    add.add_argument("--same-as", type=int, metavar="ITEM_ID",
                     help="the same ask as this product item (see csdesk requests); "
                          "default: the item of the same title, or a new one")
    add.add_argument("--on", type=date_type, metavar="YYYY-MM-DD",
                     help="the day it was asked (default: today)")
    status = actions.add_parser("status", parents=[common],
                                help="set the product team's status of an item")
    status.add_argument("item", type=int, metavar="ITEM_ID")
    status.add_argument("status", help="new, under review, planned, in progress, shipped or "
                                       "won't do")
    status.add_argument("--shipped", type=date_type, metavar="YYYY-MM-DD",
                        help="the day it shipped (default for shipped: today)")
    status.add_argument("--external-id", metavar="ID",
                        help="the item's id in the product team's tool")
    drop = actions.add_parser("delete", parents=[common],
                              help="remove an ask logged by mistake (its id: csdesk requests "
                                   "--account ACCOUNT)")
    drop.add_argument("request", type=int, metavar="REQUEST_ID")
    imp = actions.add_parser(
        "import", parents=[common],
        help="set statuses from the product team's CSV (external id or title, status, "
             "shipped date); a row in error means nothing is applied")
    imp.add_argument("file", type=Path, metavar="FILE.csv")

    upd = sub.add_parser("updates", parents=[common],
                         help="the product updates the QBR's what's new tells customers")
    upd_actions = upd.add_subparsers(dest="updates_action", metavar="ACTION", required=True)
    new = upd_actions.add_parser("add", parents=[common], help="keep a product update")
    new.add_argument("title")
    new.add_argument("--released", type=date_type, required=True, metavar="YYYY-MM-DD")
    new.add_argument("--description", metavar="TEXT")
    new.add_argument("--item", type=int, metavar="ITEM_ID",
                     help="the product item it delivers (an item not yet shipped ships on "
                          "the release day)")
    gone = upd_actions.add_parser("delete", parents=[common],
                                  help="remove an update kept by mistake")
    gone.add_argument("update", type=int, metavar="UPDATE_ID")
    listing = upd_actions.add_parser("list", parents=[common], help="list the updates")
    listing.add_argument("--json", action="store_true", help="print JSON")


def _open(location: DatabaseLocation, *, writing: bool) -> Database:
    if location.path is not None and not location.path.exists():
        raise CsdeskError(f"no csdesk book at {location.path}")
    return open_book(location, create=False, readonly_if_locked=not writing)


def run(args: argparse.Namespace, location: DatabaseLocation) -> int:
    action = getattr(args, "requests_action", None)
    if action is None and args.overwrite and args.export is None:
        raise CsdeskError("--overwrite goes with --export FILE")
    with _open(location, writing=action is not None) as db:
        if action == "add":
            return _add(db, args)
        if action == "status":
            return _status(db, args)
        if action == "import":
            return _import(db, args)
        if action == "delete":
            from csdesk.services.plans.requests import delete_request

            r = delete_request(db, args.request)
            print(f"Deleted request {r.id} of {r.account_name}: {r.title}")
            return 0
        if args.account:
            return _account(db, args)
        if args.export is not None:
            from csdesk.services.plans.requests_io import export_requests

            done = export_requests(db, args.export, overwrite=args.overwrite)
            print(f"Wrote {done.rows:,} product items, ranked by ARR at stake, to {done.path}")
            return 0
        return _ranked(db, args)


def _add(db: Database, args: argparse.Namespace) -> int:
    from csdesk.services.plans.requests import log_request

    kind = {"feature": "feature_request", "gap": "product_gap", "bug": "bug"}[args.kind]
    r = log_request(db, args.account, args.title, detail=args.detail, kind=kind,
                    asked_by=args.by, asked_on=args.on, same_as=args.same_as)
    print(f"Logged for {r.account_name}: {r.title} ({r.kind_label.lower()}) under product "
          f"item {r.item.id} “{r.item.title}”, {r.item.status_label.lower()}")
    return 0


def _status(db: Database, args: argparse.Namespace) -> int:
    from csdesk.services.formatting import format_date
    from csdesk.services.plans.requests import set_status

    item = set_status(db, args.item, args.status, args.shipped, external_id=args.external_id)
    shipped = f" on {format_date(item.shipped_on)}" if item.shipped_on else ""
    print(f"Product item {item.id} “{item.title}”: {item.status_label.lower()}{shipped}")
    return 0


def _import(db: Database, args: argparse.Namespace) -> int:
    from csdesk.services.formatting import counted
    from csdesk.services.plans.requests_io import import_statuses

    done = import_statuses(db, args.file)
    if not done.applied:
        for e in done.errors:
            print(e)
        print(f"csdesk: error: {counted(len(done.errors), 'row')} in error; nothing was "
              "applied (fix them and import again)", file=sys.stderr)
        return 1
    print(f"Read {counted(done.rows, 'row')}: {counted(done.changed, 'product item')} "
          "changed status")
    return 0


def _account(db: Database, args: argparse.Namespace) -> int:
    from csdesk.services.formatting import format_date
    from csdesk.services.health.pulse import account_id_of
    from csdesk.services.plans.requests import account_requests

    listed = account_requests(db, account_id_of(db, args.account))
    if args.json:
        print(json.dumps([{
            "id": r.id, "title": r.title, "detail": r.detail, "kind": r.kind,
            "asked_by": r.asked_by, "asked_on": r.asked_on.isoformat(), "item_id": r.item.id,
            "item": r.item.title, "status": r.item.status,
            "shipped_on": _iso(r.item.shipped_on)} for r in listed], indent=2,
            ensure_ascii=False))
        return 0
    if not listed:
        print(f"No requests logged for {args.account} yet (csdesk requests add "
              f"{args.account!r} TITLE).")
    for r in listed:
        by = f" · {r.asked_by}" if r.asked_by else ""
        shipped = f" {format_date(r.item.shipped_on)}" if r.item.shipped_on else ""
        print(f"{format_date(r.asked_on):>11}  #{r.id} {r.title}{by}  [{r.kind_label}; "
              f"item {r.item.id}: {r.item.status_label}{shipped}]")
    return 0


def _iso(day: Any) -> str | None:
    return day.isoformat() if day is not None else None


def arr_text(cents: int | None, currency: str, missing: tuple[str, ...]) -> str:
    """The ARR at stake, or which rate is missing."""
    from csdesk.services.formatting import format_money

    if cents is None:
        return f"no {'/'.join(missing)} rate"
    return format_money(cents, currency)


def _ranked(db: Database, args: argparse.Namespace) -> int:
    from csdesk.services.formatting import format_date
    from csdesk.services.plans.requests import ranked_requests

    ranked = ranked_requests(db)
    if args.json:
        print(json.dumps({
            "base_currency": ranked.base_currency, "as_of": ranked.as_of.isoformat(),
            "rule": ranked.rule,
            "items": [{
                "rank": n, "id": r.item.id, "title": r.item.title,
                "external_id": r.item.external_id, "status": r.item.status,
                "shipped_on": _iso(r.item.shipped_on),
                "arr_at_stake_cents": r.arr_at_stake_cents, "missing_rates": list(r.missing),
                "accounts": r.account_count, "live_accounts": r.live_count,
                "first_asked": r.first_asked.isoformat(),
                "asked_by": [{
                    "id": a.account_id, "external_id": a.external_id, "name": a.name,
                    "live": a.live, "arr_cents": a.arr_cents, "currency": a.currency,
                    "arr_base_cents": a.base_cents, "missing_rate": a.missing or None,
                    "first_asked": a.first_asked.isoformat(), "asks": a.asks}
                    for a in r.accounts]} for n, r in enumerate(ranked.items, start=1)],
        }, indent=2, ensure_ascii=False))
        return 0
    if not ranked.items:
        print("No requests logged yet (csdesk requests add ACCOUNT TITLE).")
        return 0
    print(ranked.rule)
    width = min(48, max(len(r.item.title) for r in ranked.items))
    print(f"{'#':>3}  {'Item':>5}  {'Product item':<{width}}  {'Status':<12}  "
          f"{'Accounts':>8}  {'ARR at stake':>14}  {'First asked':>11}  Shipped")
    for n, r in enumerate(ranked.items, start=1):
        accounts = f"{r.live_count}" if r.live_count == r.account_count else \
            f"{r.live_count}+{r.account_count - r.live_count}c"
        title = r.item.title if len(r.item.title) <= width else r.item.title[:width - 1] + "…"
        print(f"{n:>3}  {r.item.id:>5}  {title:<{width}}  {r.item.status_label:<12}  "
              f"{accounts:>8}  "
              f"{arr_text(r.arr_at_stake_cents, ranked.base_currency, r.missing):>14}  "
              f"{format_date(r.first_asked):>11}  {format_date(r.item.shipped_on)}")
    if any(r.live_count != r.account_count for r in ranked.items):
        print("Accounts: live customers (+ churned, marked c: listed, not summed).")
    return 0


def run_updates(args: argparse.Namespace, location: DatabaseLocation) -> int:
    from csdesk.services.formatting import format_date
    from csdesk.services.plans.requests import add_update, product_updates

    writing = args.updates_action in ("add", "delete")
    with _open(location, writing=writing) as db:
        if args.updates_action == "delete":
            from csdesk.services.plans.requests import delete_update

            print(f"Deleted the update “{delete_update(db, args.update)}”")
            return 0
        if writing:
            u = add_update(db, args.title, args.released, description=args.description,
                           item_id=args.item)
            item = f", delivering product item {u.item_id} “{u.item_title}”" if u.item_id \
                else ""
            print(f"Kept the update “{u.title}”, released {format_date(u.released_on)}{item}")
            return 0
        listed = product_updates(db)
    if args.json:
        print(json.dumps([{"id": u.id, "title": u.title, "description": u.description,
                           "released_on": u.released_on.isoformat(), "item_id": u.item_id,
                           "item": u.item_title} for u in listed], indent=2,
                         ensure_ascii=False))
        return 0
    if not listed:
        print("No product updates yet (csdesk updates add TITLE --released YYYY-MM-DD).")
    for u in listed:
        item = f"  [item {u.item_id}: {u.item_title}]" if u.item_id else ""
        about = f" — {u.description}" if u.description else ""
        print(f"{format_date(u.released_on):>11}  #{u.id} {u.title}{about}{item}")
    return 0
