"""Export: the whole book round-trips, cells are safe in Excel, files appear whole or not."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.io.export import cell, guard, write_csv
from csdesk.io.reader import unguard
from csdesk.models import Account
from csdesk.services.book.info import book_info
from csdesk.services.sync.export import export_book, export_entity
from csdesk.services.sync.importer import run_folder_import


def _sorted_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return [rows[0], *sorted(rows[1:])]


def test_whole_book_round_trips_into_an_empty_book(demo_db: Database, tmp_path: Path) -> None:
    first = export_book(demo_db, tmp_path / "export")
    assert {r.entity for r in first} >= {"accounts", "contacts", "usage", "renewals"}
    with Database.open(resolve_database(tmp_path / "copy.sqlite")) as copy:
        results = run_folder_import(copy, tmp_path / "export")
        assert all(r.written and not r.error_count for r in results)
        source_counts, copy_counts = book_info(demo_db).counts, book_info(copy).counts
        for table in ("accounts", "contacts", "subscriptions", "renewals", "opportunities",
                      "usage_snapshots", "feature_usage", "support_tickets",
                      "survey_responses", "activities"):
            assert copy_counts[table] == source_counts[table], table
        export_book(copy, tmp_path / "again")
        # Importing the export a second time changes nothing.
        again = run_folder_import(copy, tmp_path / "export")
        assert all(r.inserted == r.updated == 0 for r in again)
    for f in (tmp_path / "export").glob("*.csv"):
        assert _sorted_rows(f) == _sorted_rows(tmp_path / "again" / f.name), f.name


def test_zip_export_and_excel_bom(demo_db: Database, tmp_path: Path) -> None:
    export_book(demo_db, tmp_path / "book.zip", excel=True)
    with zipfile.ZipFile(tmp_path / "book.zip") as zf:
        names = set(zf.namelist())
        assert {"accounts.csv", "usage.csv"} <= names
        assert zf.read("accounts.csv").startswith(b"\xef\xbb\xbf")


def test_injection_guard() -> None:
    for dangerous in ("=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert guard(dangerous) == "'" + dangerous
        assert unguard(guard(dangerous)) == dangerous
    assert guard("-12.50") == "-12.50"  # numbers stay numbers
    assert guard("Plain") == "Plain"
    assert cell(-1250, "money") == "-12.50"
    assert cell("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"


def test_guarded_names_round_trip(db: Database, tmp_path: Path) -> None:
    with db.write() as s:
        s.add(Account(external_id="X1", name="=SUM(1+1)", segment="smb",
                      engagement_model="tech_touch", custom_fields={"note": "@risk"}))
    path = tmp_path / "accounts.csv"
    export_entity(db, "accounts", path)
    text = path.read_text(encoding="utf-8")
    assert "'=SUM(1+1)" in text and "'@risk" in text
    with Database.open(resolve_database(tmp_path / "other.sqlite")) as other:
        from csdesk.services.sync.importer import ImportRequest, run_import

        run_import(other, ImportRequest(path))
        with other.read() as s:
            acc = s.query(Account).one()
            assert acc.name == "=SUM(1+1)" and acc.custom_fields == {"note": "@risk"}


def test_a_failed_export_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old,content\n", encoding="utf-8")

    def rows():  # type: ignore[no-untyped-def]
        yield ["1", "2"]
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_csv(path, ["a", "b"], rows())
    assert path.read_text(encoding="utf-8") == "old,content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no half file left


def test_salesforce_profile_export(demo_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "sf.csv"
    export_entity(demo_db, "accounts", path, profile="salesforce")
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:2] == ["ID", "NAME"]
    assert "PARENTID" in header and "WEBSITE" in header
