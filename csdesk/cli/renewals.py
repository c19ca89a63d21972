"""``csdesk renewals``: the renewal pipeline in a terminal, or as an .ics calendar file."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from csdesk import clock
from csdesk.cli import open_book
from csdesk.config import DatabaseLocation
from csdesk.errors import CsdeskError
from csdesk.models.enums import Segment

if TYPE_CHECKING:
    from csdesk.services.renewals.pipeline import RenewalRow

SEGMENTS = tuple(s.value for s in Segment)


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 date_type: object) -> None:
    ren = sub.add_parser("renewals", parents=[common],
                         help="list the coming renewals with their tracks, write an .ics, or "
                              "forecast this quarter and the next")
    ren.add_argument("action", nargs="?", choices=("list", "forecast"), default="list",
                     help="list (the default) the renewals, or forecast the quarter in "
                          "progress and the next calendar quarter")
    ren.add_argument("--within", type=int, metavar="DAYS", help="only renewals in DAYS days")
    ren.add_argument("--segment", help=f"only this segment ({', '.join(SEGMENTS)})")
    ren.add_argument("--overwrite", action="store_true",
                     help="with --ics: replace an existing file that csdesk did not write")
    ren.add_argument("--ics", type=Path, metavar="FILE.ics",
                     help="write the renewals as an iCalendar file (all-day events with "
                          "alarms at the checkpoints)")
    ren.add_argument("--as-of", type=date_type, metavar="YYYY-MM-DD")
    ren.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, location: DatabaseLocation) -> int:
    from csdesk.services.formatting import TRACK_LABELS, counted, format_money
    from csdesk.services.money import base_currency
    from csdesk.services.renewals.calendar import write_ics
    from csdesk.services.renewals.forecast import base_total
    from csdesk.services.renewals.pipeline import TITLES, pipeline

    if location.path is not None and not location.path.exists():
        raise CsdeskError(f"no csdesk book at {location.path}")
    today = args.as_of or clock.today()
    if args.segment and args.segment not in SEGMENTS:
        raise CsdeskError(f"no segment {args.segment!r}; the segments are "
                          f"{', '.join(SEGMENTS)}")
    if args.action == "forecast":
        return _forecast(location, today, args.json)
    with open_book(location, create=False, readonly_if_locked=True) as db:
        rows = pipeline(db, today=today, within=args.within, segment=args.segment)
        base = base_currency(db)
    if args.ics is not None:
        write_ics(args.ics, rows, stamp=today, overwrite=args.overwrite)
        print(f"Wrote {counted(len(rows), 'renewal')} to {args.ics}")
        return 0
    arr, expected = (base_total(r.arr_base_cents for r in rows),
                     base_total(r.expected_base_cents for r in rows))
    missing = sorted({r.currency for r in rows if r.arr_base_cents is None})
    if args.json:
        print(json.dumps({"as_of": today.isoformat(), "base_currency": base,
                          "total_arr_base_cents": arr, "total_expected_base_cents": expected,
                          "missing_rates": missing or None, "renewals": [
            {"external_id": r.external_id, "name": r.name, "segment": r.segment,
             "owner": r.owner,
             "renewal_date": r.renewal_date.isoformat(), "days_to_go": r.days_to_go,
             "arr_cents": r.arr_cents, "currency": r.currency, "track": r.track,
             "reasons": list(r.reasons), "likelihood": r.likelihood,
             "expected_arr_cents": r.expected_arr_cents,
             "arr_base_cents": r.arr_base_cents,
             "expected_base_cents": r.expected_base_cents, "base_currency": r.base_currency,
             "checkpoint": _checkpoint(r)}
            for r in rows]}, indent=2))
        return 0
    if rows:  # the columns titled and the tracks worded as on the Renewals screen
        owner_width = max(5, *(len(r.owner or "—") for r in rows))
        track_width = max(len(TITLES["track"]), *map(len, TRACK_LABELS.values()))
        print(f"{TITLES['renews']:<11}  {TITLES['days']:>6}  "
              f"{TITLES['track']:<{track_width}} {TITLES['arr']:>12}  "
              f"{TITLES['likelihood']:>6}  {TITLES['owner']:<{owner_width}}  "
              f"{TITLES['name']} — why")
    for r in rows:
        print(f"{r.renewal_date:%d %b %Y}  {r.days_to_go:4d} d  "
              f"{TRACK_LABELS[r.track]:<{track_width}} "
              f"{format_money(r.arr_cents, r.currency):>12}  {r.likelihood:6.0%}  "
              f"{r.owner or '—':<{owner_width}}  {r.name}  — {'; '.join(r.reasons)}")
    if arr is None or expected is None:
        print(f"{counted(len(rows), 'renewal')}; no total in {base}: no exchange rate for "
              f"{', '.join(missing)} (add one with csdesk rates --add)")
        return 0
    print(f"{counted(len(rows), 'renewal')}; expected {format_money(expected, base)} of "
          f"{format_money(arr, base)} ARR (in {base}, at today's rates)")
    return 0


def _checkpoint(row: RenewalRow) -> dict[str, str | None]:
    """The renewal's checkpoint as the screen's Checkpoint column shows it (one function)."""
    from csdesk.services.renewals.pipeline import checkpoint_of

    mark = checkpoint_of(row)
    return {"state": mark.state, "date": mark.day.isoformat() if mark.day else None,
            "text": mark.text}


def _forecast(location: DatabaseLocation, today: date, as_json: bool) -> int:
    """``csdesk renewals forecast``: the same two quarters as the renewals screen."""
    from dataclasses import asdict

    from csdesk.services.renewals.forecast import describe_forecast, quarter_forecasts

    with open_book(location, create=False, readonly_if_locked=True) as db:
        quarters = quarter_forecasts(db, today=today)
    if as_json:
        print(json.dumps({"as_of": today.isoformat(), "quarters": [
            {**asdict(f), "by_track": {t: dict(zip(("renewals", "arr_cents",
                                                    "expected_arr_cents"), v, strict=True))
                                       for t, v in f.by_track.items()},
             "counted_from": f.counted_from.isoformat() if f.counted_from else None}
            for f in quarters]}, indent=2))
        return 0
    for label, f in zip(("This quarter", "Next quarter"), quarters, strict=True):
        print(f"{label}: {describe_forecast(f)}")
    return 0
