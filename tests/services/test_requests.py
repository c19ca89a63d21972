"""Product feedback: asks grouped into items, ARR at stake summed across accounts in the
base currency (by hand), a missing rate refused, churned accounts listed but not summed,
the ranking, the status CSV (all or nothing), the export files and the QBR's what's new."""

from __future__ import annotations

import csv
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError, ReplaceRefused, ValidationError
from csdesk.models import Account
from csdesk.services.money import save_rate
from csdesk.services.plans.qbr import qbr_data
from csdesk.services.plans.qbr_document import qbr_document
from csdesk.services.plans.requests import (
    account_requests,
    add_update,
    items,
    log_request,
    merge_items,
    parse_status,
    ranked_requests,
    same_as,
    set_status,
    whats_new,
)
from csdesk.services.plans.requests_io import export_requests, import_statuses
from tests.request_book import ATT, asking_accounts

DAY = date(2026, 11, 22)


@pytest.fixture
def book(db: Database) -> Iterator[dict[str, int]]:
    ids = asking_accounts(db)
    with clock.pin(DAY):
        yield ids


def test_arr_at_stake_sums_live_accounts_in_the_base(db: Database,
                                                     book: dict[str, int]) -> None:
    sso = log_request(db, "ATT-1", "SSO via Okta", asked_by="ana souza",
                      asked_on=date(2026, 9, 1))
    assert sso.asked_by == "Ana Souza"  # the contact, found by name
    log_request(db, ATT, "sso via  okta.", asked_on=date(2026, 10, 1))  # same words: joins
    log_request(db, "MUL-1", "Single sign-on (Okta)", same_as=sso.item.id,
                asked_by="Jörg (IT)", kind="product gap", asked_on=date(2026, 8, 15))
    log_request(db, "GONE-1", "SSO via Okta", asked_on=date(2025, 12, 1))
    log_request(db, "ATT-1", "Audit log", kind="bug", asked_on=date(2026, 11, 1))

    ranked = ranked_requests(db)
    assert ranked.base_currency == "USD"
    first, second = ranked.items
    assert first.item.title == "SSO via Okta"
    # $120,000 + €50,000 × 1.10 = $175,000; Gone (churned) listed, not summed
    assert first.arr_at_stake_cents == (120_000 + 55_000) * 100
    assert first.account_count == 3 and first.live_count == 2
    assert [a.name for a in first.accounts] == [ATT, "Müller & Söhne", "Gone Ltd"]
    assert first.accounts[0].asks == 2
    gone = first.accounts[2]
    assert not gone.live and gone.arr_cents == 80_000 * 100
    assert first.first_asked == date(2025, 12, 1)
    assert second.item.title == "Audit log" and second.arr_at_stake_cents == 120_000 * 100
    assert "churned accounts are listed but not summed" in ranked.rule


def test_a_missing_rate_is_said_never_summed_raw(db: Database,
                                                 book: dict[str, int]) -> None:
    log_request(db, "GBP-1", "Bulk export")
    log_request(db, "ATT-1", "Bulk export")
    log_request(db, "MUL-1", "Dark mode")
    ranked = ranked_requests(db)
    assert [r.item.title for r in ranked.items] == ["Dark mode", "Bulk export"]
    bulk = ranked.items[1]
    assert bulk.arr_at_stake_cents is None and bulk.missing == ("GBP",)
    save_rate(db, "GBP", date(2026, 1, 1), 1.25)
    bulk = next(r for r in ranked_requests(db).items if r.item.title == "Bulk export")
    assert bulk.arr_at_stake_cents == (120_000 + 50_000) * 100  # £40,000 × 1.25


def test_same_as_and_merge_and_status(db: Database, book: dict[str, int]) -> None:
    a = log_request(db, "ATT-1", "Export to Excel")
    b = log_request(db, "MUL-1", "xlsx download")
    assert a.item.id != b.item.id
    moved = same_as(db, b.id, a.item.id)
    assert moved.item.id == a.item.id
    assert [i.title for i in items(db)] == ["Export to Excel"]  # the empty item went
    c = log_request(db, "GBP-1", "Spreadsheet export")
    kept = merge_items(db, c.item.id, a.item.id)
    assert {r.item.id for r in account_requests(db, book["GBP-1"])} == {kept.id}
    with pytest.raises(ValidationError, match="not a product status"):
        set_status(db, kept.id, "maybe")
    assert set_status(db, kept.id, "In-Progress").status == "in_progress"
    shipped = set_status(db, kept.id, "shipped")
    assert shipped.shipped_on == DAY  # shipped without a date: today
    assert set_status(db, kept.id, "planned").shipped_on is None
    with pytest.raises(ValidationError, match="goes with the status shipped"):
        set_status(db, kept.id, "planned", date(2026, 11, 1))
    assert parse_status(" WON'T DO ").label == "Won't do"
    with pytest.raises(CsdeskError, match="no product item"):
        log_request(db, "ATT-1", "x", same_as=999)


