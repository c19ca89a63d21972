"""Navigation, filters, drill-down, bulk actions, health settings and remembered layout."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import QSettings
from sqlalchemy import func, select

from csdesk.db import Database
from csdesk.models import Account, HealthModel
from csdesk.ui.main_window import VIEWS
from tests.ui.conftest import open_window


def test_every_view_has_content(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, demo_db)
    for i, key in enumerate(VIEWS):
        window.nav.setCurrentRow(i)
        assert window.views.currentIndex() == i, key
    window.nav.setCurrentRow(VIEWS.index("today"))
    # The playbook rules ran when the book loaded: the worklist has tasks with reasons.
    qtbot.waitUntil(lambda: window.today.tree.topLevelItemCount() > 0, timeout=20_000)
    assert "open task" in window.today.subtitle.text()
    assert window.today.reason.text()
    window.show_attention()
    assert window.accounts.attention.isChecked()
    assert 0 < window.accounts.model.rowCount() < 250


def test_filter_chips(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, demo_db)
    view = window.accounts
    view.segment.setCurrentIndex(view.segment.findData("enterprise"))
    n_ent = view.model.rowCount()
    assert 0 < n_ent < 60
    view.band.setCurrentIndex(view.band.findData("green"))
    assert view.model.rowCount() <= n_ent
    assert f"of {250 - view.model.churned_count()} accounts" in view.count_label.text()
    view.clear_filters()
    view.renewal.setCurrentIndex(view.renewal.findData(30))
    days = [view.model.index(r, 5).data() for r in range(view.model.rowCount())]
    assert days and all(d.endswith(" d") or d == "today" for d in days)
    view.clear_filters()
    assert view.model.rowCount() == 250 - view.model.churned_count()


def test_portfolio_tiles_drill_into_the_accounts(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, demo_db)
    with qtbot.waitSignal(window.portfolio_loaded, timeout=30_000):
        window.nav.setCurrentRow(VIEWS.index("portfolio"))
    tiles = window.portfolio.tiles
    assert tiles["nrr"].value_label.text().endswith("%")
    assert "start ARR" in tiles["nrr"].toolTip()
    tiles["logo_churn"].clicked.emit()
    assert window.views.currentIndex() == VIEWS.index("accounts")
    assert "Logo churn" in window.accounts.count_label.text()
    assert window.accounts.model.rowCount() >= 1


def test_bulk_owner_change_and_export_selection(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                tmp_path: Path) -> None:
    window = open_window(qtbot, demo_db)
    ids = window.accounts.model.row_ids([0, 1, 2])
    with qtbot.waitSignal(window.book_loaded, timeout=20_000):
        window.change_owner(ids, "Grace Hopper")
    with demo_db.read() as s:
        owners = s.scalars(select(Account.owner).where(Account.id.in_(ids))).all()
    assert owners == ["Grace Hopper"] * 3
    out = tmp_path / "selection.csv"
    window.export_accounts(ids, out)
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 4 and rows[0][0] == "external_id"


def test_health_settings_apply_suggested_weights(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, demo_db)
    dialog = window.health_settings()
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.calibrated, timeout=60_000):
        dialog.calibrate_button.click()
    assert dialog.report is not None and dialog.suggest_button.isEnabled()
    assert "cross-validated" in dialog.report_label.text()
    dialog.suggest_button.click()
    suggested = dialog.report.suggested_weights
    on = {k for k, (box, _w) in dialog.rows.items() if box.isChecked()}
    assert on == set(suggested)
    with qtbot.waitSignal(dialog.saved, timeout=60_000):
        dialog.save_button.click()
    with demo_db.read() as s:
        assert s.scalar(select(func.max(HealthModel.version))) == 2


def test_window_layout_is_remembered_and_kept_on_screen(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                        tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    first = open_window(qtbot, demo_db, settings)
    first.resize(760, 540)  # within the offscreen test screen (800×600)
    saved = first.size()
    first.accounts.table.setColumnWidth(1, 233)
    first.nav.setCurrentRow(VIEWS.index("reports"))
    first.close()
    second = open_window(qtbot, demo_db, settings)
    assert second.size() == saved
    assert second.accounts.table.columnWidth(1) == 233
    assert second.nav.currentRow() == VIEWS.index("reports")
    # Saved on a bigger screen, far to the right: brought back into view.
    second.resize(9000, 7000)
    second.move(20000, 20000)
    second.keep_on_screen()
    area = second.screen().availableGeometry()
    assert area.contains(second.frameGeometry().topLeft())
    assert second.frameGeometry().width() <= area.width()


def test_my_book_scopes_every_list(qtbot, demo_db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """"My book" shows one CSM's accounts, renewals, tasks and report batch; the choice
    (and who I am) is remembered for the next start."""
    from PySide6.QtWidgets import QInputDialog

    from csdesk.config import load_settings

    with demo_db.read() as s:
        me = s.scalars(select(Account.owner).where(Account.owner.is_not(None))).first()
        mine = s.scalar(select(func.count()).select_from(Account).where(Account.owner == me))
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: (me, True))
    window = open_window(qtbot, demo_db)
    qtbot.waitUntil(lambda: window.today.tree.topLevelItemCount() > 0, timeout=20_000)
    qtbot.waitUntil(lambda: bool(window.renewals.rows), timeout=20_000)
    everyone = window.accounts.model.rowCount()
    window.scope.setCurrentIndex(1)
    assert window.scope.currentText() == f"My book ({me})"
    assert window.accounts.model.rowCount() < everyone
    assert window.accounts.owner.currentData() == me
    assert window.renewals.listed() and window.today.visible()
    assert all(r.owner == me for r in window.renewals.listed())
    assert all(t.owner == me for t in window.today.visible())
    assert window.reports.owner == me and len(window.reports.accounts()) <= mine
    assert load_settings()["scope"] == "mine" and load_settings()["me"] == me
    with qtbot.waitSignal(window.portfolio_loaded, timeout=20_000):
        window.nav.setCurrentRow(1)
    assert window.portfolio.heading.text().endswith(f"· {me}'s book")
    window.scope.setCurrentIndex(0)
    assert window.accounts.model.rowCount() == everyone
    assert window.renewals.owner is None and window.today.scope_owner is None
