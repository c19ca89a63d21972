"""Benchmark: generating the demo book, against SQLite's own CSV import of the same rows.

The floor is what SQLite alone needs to take in the very rows the generator wrote: every
table is exported to CSV and loaded into an empty database with the sqlite3 shell's
``.mode csv`` + ``.import`` (plain tables, no constraints or indexes: the cheapest possible
write of those rows). The ratio says what generating the book and csdesk's write path with
its constraints and indexes cost on top of that.

    python benchmarks/demo_generation.py [--accounts 10000]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.models import Base
from csdesk.services.demo.generate import generate_demo


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    args = parser.parse_args()
    if shutil.which("sqlite3") is None:
        print("the sqlite3 shell is needed for the floor (apt-get install sqlite3)")
        return 1
    work = Path(tempfile.mkdtemp(prefix="csdesk-bench-"))
    book = work / "demo.sqlite"
    Database.open(resolve_database(book)).close()

    t0 = time.perf_counter()
    with Database.open(resolve_database(book)) as db:
        summary = generate_demo(db, accounts=args.accounts, seed=7, as_of=date(2026, 11, 22))
    generate_s = time.perf_counter() - t0

    # The floor: the same rows, through sqlite3's own CSV import into an empty schema.
    empty = work / "floor.sqlite"
    script = [".mode csv"]
    con = sqlite3.connect(book)
    for name in Base.metadata.tables:
        rows = con.execute(f"SELECT * FROM {name}")
        path = work / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([d[0] for d in rows.description])
            writer.writerows(rows)
        script.append(f".import '{path}' {name}")
    con.close()
    script_text = "BEGIN;\n" + "\n".join(script) + "\nCOMMIT;\n"
    t0 = time.perf_counter()
    subprocess.run(["sqlite3", str(empty)], input=script_text, text=True, check=True)
    floor_s = time.perf_counter() - t0

    print(f"accounts:            {summary.accounts:,}")
    print(f"rows written:        {summary.rows:,}")
    print(f"csdesk demo:         {generate_s:8.2f} s")
    print(f"floor (sqlite3 .import of the same rows): {floor_s:8.2f} s")
    print(f"ratio:               {generate_s / floor_s:8.2f}x")
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
