"""Importing: upsert on a key, dry run, all-or-nothing, precise errors, idempotence."""

from __future__ import annotations

import csv
import json
import os
import stat
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from csdesk.db import Database
from csdesk.db.backup import list_backups
from csdesk.errors import ImportUsageError
from csdesk.io.validate import salesforce_18
from csdesk.models import (
    Account,
    Activity,
    Contact,
    FeatureUsage,
    ImportLog,
    Subscription,
    UsageSnapshot,
)
from csdesk.services.sync.importer import (
    CancelledTooLate,
    ImportRequest,
    run_import,
    write_error_report,
)


def _backups(db: Database) -> int:
    """Backups taken of an SQLite book (a server database is backed up by its own tools)."""
    return len(list_backups(db.path)) if db.path is not None else 0


def write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        csv.writer(fh).writerows(rows)
    return path


ACCOUNTS = [
    ["Account ID", "Account Name", "Website", "CSM", "ARR", "Renewal Date", "Support minutes"],
    ["A-001", "AT&T <Legacy> 日本", "att.example", "Ana", "$120,000.00", "2027-03-01", "340"],
    ["A-002", "Müller & Söhne", "mueller.example", "Ben", "$24,000", "2027-05-01", "12"],
    ["0007", "Zero Seven", "zero.example", "Ana", "$1,234", "2027-06-01", ""],
]


def _imp(db: Database, path: Path, **kw: object) -> object:
    return run_import(db, ImportRequest(path, **kw))  # type: ignore[arg-type]


def _count(db: Database, model: type) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_accounts_import_then_reimport_changes_nothing(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path / "accounts.csv", ACCOUNTS)
    first = _imp(db, path, entity="accounts")
    assert (first.inserted, first.updated, first.unchanged, first.error_count) == (3, 0, 0, 0)
    assert first.written and (first.backup is not None) == (db.path is not None)
    with db.read() as s:
        acc = {a.external_id: a for a in s.scalars(select(Account))}
        subs = {x.external_id: x for x in s.scalars(select(Subscription))}
        logs = s.scalars(select(ImportLog)).all()
    assert set(acc) == {"A-001", "A-002", "0007"}  # leading zeros kept
    assert acc["A-001"].name == "AT&T <Legacy> 日本"
    assert acc["A-001"].segment.value == "enterprise" and acc["A-002"].segment.value == "smb"
    assert acc["A-001"].custom_fields == {"Support minutes": "340"}
    assert subs["A-001#contract"].arr_cents == 12_000_000
    # The contract runs to the renewal date the CRM gave (2027-03-01), as csdesk shows it.
    assert subs["A-001#contract"].end_date == date(2027, 3, 1)
    assert len(logs) == 1 and logs[0].inserted == 3 and len(logs[0].file_sha256) == 64
    assert logs[0].mapping["Account ID"] == "external_id"

    again = _imp(db, path, entity="accounts")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert not again.written
    assert _count(db, ImportLog) == 1  # nothing at all was written the second time


def test_dry_run_shows_field_diffs_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    changed = [r[:] for r in ACCOUNTS]
    changed[1][3] = "Ann"
    changed[1][4] = "$130,000"
    changed.append(["A-004", "New Co", "new.example", "Cy", "", "", ""])
    backups_before = _backups(db)
    result = _imp(db, write(tmp_path / "b.csv", changed), entity="accounts", dry_run=True)
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 2)
    diffs = {(c.key, c.field): (c.old, c.new) for c in result.changes}
    assert diffs[("A-001", "owner")] == ("Ana", "Ann")
    assert diffs[("A-001", "arr")] == (12_000_000, 13_000_000)
    assert not result.written
    assert _count(db, Account) == 3
    assert _backups(db) == backups_before  # a dry run takes no backup


