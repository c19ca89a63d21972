"""Benchmark: launch to a usable window on the 250-account demo book, against a bare window.

Each is a fresh Python process (imports included), timed from before its first import to
the book's names painted (the first paint: the table can be scrolled, sorted, filtered and
an account opened) and to the main window with every figure in the table; the floor is a
bare PySide6 QMainWindow shown in the same way, in the same run.

    python benchmarks/startup.py [--runs 5] [--book PATH] [--names-only]

With --book it measures that book (a 5,000- or 100,000-account demo, say) instead of the
250-account demo it generates.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

BARE = """
import time; t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow(); w.resize(1280, 800); w.show(); app.processEvents()
print(time.perf_counter() - t0)
"""

CSDESK = """
import sys, time; t0 = time.perf_counter()
import csdesk.cli.main  # what `csdesk gui` loads before the window
from csdesk.config import resolve_database
marks = []
NAMES_ONLY = sys.argv[2] == "names"

def shown():  # the first paint's table (or, without one, the main window's) on screen
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance()
    for w in app.topLevelWidgets():
        if w.isVisible() and hasattr(w, "accounts") and w.accounts.table.model().rowCount():
            return w
    return None

def probe():
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance()
    while shown() is None:
        app.processEvents()
    app.processEvents()  # painted
    marks.append(time.perf_counter() - t0)
    if NAMES_ONLY:
        marks.append(float("nan"))
        return 0
    while True:  # the main window with every figure of the table, renewals included
        app.processEvents()
        w = shown()
        table = getattr(w, "table", None)
        if table is not None and not table.figures_pending and not table.renewals_pending:
            break
        time.sleep(0.002)
    marks.append(time.perf_counter() - t0)
    w.close()
    return 0

csdesk.cli.main.start_gui(resolve_database(sys.argv[1]), run=probe)  # as `csdesk gui`
print(marks[0])
print(marks[1])
print(",".join(m for m in ("pandas", "matplotlib", "statsmodels", "scipy")
               if m in sys.modules))
"""


def _run(code: str, *args: str) -> list[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, check=True).stdout.split("\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--book", type=Path, help="an existing book to open")
    parser.add_argument("--names-only", action="store_true",
                        help="time only the first paint (a 100,000-account book's full "
                             "window takes most of a minute a run)")
    args = parser.parse_args()
    from csdesk.config import resolve_database
    from csdesk.db import Database
    from csdesk.services.demo.generate import generate_demo

    book = args.book or Path(tempfile.mkdtemp(prefix="csdesk-bench-")) / "demo.sqlite"
    if args.book is None:
        with Database.open(resolve_database(book)) as db:
            generate_demo(db, accounts=250, seed=7, as_of=date.today())
    _run(BARE)  # warm the file cache once for both
    what_to = "names" if args.names_only else "all"
    _run(CSDESK, str(book), what_to)
    bare = [float(_run(BARE)[0]) for _ in range(args.runs)]
    runs = [_run(CSDESK, str(book), what_to) for _ in range(args.runs)]
    first = statistics.median(float(r[0]) for r in runs)
    full = statistics.median(float(r[1]) for r in runs)
    floor = statistics.median(bare)
    what = "the 250-account book" if args.book is None else str(args.book)
    print(f"bare PySide6 window:                 {floor:.3f} s (median of {args.runs})")
    print(f"csdesk on {what}:")
    print(f"  the book's names painted (usable):  {first:.3f} s   ratio {first / floor:.1f}x")
    if not args.names_only:
        print(f"  the main window with every figure: {full:.3f} s   ratio {full / floor:.1f}x")
    print(f"heavy modules loaded by then: {runs[0][2] or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
