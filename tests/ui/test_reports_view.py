"""Reports from the GUI: an account's QBR from its page, and a batch from the Reports view."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from csdesk.db import Database
from csdesk.services.book.account_detail import account_id_for
from csdesk.services.book.accounts import select_accounts
from csdesk.ui.reports_view import ReportDialog, recent_quarters
from tests.conftest import AS_OF
from tests.ui.conftest import open_window


def test_qbr_from_the_account_page(qtbot, demo_db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, demo_db)
    account = account_id_for(demo_db, "ACC-000132")
    page = window.open_account(account)
    menu = page.report_button.menu()
    assert [a.text() for a in menu.actions()] == ["QBR (PDF)…", "QBR deck (PowerPoint)…",
                                                   "Value report…", "Success plan PDF…"]
    target = tmp_path / "Lambdarock QBR.pdf"
    requested = []
    window.account_report = lambda aid, kind, path=None: requested.append((aid, kind))
    menu.actions()[0].trigger()
    assert requested == [(account, "qbr")]
    del window.account_report
    handle = window.account_report(account, "qbr", target)
    with qtbot.waitSignal(handle.finished, timeout=30_000):
        pass
    text = " ".join(PdfReader(target).pages[0].extract_text().split())
    assert "Quarterly business review Lambdarock Technologies Co." in text


def test_report_dialog_defaults(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    ref = select_accounts(demo_db, ids=[account_id_for(demo_db, "ACC-000132")])[0]
    dialog = ReportDialog(None, "qbr", ref, today=AS_OF)
    qtbot.addWidget(dialog)
    assert dialog.period.currentData() == "2026Q3"  # the last complete quarter
    assert dialog.audience.currentData() is False  # customer audience by default
    assert dialog.path.text().endswith("Lambdarock Technologies Co. (ACC-000132) - QBR "
                                       "2026Q3.pdf")
    dialog.period.setCurrentIndex(dialog.period.findData("2026Q2"))
    assert dialog.path.text().endswith("QBR 2026Q2.pdf")
    assert recent_quarters(AS_OF, 3) == ["2026Q4", "2026Q3", "2026Q2"]


def test_batch_from_the_reports_view(qtbot, demo_db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, demo_db)
    view = window.reports
    view.today = AS_OF
    view.document.setCurrentIndex(view.document.findData("value"))
    assert not view.period.isEnabled()
    view.by_renewal.setChecked(True)
    view.days.setValue(45)
    expected = select_accounts(demo_db, renewing_within=45, today=AS_OF)
    assert view.count.text() == f"{len(expected)} accounts"
    view.folder.setText(str(tmp_path / "batch"))
    handle = view.run()
    with qtbot.waitSignal(view.finished, timeout=60_000) as blocker:
        pass
    result = blocker.args[0]
    assert len(result.written) == len(expected)
    assert len(list((tmp_path / "batch").glob("*.pdf"))) == len(expected)
    wrote = f"Wrote {len(expected)} Value delivered PDF{'' if len(expected) == 1 else 's'}"
    assert wrote in view.result_label.text()
    assert view.open_folder.isVisibleTo(view)
    assert handle.is_done

    view.by_selection.setChecked(True)
    view.update_count()
    assert view.count.text() == "No accounts match" and not view.generate.isEnabled()


def test_branding_is_saved_and_used(qtbot, demo_db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from csdesk.reports.branding import Branding

    window = open_window(qtbot, demo_db)
    dialog = window.reports.edit_branding()
    dialog.company.setText("Müller & Söhne CS")
    dialog.logo.setText(str(tmp_path / "missing.png"))
    dialog._save()
    assert "There is no file" in dialog.problem.text() and dialog.isVisible()
    dialog.logo.setText("")
    dialog._set_accent("#7c3aed")
    dialog.footer.setText("Prepared for AT&T <Legacy>")
    dialog._save()
    assert Branding.load() == Branding("Müller & Söhne CS", None, "#7c3aed",
                                       "Prepared for AT&T <Legacy>")
    target = tmp_path / "value.pdf"
    handle = window.account_report(account_id_for(demo_db, "ACC-000132"), "value", target)
    with qtbot.waitSignal(handle.finished, timeout=30_000):
        pass
    text = " ".join(PdfReader(target).pages[0].extract_text().split())
    assert "Müller & Söhne CS" in text and "Prepared for AT&T <Legacy>" in text


def test_a_batch_of_internal_decks(qtbot, demo_db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """QBR deck in the Reports view: quarter and audience apply, one .pptx per account, named
    as internal so it never sits under the customer's file name."""
    from pptx import Presentation

    window = open_window(qtbot, demo_db)
    view = window.reports
    view.today = AS_OF
    view.document.setCurrentIndex(view.document.findData("deck"))
    assert view.period.isEnabled() and view.audience.isEnabled()
    assert view.generate.text() == "Write the decks"
    view.audience.setCurrentIndex(view.audience.findData(True))
    assert view.period.currentData() == "2026Q3"  # the quarters as of the view's day
    view.period.setCurrentIndex(view.period.findData("2026Q2"))
    view.by_renewal.setChecked(True)
    view.days.setValue(20)
    expected = select_accounts(demo_db, renewing_within=20, today=AS_OF)
    assert 1 < len(expected) < 10
    view.folder.setText(str(tmp_path / "decks"))
    view.run()
    with qtbot.waitSignal(view.finished, timeout=120_000) as blocker:
        pass
    decks = sorted((tmp_path / "decks").iterdir())
    assert len(blocker.args[0].written) == len(decks) == len(expected)
    assert all(p.name.endswith(" - QBR deck 2026Q2 (internal).pptx") for p in decks)
    assert f"Wrote {len(expected)} QBR decks" in view.result_label.text()
    for deck in decks:
        footers = [sh.text_frame.text for s in Presentation(str(deck)).slides
                   for sh in s.shapes if sh.has_text_frame]
        assert any("Internal: not for the customer" in t for t in footers)


def test_a_report_does_not_wait_behind_the_start_up_work(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                         tmp_path: Path) -> None:
    """The 28-second QBR: a report from an account's page queued behind the window's start-up
    tasks (loading, playbooks, portfolio) on the one worker. It only reads, so it takes the
    reading lane: written while a long task still holds the worker."""
    import threading

    window = open_window(qtbot, demo_db)
    release = threading.Event()
    busy = window.runner.submit("A long start-up task", release.wait, 60)
    try:
        target = tmp_path / "qbr.pdf"
        handle = window.account_report(account_id_for(demo_db, "ACC-000132"), "qbr", target)
        with qtbot.waitSignal(handle.finished, timeout=30_000):
            pass
        assert target.is_file() and not busy.is_done
    finally:
        release.set()
    qtbot.waitUntil(lambda: busy.is_done, timeout=10_000)


def test_the_first_document_asks_for_the_branding(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    """Branding not set: the report dialog says so beside a button that sets it; once set,
    the line is gone."""
    ref = select_accounts(demo_db, ids=[account_id_for(demo_db, "ACC-000132")])[0]
    dialog = ReportDialog(None, "deck", ref, today=AS_OF)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.branding_notice.isVisible() and dialog.branding_button.isVisible()
    assert "Branding is not set" in dialog.branding_notice.text()
    brand = dialog._edit_branding()
    brand.company.setText("Acme CS")
    with qtbot.waitSignal(brand.accepted):
        brand._save()
    assert not dialog.branding_notice.isVisible() and not dialog.branding_button.isVisible()