def test_errors_name_row_column_value_reason_and_nothing_is_written(
    db: Database, tmp_path: Path,
) -> None:
    rows = [*ACCOUNTS,
            ["A-005", "", "x.example", "", "", "", ""],
            ["A-006", "Neg", "neg.example", "", "-5", "2027-01-01", ""],
            ["A-001", "Dup", "dup.example", "", "", "", ""],
            ["A-007", "Ragged", "r.example"]]
    result = _imp(db, write(tmp_path / "bad.csv", rows), entity="accounts")
    got = {(e.row, e.column, e.value, e.reason.split(":")[0]) for e in result.errors}
    assert (5, "Account Name", "", "name is required") in got
    assert (6, "ARR", "-5", "out of range") in got
    assert (7, "Account ID", "A-001", "the same external_id as row 2") in got
    assert any(e.row == 8 and "3 fields but the header has 7" in e.reason
               for e in result.errors)
    assert not result.written
    assert _count(db, Account) == 0
    # The error report holds the bad rows as they were, ready to fix and re-import.
    report = tmp_path / "errors.csv"
    assert write_error_report(result, report) == 4
    with open(report, encoding="utf-8-sig", newline="") as fh:
        back = list(csv.reader(fh))
    assert back[0][-2:] == ["csdesk_row", "csdesk_errors"]
    assert back[1][:2] == ["A-005", ""] and back[1][-2] == "5"
    if os.name == "posix":  # the rows hold the customer's data: this user's eyes only
        assert stat.S_IMODE(report.stat().st_mode) == 0o600


def test_fixed_error_report_imports(db: Database, tmp_path: Path) -> None:
    rows = [ACCOUNTS[0], ["A-9", "", "nine.example", "", "", "", ""]]
    result = _imp(db, write(tmp_path / "bad.csv", rows), entity="accounts")
    report = tmp_path / "errors.csv"
    write_error_report(result, report)
    text = report.read_text(encoding="utf-8-sig").replace("A-9,,", "A-9,Nine Ltd,")
    report.write_text(text, encoding="utf-8-sig")
    fixed = _imp(db, report, entity="accounts")
    assert fixed.error_count == 0 and fixed.inserted == 1
    with db.read() as s:
        assert s.scalars(select(Account)).one().custom_fields == {}  # report columns ignored


def test_contacts_need_a_known_account_and_can_match_on_email(db: Database,
                                                              tmp_path: Path) -> None:
    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    rows = [["Account ID", "Full Name", "Email", "Champion"],
            ["A-001", "Ada Lovelace", "ada@att.example", "yes"],
            ["NOPE", "Ghost", "ghost@x.example", "no"]]
    bad = _imp(db, write(tmp_path / "c.csv", rows), entity="contacts", key="email")
    assert [(e.row, e.column, e.value) for e in bad.errors] == [(3, "Account ID", "NOPE")]
    assert "no account with this external id" in bad.errors[0].reason
    assert _count(db, Contact) == 0
    good = _imp(db, write(tmp_path / "c2.csv", rows[:2]), entity="contacts", key="email")
    assert good.inserted == 1
    rows[1][1] = "Ada King"
    again = _imp(db, write(tmp_path / "c3.csv", rows[:2]), entity="contacts", key="email")
    assert (again.inserted, again.updated) == (0, 1)
    with db.read() as s:
        c = s.scalars(select(Contact)).one()
    assert c.name == "Ada King" and c.is_champion and c.version == 2


def test_accounts_can_match_on_domain(db: Database, tmp_path: Path) -> None:
    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    rows = [["Account ID", "Account Name", "Website"],
            ["A-001", "AT&T Renamed", "att.example"]]
    result = _imp(db, write(tmp_path / "d.csv", rows), entity="accounts", key="domain")
    assert (result.inserted, result.updated) == (0, 1)


def test_salesforce_15_and_18_character_ids_match(db: Database, tmp_path: Path) -> None:
    id15 = "0015g00000AbCdE"
    rows = [["Id", "Name"], [id15, "Acme"]]
    _imp(db, write(tmp_path / "a.csv", rows), entity="accounts")
    rows18 = [["Id", "Name"], [salesforce_18(id15), "Acme Corp"]]
    result = _imp(db, write(tmp_path / "b.csv", rows18), entity="accounts")
    assert (result.inserted, result.updated) == (0, 1)
    other_case = [["Id", "Name"], ["0015g00000ABCDE", "Other"]]
    assert _imp(db, write(tmp_path / "c.csv", other_case), entity="accounts").inserted == 1