def _status_file(db: Database, tmp_path: Path, status: str, text: str) -> Path:
    """Two items (SSO, known to the product team as PROD-12, at ``status``; Audit log) and
    a status file of ``text``."""
    sso = log_request(db, "ATT-1", "SSO via Okta")
    set_status(db, sso.item.id, status, external_id="PROD-12")
    log_request(db, "MUL-1", "Audit log")
    path = tmp_path / "statuses.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_status_import_applies_a_good_file(db: Database, book: dict[str, int],
                                           tmp_path: Path) -> None:
    done = import_statuses(db, _status_file(db, tmp_path, "under review", (
        " External ID ; Title ;STATUS; Shipped Date\n"
        "prod-12;;  Shipped ;2026-10-15\n"
        ";  audit LOG ;In Progress;\n")))
    assert done.applied and done.rows == 2 and done.changed == 2
    by_title = {i.title: i for i in items(db)}
    assert by_title["SSO via Okta"].status == "shipped"
    assert by_title["SSO via Okta"].shipped_on == date(2026, 10, 15)
    assert by_title["Audit log"].status == "in_progress"


def test_status_import_with_a_bad_row_applies_nothing(db: Database, book: dict[str, int],
                                                      tmp_path: Path) -> None:
    done = import_statuses(db, _status_file(db, tmp_path, "planned", (
        "external id,title,status,shipped\n"
        "PROD-12,,shipped,2026-10-15\n"
        ",Audit log,almost there,\n"
        ",Nobody asked,planned,\n"
        ",,planned,not a day\n")))
    assert not done.applied and done.changed == 0
    assert [str(e) for e in done.errors] == [
        "row 3: not a product status: 'almost there' (one of new, under review, planned, "
        "in progress, shipped, won't do)",
        "row 4: no product item 'Nobody asked'",
        "row 5: not a date: 'not a day'",
        "row 5: no external id or title",
    ]
    by_title = {i.title: i for i in items(db)}
    assert by_title["SSO via Okta"].status == "planned"  # row 2 was good: not applied
    assert by_title["SSO via Okta"].shipped_on is None


def test_status_import_external_ids_never_clash(
        db: Database, book: dict[str, int], tmp_path: Path) -> None:
    done = import_statuses(db, _status_file(db, tmp_path, "new", (
        "title,status,external id\nAudit log,planned,PROD-7\nDark mode,new,\n"
        "sso via okta,planned,PROD-9\n")))
    assert [str(e) for e in done.errors] == ["row 3: no product item 'Dark mode'"]
    log_request(db, "GBP-1", "Dark mode")
    done = import_statuses(db, tmp_path / "statuses.csv")
    assert done.applied and {i.title: i.external_id for i in items(db)} == {
        "Audit log": "PROD-7", "Dark mode": None, "SSO via Okta": "PROD-12"}
    clash = tmp_path / "clash.csv"
    clash.write_text("title,status,external id\nDark mode,planned,PROD-8\n"
                     "Audit log,shipped,PROD-8\nAudit log,planned,PROD-12\n",
                     encoding="utf-8")
    done = import_statuses(db, clash)
    assert [str(e) for e in done.errors] == [
        "row 3: external id 'PROD-8' is 'Dark mode', not 'Audit log'",
        "row 4: external id 'PROD-12' is 'SSO via Okta', not 'Audit log'"]
    assert {i.title: i.external_id for i in items(db)}["Dark mode"] is None


def test_export_csv_and_xlsx_read_back(db: Database, book: dict[str, int],
                                       tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    log_request(db, "ATT-1", "SSO via Okta")
    log_request(db, "MUL-1", "SSO via Okta")
    log_request(db, "GONE-1", "Audit log")
    out = tmp_path / "asks.csv"
    assert export_requests(db, out).rows == 2
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["product item"] for r in rows] == ["SSO via Okta", "Audit log"]
    assert rows[0]["ARR at stake"] == "175000.00" and rows[0]["currency"] == "USD"
    assert rows[0]["accounts"] == "2" and rows[0]["asked by"] == f"{ATT}; Müller & Söhne"
    assert rows[1]["ARR at stake"] == "0.00" and rows[1]["live accounts"] == "0"
    export_requests(db, out)  # our own file: replaced

    xlsx = tmp_path / "asks.xlsx"
    export_requests(db, xlsx)
    assert stat.S_IMODE(xlsx.stat().st_mode) == 0o600
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    assert wb.sheetnames == ["Product items", "Asks by account"]
    items_rows = list(wb["Product items"].iter_rows(values_only=True))
    assert items_rows[1][1] == "SSO via Okta" and items_rows[1][6] == 175_000
    asks = list(wb["Asks by account"].iter_rows(values_only=True))
    assert asks[0][7] == "ARR in USD"
    assert [(r[2], r[5], r[6], r[7]) for r in asks[1:]] == [
        (ATT, 120_000, "USD", 120_000), ("Müller & Söhne", 50_000, "EUR", 55_000),
        ("Gone Ltd", 80_000, "USD", 80_000)]
    wb.close()
    export_requests(db, xlsx)  # csdesk's own workbook: replaced


