"""``csdesk accounts``: the book table's rows as the window computes them, in a terminal or
as JSON (one service function per fact, so this command and the window always agree)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from csdesk import clock
from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.errors import CsdeskError

SEGMENTS = ("enterprise", "mid_market", "smb", "self_serve")


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 date_type: object) -> None:
    acc = sub.add_parser("accounts", parents=[common],
                         help="list the book's accounts as the window's table shows them")
    acc.add_argument("--segment", choices=SEGMENTS, help="only this segment")
    acc.add_argument("--owner", help="only this CSM's accounts (exact name)")
    acc.add_argument("--include-churned", action="store_true",
                     help="list churned accounts too (hidden by default, as in the window)")
    acc.add_argument("--as-of", type=date_type, metavar="YYYY-MM-DD")
    acc.add_argument("--json", action="store_true", help="print the rows as JSON")


def rows_as_dicts(table: Any) -> list[dict[str, Any]]:
    """The table's rows with the window's columns, values in plain JSON types."""
    c = {name: i for i, name in enumerate(table.columns)}

    def plain(v: Any) -> Any:
        v = getattr(v, "value", v)
        return v.isoformat() if hasattr(v, "isoformat") else v

    out = []
    for r in table.rows:
        out.append({
            "name": r[c["name"]], "external_id": r[c["external_id"]],
            "segment": plain(r[c["segment"]]), "status": plain(r[c["status"]]),
            "health_band": plain(r[c["health_band"]]),
            "health_score": None if r[c["health_score"]] is None
            else round(float(r[c["health_score"]]), 1),
            "arr_cents": r[c["arr_cents"]], "currency": r[c["currency"]],
            "next_renewal": plain(r[c["renewal_date"]]),
            "days_to_renewal": r[c["days_to_renewal"]],
            "track": plain(r[c["renewal_track"]]), "owner": r[c["owner"]],
            "last_touch": plain(r[c["last_touch"]]), "open_tasks": r[c["open_tasks"]]})
    return out


def run(args: argparse.Namespace, location: DatabaseLocation) -> int:
    from csdesk.services.accounts import account_table
    from csdesk.services.formatting import counted, format_money

    if location.path is not None and not location.path.exists():
        raise CsdeskError(f"no csdesk book at {location.path}")
    today = args.as_of or clock.today()
    with Database.open(location, create=False, readonly_if_locked=True) as db:
        table = account_table(db, as_of=today)
    rows = [r for r in rows_as_dicts(table)
            if (args.include_churned or r["status"] != "churned")
            and (args.segment is None or r["segment"] == args.segment)
            and (args.owner is None or r["owner"] == args.owner)]
    if args.json:
        print(json.dumps({"as_of": today.isoformat(), "accounts": rows}, indent=2,
                         ensure_ascii=False))
        return 0
    for r in rows:
        health = "—" if r["health_score"] is None else f"{r['health_score']:.0f} {r['health_band']}"
        renews = r["next_renewal"] or "—"
        track = (r["track"] or "—").replace("_", "-")
        arr = "churned" if r["status"] == "churned" else format_money(r["arr_cents"],
                                                                      r["currency"] or "USD")
        print(f"{r['external_id']:<12} {r['name'][:38]:<38} {r['segment']:<11} "
              f"{health:<11} {arr:>12}  {renews:<10} {track:<10} {r['owner'] or '—':<18} "
              f"{r['last_touch'] or '—':<10} {r['open_tasks'] or ''}")
    print(counted(len(rows), "account"))
    return 0
