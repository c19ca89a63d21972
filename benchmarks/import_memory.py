r"""Benchmark: peak memory of importing a usage CSV, against the file's size.

Imports generated usage files of two sizes (``--rows`` and twice that) into copies of one
small demo book, each in a fresh process, and reports the process's peak resident memory.
The floor is the same process importing a one-row file (Python, pandas, SQLAlchemy and the
book: what any import costs), measured in the same run. What the file adds above the floor
should stay about the same when the file doubles: the import streams in chunks, so its
memory is bounded by the chunk, not by the file.

    python benchmarks/import_memory.py [--rows 2000000] [--entity usage|feature_events]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _book import AS_OF

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.services.demo.generate import generate_demo

ACCOUNTS = 250
# Runs in the child: import one file, print the peak resident memory in KiB.
CHILD = """
import resource, sys
from pathlib import Path
from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.services.sync.importer import ImportRequest, run_import
with Database.open(resolve_database(sys.argv[1])) as db:
    result = run_import(db, ImportRequest(Path(sys.argv[2]), entity=sys.argv[3]))
assert result.written and not result.error_count, result.errors[:3]
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def write_file(path: Path, entity: str, rows: int) -> None:
    """``rows`` rows of usage (one per account and day) or feature events (keys repeating
    all over the file, so totals span chunks)."""
    rng = np.random.default_rng(7)
    accounts = np.array([f"ACC-{i:06d}" for i in range(1, ACCOUNTS + 1)])
    epoch = pd.Timestamp("1990-01-01")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        if entity == "usage":
            fh.write("account_external_id,date,active_users,logins\n")
        else:
            fh.write("account_external_id,date,feature,usage_count,duration_seconds\n")
        for start in range(0, rows, 500_000):
            n = min(500_000, rows - start)
            k = np.arange(start, start + n)
            if entity == "usage":  # account by account, day by day: no key twice
                frame = pd.DataFrame({"a": accounts[k % ACCOUNTS],
                                      "d": epoch + pd.to_timedelta(k // ACCOUNTS, unit="D"),
                                      "u": rng.integers(0, 60, n), "l": rng.integers(0, 99, n)})
            else:
                frame = pd.DataFrame({
                    "a": accounts[rng.integers(0, ACCOUNTS, n)],
                    "d": epoch + pd.to_timedelta(rng.integers(0, 2000, n), unit="D"),
                    "f": np.array(["Reports", "API", "Alerts"])[rng.integers(0, 3, n)],
                    "c": rng.integers(0, 200, n), "s": np.round(rng.random(n) * 100, 1)})
            fh.write(frame.to_csv(index=False, header=False, date_format="%Y-%m-%d"))


def peak_kib(book: Path, work: Path, path: Path, entity: str) -> int:
    copy = work / f"{path.stem}.sqlite"
    shutil.copy(book, copy)
    out = subprocess.run([sys.executable, "-c", CHILD, str(copy), str(path), entity],
                         check=True, capture_output=True, text=True).stdout
    copy.unlink()
    return int(out.split()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--entity", choices=("usage", "feature_events"), default="usage")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="csdesk-bench-"))
    book = work / "book.sqlite"
    with Database.open(resolve_database(book)) as db:
        generate_demo(db, accounts=ACCOUNTS, seed=7, as_of=AS_OF, usage_weeks=4)
    tiny = work / "tiny.csv"
    write_file(tiny, args.entity, 1)
    floor = peak_kib(book, work, tiny, args.entity)
    print(f"floor (one-row {args.entity} file):{floor / 1024:24.0f} MiB")
    for rows in (args.rows, 2 * args.rows):
        path = work / f"{args.entity}-{rows}.csv"
        write_file(path, args.entity, rows)
        size = path.stat().st_size
        peak = peak_kib(book, work, path, args.entity)
        above = (peak - floor) * 1024
        print(f"{rows:>11,} rows ({size / 1e6:5.0f} MB): peak {peak / 1024:6.0f} MiB   "
              f"ratio {peak / floor:4.1f}x the floor   above the floor {above / size:5.2f}x "
              "the file's size")
        path.unlink()
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