def test_export_never_replaces_another_programs_file(db: Database, book: dict[str, int],
                                                     tmp_path: Path) -> None:
    log_request(db, "ATT-1", "SSO via Okta")
    for name in ("theirs.csv", "theirs.xlsx"):
        theirs = tmp_path / name
        theirs.write_bytes(b"precious")
        with pytest.raises(ReplaceRefused, match="nothing was written"):
            export_requests(db, theirs)
        assert theirs.read_bytes() == b"precious"
        export_requests(db, theirs, overwrite=True)
        assert theirs.read_bytes() != b"precious"


def test_whats_new_and_the_qbr_section(db: Database, book: dict[str, int]) -> None:
    sso = log_request(db, "ATT-1", "SSO via Okta", asked_on=date(2026, 3, 1))
    audit = log_request(db, "ATT-1", "Audit log", asked_on=date(2026, 3, 1))
    other = log_request(db, "MUL-1", "Dark mode")
    set_status(db, sso.item.id, "shipped", date(2026, 8, 20))
    set_status(db, audit.item.id, "in progress", internal_note="blocked on infra, Q2 at best")
    set_status(db, other.item.id, "planned")
    add_update(db, "Okta SSO", date(2026, 8, 20), description="Sign in with Okta.",
               item_id=sso.item.id)
    add_update(db, "Old release", date(2026, 5, 1))
    new = whats_new(db, book["ATT-1"], date(2026, 7, 1), date(2026, 9, 30))
    assert [i.title for i in new.shipped] == ["SSO via Okta"]
    assert [u.title for u in new.updates] == ["Okta SSO"]
    assert [(r.title, r.asked_by_account) for r in new.roadmap] == [
        ("Audit log", True), ("Dark mode", False)]
    assert not whats_new(db, book["GONE-1"], date(2025, 1, 1), date(2025, 3, 31)).shipped

    data = qbr_data(db, book["ATT-1"], "2026Q3")
    customer = qbr_document(data).section("whats_new")
    assert customer is not None and customer.title == "What's new"
    assert customer.headline == "1 request you asked for shipped this quarter."
    assert customer.bullets == (
        "You asked, we shipped: SSO via Okta (20 Aug 2026)",
        "Okta SSO (released 20 Aug 2026): Sign in with Okta.",
        "On the roadmap: Audit log (in progress, you asked for it)",
        "On the roadmap: Dark mode (planned)")
    assert "blocked on infra" not in repr(qbr_document(data))
    internal = qbr_document(data, internal=True).section("whats_new")
    assert internal is not None
    assert "Audit log (in progress, you asked for it) [internal note: blocked on infra, Q2 " \
        "at best]" \
        in internal.bullets[-2]
    # Nothing asked, shipped or released in the quarter, no roadmap: no section at all
    with db.write() as s:
        s.add(Account(external_id="E", name="Empty", segment="smb",
                      engagement_model="tech_touch"))
    empty = next(a for a in _ids(db) if a[1] == "E")[0]
    set_status(db, other.item.id, "won't do")
    set_status(db, audit.item.id, "won't do")
    assert qbr_document(qbr_data(db, empty, "2026Q1")).section("whats_new") is None


def _ids(db: Database) -> list[tuple[int, str]]:
    from sqlalchemy import select

    with db.read() as s:
        return [(i, e) for i, e in s.execute(select(Account.id, Account.external_id))]


def test_demo_book_feedback_and_customer_safe_roadmap(demo_location) -> None:  # type: ignore[no-untyped-def]
    """The demo's asks rank by ARR at stake; every customer QBR of an account that asked
    shows its what's new without our internal notes, which the internal version keeps."""
    from tests.conftest import AS_OF

    with Database.open(demo_location) as db, clock.pin(AS_OF):
        ranked = ranked_requests(db)
        assert len(ranked.items) == 8
        sums = [r.arr_at_stake_cents for r in ranked.items]
        assert all(s is not None for s in sums) and sums == sorted(sums, reverse=True)
        shipped = [r for r in ranked.items if r.item.status == "shipped"]
        assert shipped and all(r.item.shipped_on and r.item.shipped_on >= date(2026, 10, 1)
                               for r in shipped)
        notes = [i.internal_note for i in items(db) if i.internal_note]
        assert notes
        askers = sorted({a.account_id for r in shipped for a in r.accounts if a.live})[:4]
        for account_id in askers:
            data = qbr_data(db, account_id, "2026Q4")
            customer = qbr_document(data)
            section = customer.section("whats_new")
            assert section is not None and any(b.startswith("You asked, we shipped: ")
                                               for b in section.bullets)
            assert not any(note in repr(customer) for note in notes)
            internal = qbr_document(data, internal=True).section("whats_new")
            assert internal is not None and any(note in repr(internal) for note in notes)
