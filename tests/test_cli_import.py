"""`csdesk import` and `csdesk export`: JSON contract and exit statuses 0, 1 and 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from csdesk.config import DatabaseLocation

ACCOUNTS = "Account ID;Account Name;ARR\r\nA-1;Acme;1.200,50\r\nA-2;Globex;99\r\n"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "csdesk", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=120)


def test_import_json_and_exit_codes(tmp_path: Path) -> None:
    book = str(tmp_path / "b.sqlite")
    src = tmp_path / "acc.csv"
    src.write_text(ACCOUNTS, encoding="cp1252")
    dry = run("import", str(src), "--entity", "accounts", "--decimal", ",", "--dry-run",
              "--json", "--db", book)
    assert dry.returncode == 0, dry.stderr
    out = json.loads(dry.stdout)
    assert (out["inserted"], out["written"], out["delimiter"]) == (2, False, ";")
    assert out["mapping"] == {"Account ID": "external_id", "Account Name": "name",
                              "ARR": "arr"}
    done = run("import", str(src), "--entity", "accounts", "--decimal", ",", "--json",
               "--db", book)
    assert json.loads(done.stdout)["written"] is True and done.returncode == 0

    bad = tmp_path / "bad.csv"
    bad.write_text("Account ID,Account Name,ARR\nA-3,,5\n", encoding="utf-8")
    errors = tmp_path / "errors.csv"
    failed = run("import", str(bad), "--entity", "accounts", "--json", "--errors",
                 str(errors), "--db", book)
    assert failed.returncode == 1
    result = json.loads(failed.stdout)
    assert result["errors"] == [{"row": 2, "column": "Account Name", "value": "",
                                 "reason": "name is required"}]
    assert result["written"] is False
    assert "csdesk_errors" in errors.read_text(encoding="utf-8-sig")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    src = tmp_path / "acc.csv"
    src.write_text("Name\nAcme\n", encoding="utf-8")
    book = str(tmp_path / "b.sqlite")
    for args in (["--entity", "accounts"],  # no external id column
                 [],  # entity cannot be told from the header
                 ["--entity", "accounts", "--map", "Nope=name"],
                 ["--entity", "accounts", "--map", "Name=colour"]):
        done = run("import", str(src), *args, "--db", book)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.startswith("csdesk: error: ") and "Traceback" not in done.stderr
    assert run("import", str(src), "--date-format", "yyyy", "--db", book).returncode == 2


def test_unreadable_file_exits_1_with_the_row(tmp_path: Path) -> None:
    src = tmp_path / "nul.csv"
    src.write_bytes(b"a,b\n1,\x002\n")
    done = run("import", str(src), "--entity", "accounts", "--json", "--db",
               str(tmp_path / "b.sqlite"))
    assert done.returncode == 1
    assert json.loads(done.stdout)["errors"][0]["row"] == 2


def test_export_then_import_folder_without_entity(demo_location: DatabaseLocation,
                                                  tmp_path: Path) -> None:
    out = tmp_path / "export"
    done = run("export", str(out), "--db", str(demo_location.path))
    assert done.returncode == 0, done.stderr
    assert "accounts" in done.stdout and (out / "usage.csv").exists()
    fresh = str(tmp_path / "fresh.sqlite")
    single = run("import", str(out / "accounts.csv"), "--json", "--db", fresh)
    assert json.loads(single.stdout)["entity"] == "accounts"  # told from the header
    whole = run("import", str(out), "--json", "--db", fresh)
    assert whole.returncode == 0, whole.stderr
    files = json.loads(whole.stdout)["files"]
    # the exchange rates first (every sum needs them), then accounts and what refers to them
    assert [f["entity"] for f in files][:3] == ["rates", "accounts", "contacts"]
    assert files[0]["inserted"] > 0 and files[1]["unchanged"] == 250
    one = run("export", str(tmp_path / "acc.csv"), "--entity", "accounts", "--excel",
              "--db", fresh)
    assert one.returncode == 0 and (tmp_path / "acc.csv").read_bytes()[:3] == b"\xef\xbb\xbf"


def test_files_past_the_limits_are_refused_in_one_line(demo_location: DatabaseLocation,
                                                       tmp_path: Path) -> None:
    from csdesk.db import Database
    from csdesk.services.book.info import book_info

    def counts() -> dict[str, int]:
        with Database.open(demo_location) as db:
            return dict(book_info(db).counts)

    before = counts()
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(["Account ID", "Account Name"] + [f"c{i}" for i in range(1_999)])
                    + "\n", encoding="utf-8")
    big = tmp_path / "big.csv"
    big.write_text("Account ID,Account Name,Notes\nA-1,Acme,ok\nA-2,Big," + "x" * (10 << 20)
                   + "y\n", encoding="utf-8")
    for path, line in ((wide, "row 1: has more than 2,000 columns; csdesk reads at most 2,000"),
                       (big, "row 3: a field is longer than 10 MB; csdesk reads fields of at "
                             "most 10 MB (is a quote never closed?)")):
        done = run("import", str(path), "--entity", "accounts", "--db", str(demo_location.path))
        assert (done.returncode, done.stderr) == (1, f"csdesk: error: {path}: {line}\n")
    assert counts() == before


def test_the_decimal_mark_is_shown_and_never_guessed(demo_location: DatabaseLocation,
                                                     tmp_path: Path) -> None:
    from csdesk.db import Database
    from csdesk.services.book.info import book_info

    def counts() -> dict[str, int]:
        with Database.open(demo_location) as db:
            return dict(book_info(db).counts)

    book = str(demo_location.path)
    before = counts()
    events = tmp_path / "events.csv"  # a duration of 1.234 s, or of 1,234 s?
    events.write_text("account_external_id;date;feature;duration_seconds\n"
                      "ACC-000001;2026-11-01;export;1.234\nACC-000002;2026-11-01;export;12\n",
                      encoding="utf-8")
    refused = run("import", str(events), "--entity", "feature_events", "--db", book)
    assert (refused.returncode, refused.stderr) == (1, (
        "csdesk: error: cannot tell the decimal mark of the numbers: '1.234' (row 2, column "
        "'duration_seconds') is 1.234 with a decimal point but 1234 with a decimal comma, and "
        "no number in the file decides it; say which with --decimal . or --decimal ,\n"))
    assert counts() == before
    told = run("import", str(events), "--entity", "feature_events", "--decimal", ",", "--db",
               book)
    assert told.returncode == 0 and "  decimal mark: comma (given)\n" in told.stdout

    accounts = tmp_path / "acc.csv"  # money keeps cents: 1.234 can only be 1,234
    accounts.write_text("Account ID;Account Name;ARR\nA-1;Acme;1.234\n", encoding="utf-8")
    shown = run("import", str(accounts), "--entity", "accounts", "--json", "--db", book)
    out = json.loads(shown.stdout)
    assert (out["decimal"], out["decimal_how"], out["written"]) == (",", "detected", True)
    from sqlalchemy import select

    from csdesk.models import Account

    with Database.open(demo_location) as db, db.read() as s:  # not 1.23
        arr = s.scalar(select(Account.custom_fields).where(Account.external_id == "A-1"))
    assert arr == {"ARR": 1234.0}
