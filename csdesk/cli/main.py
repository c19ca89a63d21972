"""The ``csdesk`` command line: the same services as the GUI, one command each.

Every command takes ``--db`` (a path or an SQLAlchemy URL; default ``CSDESK_DB``, then the
book in the user data folder). A user error prints one line, ``csdesk: error: …``, and exits
1; a usage error exits 2; no traceback is shown for either.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from csdesk import __version__
from csdesk.config import DatabaseLocation, demo_db_path, resolve_database
from csdesk.errors import CsdeskError, UsageError

VIEWS = ("today", "portfolio", "accounts", "renewals", "reports")


def _view(text: str) -> str:
    if text in VIEWS or text in ("renewals/forecast", "renewals/churn") or (
            text.startswith("account:") and len(text) > len("account:")):
        return text
    raise argparse.ArgumentTypeError(
        f"a view is one of {', '.join(VIEWS)}, renewals/forecast, renewals/churn or "
        f"account:<external id>[/tab], not {text!r}")


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1440x900, not {text!r}") from None
    if not (320 <= w <= 7680 and 240 <= h <= 4320):
        raise argparse.ArgumentTypeError(f"size {text} is out of range (320x240 to 7680x4320)")
    return w, h


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"dates are YYYY-MM-DD, not {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    db_help = "database file or SQLAlchemy URL (default: $CSDESK_DB, then the user data folder)"
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=db_help)

    parser = argparse.ArgumentParser(
        prog="csdesk",
        description="csdesk: an offline workbench for Customer Success Managers.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"csdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", parents=[common], help="open the main window (the default)")
    gui.add_argument("--demo", action="store_true",
                     help="open the demo book (created on first use), not your own")
    gui.add_argument("--screenshot", type=Path, metavar="FILE.png",
                     help="render the window offscreen to a PNG and exit")
    gui.add_argument("--view", default="accounts", type=_view,
                     help="which view the screenshot shows: today, portfolio, accounts, "
                          "renewals[/pipeline|/forecast|/churn], reports or "
                          "account:<external id>[/<tab>], e.g. account:ACC-000132/plan")
    gui.add_argument("--theme", choices=("light", "dark"),
                     help="force a light or dark palette (default: follow the system)")
    gui.add_argument("--size", type=_size, default=(1440, 900), metavar="WxH",
                     help="window size for the screenshot (default 1440x900)")

    demo = sub.add_parser("demo", parents=[common], help="generate a realistic demo book")
    demo.add_argument("--accounts", type=_positive, default=250, help="number of accounts")
    demo.add_argument("--seed", type=int, default=7, help="random seed (same seed, same book)")
    demo.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                      help="the book's 'today' (default: today)")
    demo.add_argument("--usage-weeks", type=_positive, default=104,
                      help="weeks of usage history per account (default 104)")
    demo.add_argument("--replace", action="store_true",
                      help="wipe a non-empty book first (a backup is taken)")

    info = sub.add_parser("info", parents=[common], help="database location, schema, counts")
    info.add_argument("--json", action="store_true", help="print JSON")

    backup = sub.add_parser("backup", parents=[common], help="take a verified backup now")
    backup.add_argument("--list", action="store_true", help="list the backups instead")

    move = sub.add_parser(
        "migrate-to", parents=[common],
        help="copy the book (--db) into an empty database: a PostgreSQL URL for the team, "
             "or a new SQLite file for a snapshot; verified row for row, source untouched")
    move.add_argument("target", help="postgresql+psycopg://user@host/db, or a new .sqlite file")

    restore = sub.add_parser(
        "restore", parents=[common],
        help="restore the book from a backup (or, after damage, start afresh)")
    restore.add_argument("file", type=Path, nargs="?",
                         help="a backup file (see csdesk backup --list)")
    restore.add_argument("--fresh", action="store_true",
                         help="after the book was found damaged: start an empty book instead "
                              "(the damaged file and the backups are kept)")

    from csdesk.io.entities import ENTITIES
    from csdesk.io.mapping import PROFILES

    imp = sub.add_parser(
        "import", parents=[common],
        help="import a CSV file or an Excel workbook (or a whole-book export)",
        description="Import a CSV export or an Excel workbook (.xlsx, .xlsm, .xls). Exit "
                    "status: 0 imported (or nothing to change; with --skip-invalid, the "
                    "valid rows), 1 rows in error and nothing written, 2 usage error.")
    imp.add_argument("file", type=Path, help="a CSV file, an Excel workbook, or a folder or "
                                             "workbook from csdesk export")
    imp.add_argument("--sheet", metavar="NAME",
                     help="a workbook's sheet (default: the one named after --entity, or the "
                          "first that holds anything; a workbook whose sheets are all named "
                          "after csdesk's entities, as csdesk export writes it, imports whole)")
    imp.add_argument("--entity", choices=list(ENTITIES),
                     help="what the file holds (optional for csdesk's own exports)")
    imp.add_argument("--profile", choices=list(PROFILES), help="the CRM the file comes from")
    imp.add_argument("--mapping", metavar="NAME", help="use a saved column mapping")
    imp.add_argument("--save-mapping", metavar="NAME", help="save this mapping under NAME")
    imp.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                     help="map one column to a field (or to custom / ignore); repeatable")
    imp.add_argument("--base-currency", metavar="CODE",
                     help="the book's base currency, that every total is in (asked once: a "
                          "first import of money chooses it, and says so)")
    imp.add_argument("--skip-invalid", action="store_true",
                     help="import the valid rows and leave the rows in error out (they go to "
                          "--errors FILE); without it, rows in error mean nothing is written")
    imp.add_argument("--map-value", action="append", default=[], metavar="COLUMN:VALUE=VALUE",
                     help="what one of the file's values means, for a column with choices "
                          "(e.g. 'Lifecycle Stage:Other=active'); repeatable")
    imp.add_argument("--key", help="match existing records on this field (external_id, "
                                   "domain for accounts, email for contacts)")
    imp.add_argument("--date-format", choices=("dmy", "mdy", "ymd"),
                     help="how to read dates such as 03/04/2025")
    imp.add_argument("--encoding", help="the file's encoding (default: detected)")
    imp.add_argument("--delimiter", type=_delimiter,
                     help="comma, semicolon, tab, pipe or one character (default: detected)")
    imp.add_argument("--decimal", choices=(".", ","), help="the decimal mark of numbers")
    imp.add_argument("--dry-run", action="store_true", help="show what would change; write "
                                                            "nothing")
    imp.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD",
                     help="the day the file describes: for usage with no date column (a "
                          "Pendo account report) the day it is a snapshot of; for records, "
                          "the day their changes take effect in the field history "
                          "(default: today)")
    imp.add_argument("--measure", choices=("active_users", "key_events", "logins",
                                           "features_used", "licensed_seats"),
                     help="usage with one column per date (Mixpanel, Amplitude): what each "
                          "cell counts (default: active_users, or key_events for a total "
                          "of events)")
    imp.add_argument("--errors", type=Path, metavar="OUT.csv",
                     help="write the rows in error, with reasons, to fix and re-import")
    imp.add_argument("--json", action="store_true", help="print the result as JSON")

    from csdesk.cli.accounts import add_commands as add_account_commands
    from csdesk.cli.health import add_commands
    from csdesk.cli.money import add_commands as add_money_commands
    from csdesk.cli.pulse import add_commands as add_pulse_commands
    from csdesk.cli.qbr import add_commands as add_qbr_commands
    from csdesk.cli.renewals import add_commands as add_renewal_commands
    from csdesk.cli.report import add_commands as add_report_commands
    from csdesk.cli.requests import add_commands as add_request_commands
    from csdesk.cli.tasks import add_commands as add_task_commands

    add_commands(sub, common, _date)
    add_account_commands(sub, common, _date)
    add_report_commands(sub, common, _date)
    add_renewal_commands(sub, common, _date)
    add_task_commands(sub, common, _date)
    add_money_commands(sub, common, _date)
    add_pulse_commands(sub, common, _date)
    add_qbr_commands(sub, common, _date)
    add_request_commands(sub, common, _date)

    rev = sub.add_parser(
        "revert-import", parents=[common],
        help="undo the latest import from its field history (one transaction; refused when "
             "a later edit touched what it changed)")
    rev.add_argument("--dry-run", action="store_true",
                     help="say which import would be reverted; change nothing")

    exp = sub.add_parser("export", parents=[common],
                         help="export the book (or one entity) to CSV or an Excel workbook")
    exp.add_argument("target", type=Path, help="a folder, a .zip, an .xlsx workbook (a sheet "
                                               "per entity), or with --entity a .csv")
    exp.add_argument("--entity", choices=list(ENTITIES), help="export only this entity")
    exp.add_argument("--excel", action="store_true", help="UTF-8 with a BOM, for Excel")
    exp.add_argument("--profile", choices=("salesforce", "hubspot"),
                     help="column names the CRM re-imports (with --entity)")
    exp.add_argument("--history", action="store_true",
                     help="add field_history.csv: every change an import or an edit made "
                          "(entity, external id, field, old value, new value, day, source)")
    exp.add_argument("--overwrite", action="store_true",
                     help="replace an existing .xlsx, or with --entity an existing .csv file "
                          "csdesk did not write")
    return parser


def _delimiter(text: str) -> str:
    named = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}
    value = named.get(text.lower(), text)
    if len(value) != 1:
        raise argparse.ArgumentTypeError(
            f"a delimiter is one character or comma/semicolon/tab/pipe, not {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "gui"
    if command == "gui" and args.command is None:
        args = parser.parse_args([*(argv if argv is not None else sys.argv[1:]), "gui"])
    handler: Callable[[argparse.Namespace], int] = _COMMANDS[command]
    try:
        return handler(args)
    except CsdeskError as exc:
        print(f"csdesk: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        print("csdesk: interrupted; nothing was changed", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head and closed: not an error
        sys.stderr.close()
        return 0


def _location(args: argparse.Namespace) -> DatabaseLocation:
    return resolve_database(getattr(args, "db", None))


def start_gui(location: DatabaseLocation, *, demo: bool = False, theme: str | None = None,
              run: Callable[[], Any] | None = None) -> int:
    """The window. Qt is imported only for the GUI; the book's names paint before the rest
    of csdesk loads, and are read from the file on a thread while Qt loads."""
    from csdesk.services.book.table import first_table_soon

    names = None if demo or not location.is_sqlite else first_table_soon(location.path)
    from csdesk.ui.first_paint import launch

    return launch(location, demo=demo, theme=theme, run=run, names=names)


def _cmd_gui(args: argparse.Namespace) -> int:
    if args.demo and getattr(args, "db", None):
        raise CsdeskError("--demo opens the demo book; leave out --db")
    location = resolve_database(demo_db_path()) if args.demo else _location(args)
    if args.screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.screenshot is None:
        return start_gui(location, demo=args.demo, theme=args.theme)
    from csdesk.ui.app import run_gui

    return run_gui(location, demo=args.demo, screenshot=args.screenshot, view=args.view,
                   size=args.size, theme=args.theme)


def _cmd_demo(args: argparse.Namespace) -> int:
    from csdesk.db import Database
    from csdesk.services.demo.generate import generate_demo

    def progress(fraction: float, message: str) -> None:
        if sys.stderr.isatty():
            print(f"\r{fraction:4.0%} {message:<50}", end="", file=sys.stderr, flush=True)

    with Database.open(_location(args)) as db:
        summary = generate_demo(db, accounts=args.accounts, seed=args.seed, as_of=args.as_of,
                                usage_weeks=args.usage_weeks, replace=args.replace,
                                progress=progress)
        if sys.stderr.isatty():
            print(file=sys.stderr)
        print(f"Generated a demo book of {summary.accounts:,} accounts ({summary.rows:,} rows, "
              f"seed {summary.seed}, as of {summary.as_of}) in {summary.seconds:.1f} s "
              f"into {db.location.display()}")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from csdesk.db import Database
    from csdesk.services.book.info import book_info

    # Read-only: info never changes a file (no upgrade, no journal-mode switch).
    with Database.open(_location(args), create=False, readonly=True) as db:
        info = book_info(db)
    if args.json:
        print(json.dumps(info.as_json(), indent=2))
        return 0
    print(f"Database:  {info.database}")
    state = "current" if info.schema_version == info.schema_head else "not current"
    print(f"Schema:    {info.schema_version} ({state})")
    if info.readonly_reason:
        print(f"Access:    {info.readonly_reason}")
    if info.size_bytes is not None:
        print(f"Size:      {info.size_bytes / 1_048_576:.1f} MiB, {info.backups} backups")
    width = max(len(k) for k in info.counts)
    for name, count in info.counts.items():
        print(f"  {name:<{width}}  {count:>10,}")
    return 0


def _cmd_migrate_to(args: argparse.Namespace) -> int:
    from csdesk.config import resolve_database
    from csdesk.db import Database
    from csdesk.db.copy import copy_book

    source = _location(args)
    target = resolve_database(args.target)
    with Database.open(source, create=False, readonly=True) as db:
        done = copy_book(db, target)
    for table, rows in done.rows.items():
        if rows:
            print(f"  {table:<20} {rows:>10,}")
    print(f"Copied {done.total:,} rows from {done.source} to {done.target}; every table "
          "verified row for row. The source is unchanged.")
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from csdesk.db import Database
    from csdesk.db.backup import list_backups

    location = _location(args)
    if location.path is None:
        raise CsdeskError("csdesk backs up SQLite books; back up a server with pg_dump")
    if args.list:
        found = list_backups(location.path)
        if not found:
            print(f"No backups of {location.path} yet.")
        for b in found:
            print(f"{b.taken_at:%Y-%m-%d %H:%M:%S} UTC  {b.reason:<16} "
                  f"{b.size / 1_048_576:7.1f} MiB  {b.path}")
        return 0
    with Database.open(location, create=False, readonly_if_locked=True) as db:
        taken = db.backup("manual")
    print(f"Backup verified: {taken}")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from csdesk.db import restore_book, start_afresh

    location = _location(args)
    if args.fresh == (args.file is not None):
        raise UsageError("give a backup file to restore, or --fresh (not both)")
    if args.fresh:
        start_afresh(location)
        print(f"Started an empty book at {location.display()}; the damaged file and every "
              "backup are kept")
        return 0
    safety = restore_book(location, args.file)
    print(f"Restored {location.display()} from {args.file.expanduser().resolve()}")
    if safety is not None:
        print(f"The book as it was before is kept in {safety}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from csdesk.cli.import_cmd import run_import_command

    return run_import_command(args, _location(args))


def _cmd_export(args: argparse.Namespace) -> int:
    from csdesk.db import Database
    from csdesk.services.sync.export import export_book, export_entity, export_workbook

    location = _location(args)
    with Database.open(location, create=False, readonly_if_locked=True) as db:
        if args.history and (args.entity or args.target.suffix.lower() == ".xlsx"):
            raise UsageError("--history goes with a whole-book export to a folder or a .zip")
        if args.target.suffix.lower() == ".xlsx":
            if args.profile or args.excel:
                raise UsageError("--profile and --excel are for CSV files; a workbook's "
                                 "columns are csdesk's own")
            done = export_workbook(db, args.target, entity=args.entity,
                                   overwrite=args.overwrite)
        elif args.entity:
            target = args.target
            if target.suffix.lower() == ".zip":
                raise UsageError("one entity is exported to a .csv file or into a folder; "
                                 "a .zip holds the whole book (leave out --entity)")
            if target.suffix.lower() != ".csv":
                if target.exists() and not target.is_dir():
                    raise UsageError(f"{target} is a file; give a folder or a .csv file name")
                target = target / f"{args.entity}.csv"
            done = [export_entity(db, args.entity, target, excel=args.excel,
                                  profile=args.profile, overwrite=args.overwrite)]
        else:
            if args.profile:
                raise CsdeskError("--profile exports one entity; add --entity")
            done = export_book(db, args.target, excel=args.excel, history=args.history)
    for r in done:
        print(f"{r.entity:<15} {r.rows:>9,} rows  {r.path}")
    return 0


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "gui": _cmd_gui,
    "demo": _cmd_demo,
    "info": _cmd_info,
    "backup": _cmd_backup,
    "migrate-to": _cmd_migrate_to,
    "restore": _cmd_restore,
    "import": _cmd_import,
    "export": _cmd_export,
    "revert-import": lambda a: _revert_cmd(a),
    "health": lambda a: _health_cmd(a),
    "calibrate": lambda a: _health_cmd(a),
    "metrics": lambda a: _health_cmd(a),
    "segments": lambda a: _health_cmd(a),
    "report": lambda a: _report_cmd(a),
    "renewals": lambda a: _renewals_cmd(a),
    "accounts": lambda a: _accounts_cmd(a),
    "tasks": lambda a: _tasks_cmd(a),
    "pulse": lambda a: _pulse_cmd(a),
    "qbr": lambda a: _qbr_cmd(a),
    "requests": lambda a: _requests_cmd(a, "requests"),
    "updates": lambda a: _requests_cmd(a, "updates"),
    "rates": lambda a: _money_cmd(a, "rates"),
    "settings": lambda a: _money_cmd(a, "settings"),
}


def _revert_cmd(args: argparse.Namespace) -> int:
    from csdesk.cli.import_cmd import run_revert_command

    return run_revert_command(args, _location(args))


def _money_cmd(args: argparse.Namespace, which: str) -> int:
    from csdesk.cli.money import run_rates, run_settings

    return (run_rates if which == "rates" else run_settings)(args, _location(args))


def _tasks_cmd(args: argparse.Namespace) -> int:
    from csdesk.cli.tasks import run

    return run(args, _location(args))


def _accounts_cmd(args: argparse.Namespace) -> int:
    from csdesk.cli.accounts import run

    return run(args, _location(args))


def _renewals_cmd(args: argparse.Namespace) -> int:
    from csdesk.cli.renewals import run

    return run(args, _location(args))


def _report_cmd(args: argparse.Namespace) -> int:
    from csdesk.cli.report import run

    return run(args, _location(args))


def _pulse_cmd(args: argparse.Namespace) -> int:
    from csdesk.cli.pulse import run

    return run(args, _location(args))


def _qbr_cmd(args: argparse.Namespace) -> int:
    from csdesk.cli.qbr import run

    return run(args, _location(args))
def _requests_cmd(args: argparse.Namespace, which: str) -> int:
    from csdesk.cli.requests import run, run_updates

    return (run if which == "requests" else run_updates)(args, _location(args))


def _health_cmd(args: argparse.Namespace) -> int:
    from csdesk.cli.health import run

    return run(args, _location(args))
