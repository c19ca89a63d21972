"""`csdesk import` of product-analytics exports: a Pendo account report, a Mixpanel Insights
CSV (one column per date) and an Amplitude chart CSV (a title above its table), each naming
accounts by CRM id, domain or name."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from csdesk import clock
from csdesk.cli.main import main
from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.models import Account, UsageSnapshot

# The book: two Umbrellas make "Umbrella" ambiguous; Initech is known only by its name.
ACCOUNTS = [["Account ID", "Account Name", "Website"],
            ["ACC-1", "Acme, Inc.", "https://www.acme.com/"],
            ["ACC-2", "Globex GmbH", "globex.de"],
            ["ACC-3", "Initech LLC", ""],
            ["ACC-4", "Umbrella Ltd", "umbrella.example"],
            ["ACC-5", "Umbrella Limited", "umbrella-eu.example"]]

# Pendo: People → Accounts → Actions → Download to CSV (one row per Account ID, no date).
PENDO = [["Account ID", "Account Name", "Number of Visitors", "Days Active", "Number of Events",
          "Time on Site (Minutes)", "First Visit", "Last Visit"],
         ["ACC-1", "Acme, Inc.", "41", "28", "1,204", "512.5", "2024-02-01", "2026-11-19"],
         ["globex.de", "Globex", "7", "12", "88", "40", "2025-06-11", "2026-11-18"],
         ["ACME INC", "Acme", "3", "2", "9", "1", "2026-01-01", "2026-11-01"],  # Acme twice
         ["Initech, L.L.C", "Initech", "5", "9", "60", "22", "2025-03-03", "2026-11-17"],
         ["INITECH Inc.", "Initech", "5", "9", "60", "22", "2025-03-03", "2026-11-17"],
         ["Foo Ltd", "Foo", "2", "1", "3", "0.5", "2026-11-02", "2026-11-02"]]

# Mixpanel Insights, line chart of unique users broken down by $group_id, Export → CSV.
MIXPANEL = [["event", "$group_id", "2026-10-05T00:00:00-07:00", "2026-10-12T00:00:00-07:00",
             "2026-10-19T00:00:00-07:00"],
            ["App Open [Unique Users]", "$overall", "60", "58", "70"],
            ["App Open [Unique Users]", "ACC-1", "20", "", "25"],
            ["App Open [Unique Users]", "acme.com", "", "", ""],
            ["App Open [Unique Users]", "https://www.globex.de/", "4", "0", ""],
            ["App Open [Unique Users]", "Initech", "", "6", "7"],
            ["App Open [Unique Users]", "Umbrella", "1", "2", "3"],
            ["App Open [Unique Users]", "Hooli", "9", "9", "9"]]

# Amplitude chart → Export CSV: the chart's title and range above the table.
AMPLITUDE = ('"Total events of Report Exported, by company"\r\n'
             '"Oct 5, 2026 to Oct 19, 2026"\r\n'
             '\r\n'
             '"Segment","company","Oct 5, 2026","Oct 12, 2026","Oct 19, 2026"\r\n'
             '"All Users","\tACC-2","\t11","\t","\t13"\r\n'
             '"All Users","\tAcme Inc","\t5","\t6","\t"\r\n'
             '"All Users","\tumbrella-eu.example","\t","\t1","\t"\r\n'
             '"All Users","\tNope Corp","\t2","\t2","\t2"\r\n'
             '"All Users","\tInitech","\t3","\t1.5","\t4"\r\n'
             '"All Users","\tACC-4","\tn/a","\t-","\t"\r\n')  # no value: no row


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.fixture
def book(tmp_path: Path) -> str:
    book = str(tmp_path / "book.sqlite")
    assert main(["import", str(_csv(tmp_path / "accounts.csv", ACCOUNTS)), "--entity",
                 "accounts", "--db", book]) == 0
    return book


def _usage(book: str) -> dict[tuple[str, str], tuple[int | None, ...]]:
    with Database.open(resolve_database(book)) as db, db.read() as s:
        rows = s.execute(select(Account.external_id, UsageSnapshot.date,
                                UsageSnapshot.active_users, UsageSnapshot.key_events)
                         .join(Account, Account.id == UsageSnapshot.account_id)).all()
    return {(ext, day.isoformat()): (users, events) for ext, day, users, events in rows}


def test_a_pendo_account_report_is_a_snapshot_of_the_day_given(
        book: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path / "pendo-accounts.csv", PENDO)
    assert main(["import", str(path), "--as-of", "2026-11-20", "--skip-invalid",
                 "--db", book]) == 0
    out = capsys.readouterr().out
    assert "→ usage (pendo profile)" in out
    assert "note: no date column: the snapshot of 2026-11-20, as given (--as-of)" in out
    assert ("  accounts: 3 accounts matched by 5 values: 1 by id, 1 by domain, 3 by name; "
            "1 not found: Foo Ltd (1 row)\n") in out
    # Row 4 is Acme again (by name), row 6 Initech again: neither is guessed between.
    assert "row 4, column 'Account ID': the same account and date as row 2" in out
    assert "row 6, column 'Account ID': the same account and date as row 5" in out
    assert "row 7, column 'Account ID': no account with this external id, domain or name" in out
    # Visitors are the day's active users; events, a total over the report's range, are not
    # a day's key events (they would read as a spike in the usage trend).
    assert _usage(book) == {("ACC-1", "2026-11-20"): (41, None),
                            ("ACC-2", "2026-11-20"): (7, None),
                            ("ACC-3", "2026-11-20"): (5, None)}


def test_without_as_of_the_snapshot_is_today_and_the_summary_says_so(
        book: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path / "pendo-accounts.csv", PENDO[:3])
    with clock.pin(date(2026, 11, 26)):
        assert main(["import", str(path), "--json", "--db", book]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "no date column: the snapshot of 2026-11-26, today (--as-of DATE for another day)" \
        in out["notes"]
    assert out["accounts"]["matched"] == {"id": 1, "domain": 1, "name": 0}
    assert set(_usage(book)) == {("ACC-1", "2026-11-26"), ("ACC-2", "2026-11-26")}


def test_a_mixpanel_insights_csv_gives_one_row_per_account_and_date(
        book: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path / "mixpanel-insights.csv", MIXPANEL)
    errors = tmp_path / "errors.csv"
    assert main(["import", str(path), "--dry-run", "--errors", str(errors),
                 "--db", book]) == 1
    out = capsys.readouterr().out
    assert "'value'                          → active_users" in out  # unique users
    assert ("accounts: 3 accounts matched: 1 by id, 1 by domain, 1 by name; 1 not found: "
            "Hooli (3 date cells); 1 ambiguous: Umbrella (3 date cells, could be Umbrella Ltd "
            "or Umbrella Limited)") in out
    # Told as the file's own row, once per row (not once per date).
    assert "  row 7, column '$group_id': matches 2 accounts (Umbrella Ltd and Umbrella " \
           "Limited): give the account's external id (value 'Umbrella')" in out
    assert "  row 8, column '$group_id': no account with this external id" in out
    assert "6 would be inserted" in out and _usage(book) == {}  # the valid rows
    with open(errors, newline="", encoding="utf-8-sig") as fh:
        report = list(csv.reader(fh))
    assert report[0] == MIXPANEL[0] + ["csdesk_row", "csdesk_errors"]
    assert [r[:-1] for r in report[1:]] == [MIXPANEL[6] + ["7"], MIXPANEL[7] + ["8"]]

    assert main(["import", str(path), "--skip-invalid", "--db", book]) == 0
    # By hand: ACC-1 20 and 25 (its empty cell is no row); globex.de 4 and 0; Initech 6, 7;
    # the $overall row is the chart's total; acme.com's row is all empty.
    assert _usage(book) == {("ACC-1", "2026-10-05"): (20, None),
                            ("ACC-1", "2026-10-19"): (25, None),
                            ("ACC-2", "2026-10-05"): (4, None),
                            ("ACC-2", "2026-10-12"): (0, None),
                            ("ACC-3", "2026-10-12"): (6, None),
                            ("ACC-3", "2026-10-19"): (7, None)}


def test_an_amplitude_chart_csv_with_its_title_rows(
        book: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "amplitude-chart.csv"
    path.write_text(AMPLITUDE, encoding="utf-8")
    assert main(["import", str(path), "--skip-invalid", "--db", book]) == 0
    out = capsys.readouterr().out
    assert "note: the table starts at row 4; above it: Total events of Report Exported" in out
    assert "'value'                          → key_events" in out  # a total of events
    assert "row 9, column 'Oct 12, 2026': not a whole number (value '1.5')" in out
    assert "1 not found: Nope Corp (3 date cells)" in out
    assert _usage(book) == {("ACC-2", "2026-10-05"): (None, 11),
                            ("ACC-2", "2026-10-19"): (None, 13),
                            ("ACC-1", "2026-10-05"): (None, 5),
                            ("ACC-1", "2026-10-12"): (None, 6),
                            ("ACC-5", "2026-10-12"): (None, 1),
                            ("ACC-3", "2026-10-05"): (None, 3),
                            ("ACC-3", "2026-10-19"): (None, 4)}
    # The measure is the CSM's to choose.
    assert main(["import", str(path), "--measure", "logins", "--skip-invalid", "--json",
                 "--db", book]) == 0
    assert json.loads(capsys.readouterr().out)["mapping"]["value"] == "logins"
    # A file with dates of its own is no snapshot: --as-of is said to be unused.
    assert main(["import", str(path), "--as-of", "2026-11-20", "--dry-run", "--db", book]) == 1
    assert "note: --as-of 2026-11-20 is not used: the dates are the file's own ('date')" \
        in capsys.readouterr().out


def test_measure_is_for_wide_files_only(book: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path / "pendo.csv", PENDO[:2])
    assert main(["import", str(path), "--measure", "logins", "--db", book]) == 2
    assert "--measure is for a file with one column per date" in capsys.readouterr().err
