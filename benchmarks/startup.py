"""Benchmark: launch to a usable window on the 250-account demo book, against a bare window.

Each is a fresh Python process (imports included), timed from before its first import to
the window painted with its data; the floor is a bare PySide6 QMainWindow shown in the same
way, in the same run.

    python benchmarks/startup.py [--runs 5] [--book PATH]

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
from PySide6.QtWidgets import QApplication
from csdesk.config import resolve_database
from csdesk.ui.app import open_book
from csdesk.ui.main_window import MainWindow
from csdesk.ui.theme import apply_style
app = QApplication([])
apply_style(app)
db = open_book(resolve_database(sys.argv[1]))
w = MainWindow(db)
loaded = []
w.book_loaded.connect(lambda *_: loaded.append(True))
w.refresh()  # as the app does: the book loads on the worker, the playbooks run after it
w.show()
while not loaded:
    app.processEvents()
app.processEvents()
print(time.perf_counter() - t0)
w.runner.shutdown()
db.close()  # a clean end: otherwise the next run takes it for a crash and checks every page
loaded = [m for m in ("pandas", "matplotlib", "statsmodels", "scipy") if m in sys.modules]
print(",".join(loaded))
"""


def _run(code: str, *args: str) -> tuple[float, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         env=env, check=True).stdout.split("\n")
    return float(out[0]), out[1] if len(out) > 1 else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--book", type=Path, help="an existing book to open")
    args = parser.parse_args()
    from csdesk.config import resolve_database
    from csdesk.db import Database
    from csdesk.services.demo.generate import generate_demo

    book = args.book or Path(tempfile.mkdtemp(prefix="csdesk-bench-")) / "demo.sqlite"
    if args.book is None:
        with Database.open(resolve_database(book)) as db:
            generate_demo(db, accounts=250, seed=7, as_of=date.today())
    _run(BARE)  # warm the file cache once for both
    _run(CSDESK, str(book))
    bare = [_run(BARE)[0] for _ in range(args.runs)]
    runs = [_run(CSDESK, str(book)) for _ in range(args.runs)]
    ours = [t for t, _ in runs]
    print(f"bare PySide6 window:            {statistics.median(bare):.3f} s (median of "
          f"{args.runs})")
    print(f"csdesk on {'the 250-account book' if args.book is None else args.book}: "
          f"{statistics.median(ours):.3f} s   ratio "
          f"{statistics.median(ours) / statistics.median(bare):.1f}x")
    print(f"heavy modules loaded at start-up: {runs[0][1] or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
