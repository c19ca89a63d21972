r"""Benchmark: importing a usage CSV, against sqlite3's own CSV import of the same file.

The floor is the sqlite3 shell's ``.mode csv`` + ``.import`` of the very same file into a
table of the same shape (the file's columns, the same unique key on account and date, so
SQLite does the same index work), in the same run on the same machine. csdesk's import
includes everything a user gets: encoding and delimiter detection, typed validation of every
cell, account look-up, duplicate detection, the upsert, the verified backup before writing,
and the ImportLog entry.

    python benchmarks/usage_import.py [--rows 1000000]
    python benchmarks/usage_import.py --postgres postgresql+psycopg://user:pw@host/postgres

With ``--postgres`` (a server and a role that may create databases) the book is a fresh
PostgreSQL database and the floor is psql's ``\copy`` of the same file into a same-shaped
table there; csdesk stages the rows with COPY and upserts them from the staging table.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from _book import bare_accounts
from sqlalchemy.engine import make_url

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.services.sync.importer import ImportRequest, run_import

FLOOR_SCHEMA = """
CREATE TABLE usage_floor (
  account_external_id VARCHAR(255) NOT NULL, date DATE NOT NULL, active_users INTEGER,
  licensed_seats INTEGER, key_events INTEGER, features_used INTEGER, logins INTEGER,
  UNIQUE (account_external_id, date));
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--postgres", metavar="URL",
                        help="measure on a new database on this PostgreSQL server")
    args = parser.parse_args()
    floor_tool = "psql" if args.postgres else "sqlite3"
    if shutil.which(floor_tool) is None:
        print(f"the {floor_tool} shell is needed for the floor")
        return 1
    work = Path(tempfile.mkdtemp(prefix="csdesk-bench-"))
    book: Path | str = work / "book.sqlite"
    if args.postgres:
        book = _new_server_database(args.postgres)
    bare_accounts(book, args.accounts)
    weeks = -(-args.rows // args.accounts)
    path = work / "usage.csv"
    start = date(2025, 1, 6)
    written = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["account_external_id", "date", "active_users", "licensed_seats",
                    "key_events", "features_used", "logins"])
        for week in range(weeks):
            d = (start + timedelta(weeks=week)).isoformat()
            for i in range(args.accounts):
                if written == args.rows:
                    break
                w.writerow([f"ACC-{i:06d}", d, i % 40, 50, (i * 7) % 900, i % 12, i % 300])
                written += 1
    size_mb = path.stat().st_size / 1e6

    t0 = time.perf_counter()
    if args.postgres:
        libpq = make_url(str(book)).set(drivername="postgresql").render_as_string(
            hide_password=False)
        script = (f"{FLOOR_SCHEMA}\n\\copy usage_floor FROM '{path}' "
                  "WITH (FORMAT csv, HEADER true)\n")
        subprocess.run(["psql", "-q", libpq], input=script, text=True, check=True)
    else:
        script = f"{FLOOR_SCHEMA}\n.mode csv\n.import --skip 1 '{path}' usage_floor\n"
        subprocess.run(["sqlite3", str(work / "floor.sqlite")], input=script, text=True,
                       check=True)
    floor_s = time.perf_counter() - t0

    # Through the command line, as a CSM runs it: the process's start-up and imports, the
    # verified backup before writing, the import and its log, all timed.
    command = [sys.executable, "-m", "csdesk", "import", "--db", str(book), "--entity",
               "usage", "--json", str(path)]
    t0 = time.perf_counter()
    result = json.loads(subprocess.run(command, capture_output=True, text=True,
                                       check=True).stdout)
    csdesk_s = time.perf_counter() - t0
    assert result["written"] and result["inserted"] == written, result

    t0 = time.perf_counter()
    again = json.loads(subprocess.run(command, capture_output=True, text=True,
                                      check=True).stdout)
    again_s = time.perf_counter() - t0
    assert again["unchanged"] == written, again

    # In this process, without the start-up: what the window's import costs.
    with Database.open(resolve_database(book)) as db:
        t0 = time.perf_counter()
        run_import(db, ImportRequest(path, entity="usage"))
        inside_s = time.perf_counter() - t0

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows:                         {written:,} ({size_mb:.0f} MB)")
    label = "floor (psql \\copy):" if args.postgres else "floor (sqlite3 .import):"
    print(f"{label:<30}{floor_s:8.2f} s")
    print(f"csdesk import (command line): {csdesk_s:8.2f} s   ratio {csdesk_s / floor_s:.2f}x")
    print(f"csdesk re-import (unchanged): {again_s:8.2f} s   ratio {again_s / floor_s:.2f}x")
    print(f"  the same in one process:    {inside_s:8.2f} s   ratio {inside_s / floor_s:.2f}x")
    print(f"peak memory of this process:  {peak_mb:8.0f} MiB")
    shutil.rmtree(work)
    return 0


def _new_server_database(admin_url: str) -> str:
    from sqlalchemy import create_engine, text

    name = f"csdesk_bench_{int(time.time())}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


if __name__ == "__main__":
    sys.exit(main())
