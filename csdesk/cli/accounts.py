"""``csdesk accounts``: the book table's rows as the window computes them, in a terminal or
as JSON (one service function per fact, so this command and the window always agree)."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from csdesk import clock
from csdesk.cli import open_book
from csdesk.config import DatabaseLocation
from csdesk.errors import CsdeskError
from csdesk.models.enums import Segment

SEGMENTS = tuple(s.value for s in Segment)


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
            "health_note": r[c["health_note"]],
            "health_score": None if r[c["health_score"]] is None
            else round(float(r[c["health_score"]]), 1),
            "arr_cents": r[c["arr_cents"]], "currency": r[c["currency"]],
            "arr_base_cents": r[c["arr_base_cents"]], "base_currency": table.base_currency,
            "next_renewal": plain(r[c["renewal_date"]]),
            "days_to_renewal": r[c["days_to_renewal"]],
            "track": plain(r[c["renewal_track"]]), "owner": r[c["owner"]],
            "last_touch": plain(r[c["last_touch"]]), "open_tasks": r[c["open_tasks"]]})
    return out


def run(args: argparse.Namespace, location: DatabaseLocation) -> int:
    from csdesk.services.book.accounts import account_table
    from csdesk.services.formatting import (
        SEGMENT_LABELS,
        STATUS_LABELS,
        TRACK_LABELS,
        counted,
        format_money,
        label,
    )

    if location.path is not None and not location.path.exists():
        raise CsdeskError(f"no csdesk book at {location.path}")
    today = args.as_of or clock.today()
    with open_book(location, create=False, readonly_if_locked=True) as db:
        table = account_table(db, as_of=today)
    rows = [r for r in rows_as_dicts(table)
            if (args.include_churned or r["status"] != "churned")
            and (args.segment is None or r["segment"] == args.segment)
            and (args.owner is None or r["owner"] == args.owner)]
    if args.json:
        print(json.dumps({"as_of": today.isoformat(), "base_currency": table.base_currency,
                          "missing_rates": table.missing_rates or None, "accounts": rows},
                         indent=2, ensure_ascii=False))
        return 0
    c = {name: i for i, name in enumerate(table.columns)}
    raw = {r[c["external_id"]]: r[c["health_score"]] for r in table.rows}
    # An id column wide enough for the longest id (Salesforce's are 18 characters), up to 20.
    id_width = min(20, max([12, *(len(r["external_id"]) for r in rows)]))
    # The window's words: segment, track and status labels (one table each, in services).
    status = args.include_churned  # only a listing with churned accounts needs the column
    widths = (id_width, 38, 11, *((7,) if status else ()), 15, 12, 11, 10, 18, 11, 5)
    header = ("External id", "Account", "Segment", *(("Status",) if status else ()), "Health",
              "ARR", "Renews", "Track", "Owner", "Last touch", "Tasks")
    print(_line(header, widths, right={header.index("ARR")}))
    for r in rows:
        score = raw[r["external_id"]]  # formatted once, as the window does
        health = (r["health_note"] or "—") if score is None \
            else f"{score:.0f} {r['health_band']}"
        # No contract in force is no ARR ("—", as in the window), not $0.
        arr = "—" if r["status"] == "churned" or r["arr_cents"] is None \
            else format_money(r["arr_cents"], r["currency"] or "USD")
        print(_line((r["external_id"], r["name"], label(SEGMENT_LABELS, r["segment"]),
                     *((label(STATUS_LABELS, r["status"]),) if status else ()), health, arr,
                     _day(r["next_renewal"]), label(TRACK_LABELS, r["track"]),
                     r["owner"] or "—", _day(r["last_touch"]),
                     str(r["open_tasks"] or "")), widths, right={header.index("ARR")}))
    print(counted(len(rows), "account"))
    if table.missing_rates:
        print(f"Note: {table.missing_rates}.")
    return 0


def _day(iso: str | None) -> str:
    """A date as every screen writes it ("20 Mar 2027"; the JSON keeps ISO dates)."""
    from csdesk.services.formatting import format_date

    return format_date(date.fromisoformat(iso)) if iso else "—"


def _width(text: str) -> int:
    """Columns a terminal gives ``text``: wide (CJK) characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    while _width(text) > width:
        text = text[:-2] + "…"
    return text + " " * (width - _width(text))


def _line(cells: tuple[str, ...], widths: tuple[int, ...], right: set[int]) -> str:
    """One row of fixed-width cells; the ``right`` ones (money) right-aligned."""
    out = []
    for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
        cell = _fit(cell, width)
        out.append(cell.strip().rjust(width) if i in right else cell)
    return " ".join(out).rstrip()
