"""`csdesk export --history` and `csdesk revert-import`."""

from __future__ import annotations

import csv
import os
import stat
from datetime import timedelta
from pathlib import Path

from csdesk import clock
from tests.test_cli_import import run

FIRST = "Account ID,Account Name,CSM,Colour\r\nA-1,Acme,Ana,Gold\r\nA-2,Globex,Ben,Blue\r\n"
SECOND = "Account ID,Account Name,CSM,Colour\r\nA-1,Acme,Cleo,Gold\r\nA-2,Globex,Ben,Red\r\n"


def test_export_history_and_revert_the_latest_import(tmp_path: Path) -> None:
    book = str(tmp_path / "b.sqlite")
    (tmp_path / "a1.csv").write_text(FIRST, encoding="utf-8")
    (tmp_path / "a2.csv").write_text(SECOND, encoding="utf-8")
    # dated files go in oldest first
    assert run("import", str(tmp_path / "a1.csv"), "--entity", "accounts", "--as-of",
               (clock.today() - timedelta(days=10)).isoformat(), "--db", book).returncode == 0
    day = clock.today() - timedelta(days=3)
    done = run("import", str(tmp_path / "a2.csv"), "--entity", "accounts", "--as-of",
               day.isoformat(), "--db", book)
    assert done.returncode == 0, done.stderr

    out = tmp_path / "export"
    exported = run("export", str(out), "--history", "--db", book)
    assert exported.returncode == 0, exported.stderr
    assert "field_history" in exported.stdout
    path = out / "field_history.csv"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # private, as every export
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [
        ["entity", "external_id", "field", "old_value", "new_value", "day", "source"],
        ["accounts", "A-1", "owner", "Ana", "Cleo", day.isoformat(), "import"],
        ["accounts", "A-2", "custom:Colour", "Blue", "Red", day.isoformat(), "import"],
    ]
    assert run("export", str(tmp_path / "one.csv"), "--entity", "accounts", "--history",
               "--db", book).returncode == 2
    # the export folder imports back without its history file getting in the way
    again = run("import", str(out), "--dry-run", "--json", "--db", book)
    assert again.returncode == 0 and "field_history" not in again.stdout

    dry = run("revert-import", "--dry-run", "--db", book)
    assert dry.returncode == 0 and "Would revert the import of a2.csv" in dry.stdout
    reverted = run("revert-import", "--db", book)
    assert reverted.returncode == 0, reverted.stderr
    assert "Reverted the import of a2.csv" in reverted.stdout
    assert "2 fields set back on 2 records" in reverted.stdout
    listed = run("accounts", "--json", "--db", book)
    assert '"Cleo"' not in listed.stdout and '"Ana"' in listed.stdout
    assert run("revert-import", "--db", book).returncode == 0  # the first import
    refused = run("revert-import", "--db", book)
    assert refused.returncode == 0 and "No import to revert" in refused.stdout
