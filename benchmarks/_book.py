"""What the 100,000-account benchmarks share: their arguments, the sqlite3 shell the floor
runs in, and the demo book they measure (generated first when none is given; not timed)."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.db.bulk import bulk_insert
from csdesk.models import Account
from csdesk.services.demo.generate import generate_demo

AS_OF = date(2026, 11, 22)


def bare_accounts(book: Path | str, accounts: int) -> None:
    """``accounts`` accounts ACC-000000, ACC-000001, … and nothing else, for an import."""
    with Database.open(resolve_database(book)) as db, db.write() as s:
        now = "2026-01-01 00:00:00"
        bulk_insert(s, Account.__table__,
                    ["external_id", "name", "segment", "engagement_model", "lifecycle_stage",
                     "status", "custom_fields", "version", "created_at", "updated_at"],
                    [(f"ACC-{i:06d}", f"Account {i}", "smb", "tech_touch", "adoption",
                      "active", "{}", 1, now, now) for i in range(accounts)])


def book_arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--book", type=Path, help="an existing demo book to measure")
    parser.add_argument("--accounts", type=int, default=100_000)
    return parser.parse_args()


def demo_book(args: argparse.Namespace, *, usage_weeks: int = 52) -> Path | None:
    """The book to measure, or None (with a message) when the sqlite3 shell is missing."""
    if shutil.which("sqlite3") is None:
        print("the sqlite3 shell is needed for the floor (apt-get install sqlite3)")
        return None
    if args.book is not None:
        return Path(args.book)
    book = Path(tempfile.mkdtemp(prefix="csdesk-bench-")) / "book.sqlite"
    with Database.open(resolve_database(book)) as db:
        generate_demo(db, accounts=args.accounts, seed=7, as_of=AS_OF, usage_weeks=usage_weeks)
    return book


def sqlite_floor(book: Path, sql: str) -> float:
    """Seconds the sqlite3 shell takes to run ``sql`` on ``book`` (output discarded)."""
    t0 = time.perf_counter()
    subprocess.run(["sqlite3", str(book)], input=sql, text=True, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def best(fn: Callable[[], object], repeat: int = 7) -> float:
    """The fastest of ``repeat`` runs, in seconds (the least disturbed by the machine)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def machine() -> str:
    """The machine the figures come from, and how busy it is now (the load average: another
    process's work moves every figure, not the ratios as much)."""
    try:
        load = "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "load average unknown"
    return (f"machine: {platform.machine()} {platform.system()} {platform.release()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}; {load}")


def timing(label: str, seconds: float, floor_s: float | None = None) -> None:
    """One result line: the time, and its ratio to the floor when it is not the floor."""
    ratio = f"   ratio {seconds / floor_s:.1f}x" if floor_s else ""
    print(f"{label + ':':<64}{seconds:6.2f} s{ratio}")
