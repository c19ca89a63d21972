"""``csdesk rates`` and ``csdesk settings base-currency``: the book's currencies."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from csdesk.cli import open_book
from csdesk.config import DatabaseLocation
from csdesk.errors import CsdeskError


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                 date_type: object) -> None:
    rates = sub.add_parser("rates", parents=[common],
                           help="list the exchange rates to the base currency, or type one")
    rates.add_argument("--add", nargs=3, metavar=("CURRENCY", "DATE", "RATE"),
                       help="type a rate: one CURRENCY is worth RATE of the base from DATE")
    rates.add_argument("--json", action="store_true")
    settings = sub.add_parser("settings", parents=[common], help="the book's settings")
    settings.add_argument("name", choices=("base-currency",))
    settings.add_argument("value", nargs="?", help="the new value (none: show it)")


def run_rates(args: argparse.Namespace, location: DatabaseLocation) -> int:
    from datetime import date

    from csdesk.services.book.segments import add_rate
    from csdesk.services.money import base_currency, rates

    if location.path is not None and not location.path.exists():
        raise CsdeskError(f"no csdesk book at {location.path}")
    with open_book(location, create=False, readonly_if_locked=args.add is None) as db:
        if args.add:
            currency, day, rate = args.add
            try:
                when, value = date.fromisoformat(day), float(rate)
            except ValueError:
                raise CsdeskError(f"--add takes CURRENCY YYYY-MM-DD RATE, not "
                                  f"{' '.join(args.add)}") from None
            moved = add_rate(db, currency, when, value)
            if moved:
                print(f"{moved:,} accounts changed segment with the new rate.")
        base, listed = base_currency(db), rates(db)
    if args.json:
        print(json.dumps({"base_currency": base, "rates": [
            {**asdict(r), "day": r.day.isoformat()} for r in listed]}, indent=2))
        return 0
    print(f"Base currency: {base}")
    for r in listed:
        print(f"  {r.day:%Y-%m-%d}  1 {r.currency} = {r.rate_to_base:g} {base}  ({r.source})")
    if not listed:
        print("  no rates yet: csdesk rates --add EUR 2026-01-01 1.08")
    return 0


def run_settings(args: argparse.Namespace, location: DatabaseLocation) -> int:
    from csdesk.services.book.segments import change_base_currency, load_bands
    from csdesk.services.formatting import format_money
    from csdesk.services.money import base_currency

    with open_book(location, create=False, readonly_if_locked=args.value is None) as db:
        if args.value is None:
            print(f"Base currency: {base_currency(db)}")
            return 0
        before = base_currency(db)
        moved = change_base_currency(db, args.value)
        base, bands = base_currency(db), load_bands(db)
    if base == before:
        print(f"Base currency: {base} (unchanged)")
        return 0
    print(f"Base currency: {base} (was {before}). The rates are re-expressed against {base}; "
          f"every total is now in {base}.")
    print(f"Segment bands are read in {base}: Enterprise ≥ "
          f"{format_money(bands.enterprise_cents, base)}, Mid-Market ≥ "
          f"{format_money(bands.mid_market_cents, base)}, SMB ≥ "
          f"{format_money(bands.smb_cents, base)} (csdesk segments --bands to change them); "
          f"{moved:,} accounts changed segment.")
    return 0