def test_ambiguous_dates_stop_the_import_with_example_rows(db: Database,
                                                          tmp_path: Path) -> None:
    rows = [["Account ID", "Name", "Customer Since"], ["A", "A", "02/01/2014"],
            ["B", "B", "03/04/2014"]]
    path = write(tmp_path / "a.csv", rows)
    result = _imp(db, path, entity="accounts")
    assert result.error_count and not result.written
    assert "row 2: '02/01/2014'" in result.errors[0].reason
    assert "choose a date format" in result.errors[0].reason
    ok = _imp(db, path, entity="accounts", date_format="dmy")
    with db.read() as s:
        since = s.scalars(select(Account.customer_since).order_by(Account.external_id)).all()
    assert ok.inserted == 2 and since == [date(2014, 1, 2), date(2014, 4, 3)]


def test_a_date_that_reads_the_same_both_ways_does_not_decide_the_column(
        db: Database, tmp_path: Path) -> None:
    """01/01/2014 is the same date day-first or month-first, so 02/03/2014 is still
    ambiguous: the import stops and asks, and reads the column as the user then says."""
    rows = [["Account ID", "Name", "Customer Since"], ["A", "A", "01/01/2014"],
            ["B", "B", "02/03/2014"]]
    path = write(tmp_path / "a.csv", rows)
    result = _imp(db, path, entity="accounts")
    assert result.error_count and not result.written
    assert "row 3: '02/03/2014'" in result.errors[0].reason
    assert "row 2" not in result.errors[0].reason
    assert _count(db, Account) == 0

    def since() -> list[date]:
        with db.read() as s:
            return list(s.scalars(select(Account.customer_since)
                                  .order_by(Account.external_id)))

    assert _imp(db, path, entity="accounts", date_format="mdy").inserted == 2
    assert since() == [date(2014, 1, 1), date(2014, 2, 3)]
    assert _imp(db, path, entity="accounts", date_format="dmy").updated == 1
    assert since() == [date(2014, 1, 1), date(2014, 3, 2)]


def test_required_field_without_column_is_a_usage_error(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", [["Name"], ["x"]])
    with pytest.raises(ImportUsageError, match="external_id has no column"):
        _imp(db, path, entity="accounts")


def test_saved_mapping_is_reused(db: Database, tmp_path: Path) -> None:
    rows = [["Kunde", "Firma"], ["K1", "Eins GmbH"]]
    path = write(tmp_path / "a.csv", rows)
    first = _imp(db, path, entity="accounts",
                 overrides={"Kunde": "external_id", "Firma": "name"}, save_mapping="german")
    assert first.inserted == 1
    again = _imp(db, write(tmp_path / "b.csv", [*rows, ["K2", "Zwei AG"]]), entity="accounts",
                 mapping_name="german")
    assert again.inserted == 1 and again.mapping_how["Kunde"] == "saved mapping"


USAGE_HEADER = ["account_external_id", "date", "active_users", "licensed_seats", "key_events"]


def test_usage_streams_upserts_and_reimports_as_unchanged(db: Database, tmp_path: Path) -> None:
    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    rows = [USAGE_HEADER] + [[acc, f"2026-0{m}-01", str(m), "10", str(m * 100)]
                             for acc in ("A-001", "A-002") for m in range(1, 10)]
    path = write(tmp_path / "usage.csv", rows)
    first = _imp(db, path, entity="usage")
    assert (first.inserted, first.updated, first.unchanged) == (18, 0, 0)
    assert _imp(db, path, entity="usage").unchanged == 18
    rows[1][2] = "99"
    changed = _imp(db, write(tmp_path / "u2.csv", rows), entity="usage")
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 17)
    with db.read() as s:
        assert s.scalar(select(func.max(UsageSnapshot.active_users))) == 99


