"""Benchmark: csdesk's read-only commands, each a fresh process, against ``import sqlalchemy``.

The floor is ``python -c "import sqlalchemy"`` timed in the same run: the least a command
that reads a book must load. ``csdesk --help`` should stay within 1.5x of it (it imports no
SQLAlchemy at all), every read-only command within 3x.

    python benchmarks/commands.py [--book PATH] [--accounts 250] [--runs 5]

Without --book a demo book of --accounts accounts is generated first (not timed).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

AS_OF = date(2026, 11, 22)


def _seconds(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path)
    parser.add_argument("--accounts", type=int, default=250)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    book = args.book
    if book is None:
        from csdesk.config import resolve_database
        from csdesk.db import Database
        from csdesk.services.demo.generate import generate_demo

        book = Path(tempfile.mkdtemp(prefix="csdesk-bench-")) / "book.sqlite"
        with Database.open(resolve_database(book)) as db:
            generate_demo(db, accounts=args.accounts, seed=7, as_of=AS_OF, usage_weeks=26)
    py = sys.executable
    csdesk = [py, "-m", "csdesk"]
    floor_cmd = [py, "-c", "import sqlalchemy"]
    commands = {
        "csdesk --help": [*csdesk, "--help"],
        "csdesk info": [*csdesk, "info", "--db", str(book)],
        "csdesk health --account ACC-000001": [*csdesk, "health", "--account", "ACC-000001",
                                              "--as-of", AS_OF.isoformat(), "--db", str(book)],
    }
    _seconds(floor_cmd)  # warm the file cache
    for cmd in commands.values():
        _seconds(cmd)
    floor = statistics.median(_seconds(floor_cmd) for _ in range(args.runs))
    print(f"floor: python -c 'import sqlalchemy'   {floor:6.3f} s (median of {args.runs})")
    for label, cmd in commands.items():
        took = statistics.median(_seconds(cmd) for _ in range(args.runs))
        print(f"{label:<38} {took:6.3f} s   ratio {took / floor:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
