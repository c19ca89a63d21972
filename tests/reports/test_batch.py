"""Batches: one whole PDF per account, safe names, skipped accounts named, Cancel honoured."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from csdesk.config import DatabaseLocation
from csdesk.db import Database
from csdesk.progress import Cancelled
from csdesk.reports.batch import BatchJob, output_path, run_batch, safe_file_name
from csdesk.services.book.accounts import AccountRef, select_accounts
from tests.conftest import AS_OF


@pytest.mark.parametrize(("name", "expected"), [
    ("AT&T <Legacy> 日本", "AT&T _Legacy_ 日本"),
    ("a/b\\c:d*e?f\"g|h", "a_b_c_d_e_f_g_h"),
    ("  trailing dots... ", "trailing dots"),
    ("CON", "_CON"),
    ("", "_"),
    ("x" * 200, "x" * 80),
])
def test_safe_file_names(name: str, expected: str) -> None:
    assert safe_file_name(name) == expected


def test_batch_writes_one_pdf_per_account_on_two_cores(demo_location: DatabaseLocation,
                                                       tmp_path: Path) -> None:
    with Database.open(demo_location) as db:
        accounts = select_accounts(db, segment="enterprise", today=AS_OF)
    assert len(accounts) >= 4
    seen: list[float] = []
    job = BatchJob("qbr", tmp_path / "out", "2026Q3", False, AS_OF)
    result = run_batch(demo_location, job, accounts, progress=lambda f, _m: seen.append(f),
                       workers=2)
    assert not result.skipped
    assert sorted(p.name for p in result.written) == sorted(
        output_path(job, a).name for a in accounts)
    assert seen[-1] == 1.0 and seen == sorted(seen)
    for account in accounts[:3]:
        text = " ".join(PdfReader(output_path(job, account)).pages[0].extract_text().split())
        assert account.name in text
    assert not list((tmp_path / "out").glob("*.part"))


def test_accounts_without_a_plan_are_skipped_with_the_reason(db: Database,
                                                            tmp_path: Path) -> None:
    from csdesk.models import Account

    with db.write() as s:
        s.add(Account(external_id="N1", name="No Plan Inc", segment="smb",
                      engagement_model="tech_touch"))
    accounts = select_accounts(db)
    job = BatchJob("plan", tmp_path, None, False, AS_OF)
    result = run_batch(db.location, job, accounts, workers=1)
    assert result.written == []
    assert result.skipped == [("No Plan Inc", "no success plan yet")]


def test_cancel_stops_the_batch_and_leaves_only_whole_files(demo_location: DatabaseLocation,
                                                            tmp_path: Path) -> None:
    with Database.open(demo_location) as db:
        accounts = select_accounts(db, today=AS_OF)
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 3

    job = BatchJob("value", tmp_path, None, False, AS_OF)
    with pytest.raises(Cancelled):
        run_batch(demo_location, job, accounts, cancel=cancel, workers=1)
    written = list(tmp_path.glob("*.pdf"))
    assert 0 < len(written) < len(accounts)
    assert not list(tmp_path.glob("*.part"))
    for path in written:
        assert len(PdfReader(path).pages) >= 1


def test_selection_by_renewal_window(demo_db: Database) -> None:
    soon = select_accounts(demo_db, renewing_within=30, today=AS_OF)
    later = select_accounts(demo_db, renewing_within=180, today=AS_OF)
    assert 0 < len(soon) < len(later)
    assert {a.id for a in soon} <= {a.id for a in later}
    assert isinstance(soon[0], AccountRef)