def test_usage_errors_roll_back_every_chunk(db: Database, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    monkeypatch.setattr("csdesk.services.sync.bulk.CHUNK_ROWS", 5)
    rows = [USAGE_HEADER] + [["A-001", f"2025-{m:02d}-01", "1", "2", "3"] for m in range(1, 13)]
    rows += [["A-001", "2025-01-01", "1", "2", "3"], ["ZZZ", "2025-01-01", "1", "2", "3"],
             ["A-002", "2025-01-01", "-1", "2", "3"]]
    result = _imp(db, write(tmp_path / "u.csv", rows), entity="usage")
    reasons = {e.row: e.reason for e in result.errors}
    assert reasons[14] == "the same account and date as row 2"
    assert "no account" in reasons[15]
    assert reasons[16].startswith("out of range")
    assert _count(db, UsageSnapshot) == 0  # the first chunks were written, then undone


def test_usage_skip_invalid_writes_every_valid_chunk_and_leaves_the_rest_out(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    monkeypatch.setattr("csdesk.services.sync.bulk.CHUNK_ROWS", 5)
    rows = [USAGE_HEADER] + [["A-001", f"2025-{m:02d}-01", "1", "2", "3"] for m in range(1, 13)]
    rows += [["A-001", "2025-01-01", "9", "9", "9"], ["ZZZ", "2025-01-01", "1", "2", "3"],
             ["A-002", "2025-01-01", "-1", "2", "3"], ["A-002", "2025-02-01", "4", "5", "6"]]
    result = _imp(db, write(tmp_path / "u.csv", rows), entity="usage", skip_invalid=True)
    assert result.written and (result.error_count, result.rows_left_out) == (3, 3)
    # The twelve months of A-001 (the first of the duplicated key among them) and A-002's
    # valid row; the repeated key's second row, the unknown account and the negative count
    # are left out.
    assert (result.inserted, _count(db, UsageSnapshot)) == (13, 13)
    with db.read() as s:
        assert s.scalar(select(func.max(UsageSnapshot.active_users))) == 4  # never the 9


def test_feature_events_skip_invalid_sums_only_the_valid_events(db: Database,
                                                                tmp_path: Path) -> None:
    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    rows = [["Account ID", "Event Date", "Feature Name", "Duration"]]
    rows += [["A-001", "2026-05-04T10:00:00Z", "Reports", "30"]] * 3
    rows += [["ZZZ", "2026-05-04T11:00:00Z", "API", "5"]]
    result = _imp(db, write(tmp_path / "events.csv", rows), entity="feature_events",
                  skip_invalid=True)
    assert result.written and result.rows_left_out == 1
    with db.read() as s:
        got = {f.feature: (f.usage_count, f.duration_seconds) for f in
               s.scalars(select(FeatureUsage))}
    assert got == {"Reports": (3, 90.0)}


def test_dates_that_read_two_ways_stop_the_import_even_with_skip_invalid(
        db: Database, tmp_path: Path) -> None:
    rows = [["Account ID", "Account Name", "Customer Since"], ["A-1", "One", "03/04/2024"],
            ["A-2", "Two", "05/06/2024"]]
    result = _imp(db, write(tmp_path / "a.csv", rows), entity="accounts", skip_invalid=True)
    assert result.stopped and not result.written and _count(db, Account) == 0


def test_feature_events_are_aggregated_and_idempotent(db: Database, tmp_path: Path) -> None:
    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    rows = [["Account ID", "Event Date", "Feature Name", "Duration"]]
    rows += [["A-001", "2026-05-04T10:00:00Z", "Reports", "30"]] * 3
    rows += [["A-001", "2026-05-04T11:00:00Z", "API", "5"]]
    path = write(tmp_path / "events.csv", rows)
    first = _imp(db, path, entity="feature_events")
    assert first.inserted == 2
    with db.read() as s:
        got = {f.feature: (f.usage_count, f.duration_seconds) for f in
               s.scalars(select(FeatureUsage))}
    assert got == {"Reports": (3, 90.0), "API": (1, 5.0)}
    again = _imp(db, path, entity="feature_events")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


def test_result_json_contract(db: Database, tmp_path: Path) -> None:
    result = _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts", dry_run=True)
    payload = json.loads(json.dumps(result.as_json()))
    for key in ("inserted", "updated", "unchanged", "errors", "written", "encoding",
                "delimiter", "mapping"):
        assert key in payload
    assert payload["mapping"]["Account ID"] == "external_id"


def test_cancel_leaves_the_book_as_it_was(db: Database, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from csdesk.progress import Cancelled

    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    monkeypatch.setattr("csdesk.services.sync.bulk.CHUNK_ROWS", 4)
    rows = [USAGE_HEADER] + [["A-001", f"2024-{m:02d}-{d:02d}", "1", "2", "3"]
                             for m in range(1, 13) for d in range(1, 8)]
    seen: list[str] = []

    def progress(fraction: float, message: str) -> None:
        seen.append(message)

    def cancel() -> bool:  # after a few chunks were written inside the transaction
        return sum("Importing usage" in m for m in seen) >= 3

    with pytest.raises(Cancelled):
        run_import(db, ImportRequest(write(tmp_path / "u.csv", rows), entity="usage"),
                   progress=progress, cancel=cancel)
    assert _count(db, UsageSnapshot) == 0


def test_a_cancel_after_the_commit_says_what_was_written(db: Database,
                                                         tmp_path: Path) -> None:
    """Cancel pressed while the commit ran (or just after): the import is in the book, and
    the one line says so instead of 'nothing was changed'."""
    other = Database.open(db.location, lock=False)  # sees only what is committed

    def cancel() -> bool:
        with other.read() as s:
            return bool(s.scalar(select(func.count()).select_from(ImportLog)))

    try:
        with pytest.raises(CancelledTooLate) as late:
            run_import(db, ImportRequest(write(tmp_path / "a.csv", ACCOUNTS),
                                         entity="accounts"), cancel=cancel)
    finally:
        other.close()
    (result,) = late.value.results
    undo = (f"the backup from before it is {result.backup}" if db.path is not None
            else "the database server's own backups hold the state before it")
    assert str(late.value) == ("cancelled too late: the import had already been written (3 "
                               f"inserted and 0 updated accounts from a.csv); {undo}")
    assert (_count(db, Account), _count(db, Subscription), _count(db, ImportLog)) == (3, 3, 1)


def test_unmapped_usage_columns_are_named(db: Database, tmp_path: Path) -> None:
    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    rows = [[*USAGE_HEADER, "Region"], ["A-001", "2026-01-05", "1", "2", "3", "EU"]]
    result = _imp(db, write(tmp_path / "u.csv", rows), entity="usage", dry_run=True)
    assert any("not imported: Region" in n for n in result.notes)


def test_long_numeric_ids_stay_text(db: Database, tmp_path: Path) -> None:
    rows = [["Account ID", "Account Name"], ["123456789012345678", "Eighteen Digits"],
            ["00042", "Leading Zeros"]]
    _imp(db, write(tmp_path / "a.csv", rows), entity="accounts")
    with db.read() as s:
        ids = set(s.scalars(select(Account.external_id)))
    assert ids == {"123456789012345678", "00042"}


@pytest.mark.parametrize("copy_from", [1, 10**9], ids=["copy", "executemany"])
def test_usage_bulk_paths_upsert_alike(db: Database, tmp_path: Path, copy_from: int,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL stages big chunks with COPY; small ones (and SQLite) use executemany. Both
    insert, update only what differs, and count the same."""
    monkeypatch.setattr("csdesk.db.bulk.COPY_FROM", copy_from)
    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    rows = [USAGE_HEADER] + [[acc, f"2026-{m:02d}-01", str(m), "10", str(m * 100)]
                             for acc in ("A-001", "A-002", "0007") for m in range(1, 13)]
    first = _imp(db, write(tmp_path / "u.csv", rows), entity="usage")
    assert (first.inserted, first.updated, first.unchanged) == (36, 0, 0)
    rows[5][2], rows[30][4] = "77", "5"
    again = _imp(db, write(tmp_path / "u2.csv", rows), entity="usage")
    assert (again.inserted, again.updated, again.unchanged) == (0, 2, 34)
    with db.read() as s:
        assert s.scalar(select(func.sum(UsageSnapshot.active_users))) == 3 * 78 - 5 + 77
        assert s.scalar(select(func.count()).select_from(UsageSnapshot)) == 36


@pytest.mark.parametrize("copy_from", [1, 10**9], ids=["copy", "executemany"])
def test_usage_counts_are_the_imports_own_while_others_write(
        db: Database, tmp_path: Path, copy_from: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A team mate's import committing usage rows meanwhile (on a server) leaves this
    import's counts alone: they come from its own statements, not from table totals."""
    if db.path is not None:
        pytest.skip("SQLite: BEGIN IMMEDIATE keeps every other writer out during an import")
    monkeypatch.setattr("csdesk.db.bulk.COPY_FROM", copy_from)
    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    rows = [USAGE_HEADER] + [["A-001", f"2026-01-{d:02d}", str(d), "10", "1"]
                             for d in range(1, 11)]
    _imp(db, write(tmp_path / "u1.csv", rows[:6]), entity="usage")  # 5 rows already there
    rows[1][2] = rows[2][2] = "99"  # 2 of those change, 3 stay; 5 rows are new
    other = Database.open(db.location, lock=False)
    with other.read() as s:
        a002 = s.scalar(select(Account.id).where(Account.external_id == "A-002"))
    theirs: list[int] = []

    def progress(_fraction: float, message: str) -> None:
        if "Importing usage" in message and not theirs:
            with other.write() as s:
                s.add_all(UsageSnapshot(account_id=a002, date=date(2025, 1, 1 + d),
                                        active_users=1) for d in range(20))
            theirs.append(20)

    try:
        result = run_import(db, ImportRequest(write(tmp_path / "u2.csv", rows),
                                              entity="usage"), progress=progress)
    finally:
        other.close()
    assert theirs == [20]
    assert (result.inserted, result.updated, result.unchanged) == (5, 2, 3)
    assert _count(db, UsageSnapshot) == 10 + 20


def test_records_stream_in_chunks_matched_on_a_composite_key(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Activities without ids are matched on account, date, kind and summary, a chunk at a
    time; the same key in two chunks is still caught."""
    monkeypatch.setattr("csdesk.services.sync.importer.chunk_rows", lambda _info: 3)
    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    rows = [["Account ID", "Type", "Date", "Subject", "Notes"]] + [
        [acc, "call", f"2026-02-{d:02d}", f"Call {d}", "ok"]
        for acc in ("A-001", "A-002") for d in range(1, 5)]
    first = _imp(db, write(tmp_path / "act.csv", rows), entity="activities")
    assert (first.inserted, first.updated, first.unchanged, first.error_count) == (8, 0, 0, 0)
    rows[8][4] = "changed"
    again = _imp(db, write(tmp_path / "act2.csv", rows), entity="activities")
    assert (again.inserted, again.updated, again.unchanged) == (0, 1, 7)
    twice = _imp(db, write(tmp_path / "act3.csv", [*rows, rows[2]]), entity="activities")
    assert [(e.row, e.reason) for e in twice.errors] == [
        (10, "the same account_external_id/occurred_on/kind/summary as row 3")]
    assert twice.error_records == {10: rows[2]} and not twice.written


def test_cancel_is_answered_within_a_chunk(db: Database, tmp_path: Path) -> None:
    """Cancel is looked at every few thousand rows, not only between chunks (one chunk here),
    so a big chunk does not keep the user waiting; nothing is written."""
    from csdesk.progress import Cancelled

    _imp(db, write(tmp_path / "a.csv", ACCOUNTS), entity="accounts")
    rows = [["Activity ID", "Account ID", "Type", "Date", "Subject"]] + [
        [f"X{i}", "A-001", "call", "2026-03-01", f"Call {i}"] for i in range(12_000)]
    looks: list[str] = []

    def progress(_fraction: float, message: str) -> None:
        looks.append(message)

    def cancel() -> bool:  # looks once the rows are read: at their first, 5,000 rows on
        looks.append("look")
        started = next((i for i, m in enumerate(looks) if m.startswith("Importing")), None)
        return started is not None and looks[started:].count("look") >= 2

    with pytest.raises(Cancelled) as stopped:
        run_import(db, ImportRequest(write(tmp_path / "act.csv", rows), entity="activities"),
                   progress=progress, cancel=cancel)
    assert str(stopped.value) == "cancelled; nothing was changed"
    assert _count(db, Activity) == 0
