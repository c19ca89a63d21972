"""A killed import (kill -9 mid-way) leaves the book exactly as it was."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.db.backup import integrity_problems
from csdesk.services.book.info import book_info

IMPORTER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from csdesk.config import resolve_database
    from csdesk.db import Database
    from csdesk.services.sync.importer import ImportRequest, run_import

    def progress(fraction, message):
        print(f"{fraction:.3f} {message}", flush=True)

    db = Database.open(resolve_database(sys.argv[1]))
    run_import(db, ImportRequest(Path(sys.argv[2]), entity="usage"), progress=progress)
    print("finished", flush=True)
""")


def test_kill_9_during_a_usage_import(demo_location: DatabaseLocation, tmp_path: Path) -> None:
    with Database.open(demo_location) as db:
        before = book_info(db).counts
    path = tmp_path / "usage.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["account_external_id", "date", "active_users", "logins"])
        start = date(2019, 1, 1)
        for day in range(2400):  # 600,000 rows: three chunks and more
            d = (start + timedelta(days=day)).isoformat()
            for acc in range(1, 251):
                w.writerow([f"ACC-{acc:06d}", d, acc % 7, acc % 11])
    proc = subprocess.Popen([sys.executable, "-c", IMPORTER, str(demo_location.path), str(path)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("finished"):
            break
        if sum("Importing usage" in x for x in seen) >= 2:  # a chunk written, not committed
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, seen
    assert integrity_problems(demo_location.path, quick=True) == []
    with Database.open(demo_location) as db:  # the dead process's lock is taken over
        assert book_info(db).counts == before
