"""Navigation, filters, drill-down, bulk actions, health settings and remembered layout."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import QSettings
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from csdesk.db import Database
from csdesk.models import Account, HealthModel, Task
from csdesk.models.enums import TaskStatus
from csdesk.services.periods import parse_period
from csdesk.ui.main_window import VIEWS
from tests.book_facts import arr_on, book_facts, next_renewals, shown_ids
from tests.ui.conftest import open_window


def test_every_view_has_content(qtbot, demo_db: Database, pinned_today) -> None:  # type: ignore[no-untyped-def]
    facts = book_facts(demo_db)
    window = open_window(qtbot, demo_db)
    for i, key in enumerate(VIEWS):
        window.nav.setCurrentRow(i)
        assert window.views.currentIndex() == i, key
    window.nav.setCurrentRow(VIEWS.index("today"))
    # The playbook rules ran when the book loaded: the worklist has tasks with reasons.
    qtbot.waitUntil(lambda: window.today.tree.topLevelItemCount() > 0, timeout=20_000)
    assert "planned today" in window.today.subtitle.text()
    selected = window.today.current()
    assert selected is not None
    with demo_db.read() as s:  # the reason shown is the selected task's, as stored
        stored = s.get(Task, selected.id)
        assert stored is not None and stored.reason
        assert window.today.reason.text() == stored.reason
    window.show_attention()
    assert window.accounts.attention.isChecked()
    attention = {i for i, f in facts.items() if f.needs_attention(pinned_today)}
    assert shown_ids(window.accounts.table_model) == attention
    assert 0 < len(attention) < 250
    # each way in is there: red, a fall of ten points, an at-risk renewal within 90 days
    assert any(facts[i].band == "red" for i in attention)
    assert any(facts[i].band != "red" and facts[i].track == "at_risk" for i in attention)


def test_filter_chips(qtbot, demo_db: Database, pinned_today) -> None:  # type: ignore[no-untyped-def]
    """Each chip shows exactly the accounts that pass it (checked against the book read by
    hand): every row shown passes, every row left out fails."""
    every = book_facts(demo_db)
    facts = {i: f for i, f in every.items() if f.status != "churned"}  # hidden by default
    assert 0 < len(facts) < len(every)
    window = open_window(qtbot, demo_db)
    view = window.accounts
    view.segment.setCurrentIndex(view.segment.findData("enterprise"))
    enterprise = {i for i, f in facts.items() if f.segment == "enterprise"}
    assert shown_ids(view.table_model) == enterprise and 0 < len(enterprise) < 60
    view.band.setCurrentIndex(view.band.findData("green"))
    green = {i for i in enterprise if facts[i].band == "green"}
    assert shown_ids(view.table_model) == green and 0 < len(green) < len(enterprise)
    assert view.count_label.text() == f"{len(green)} of {len(facts)} accounts"
    view.band.setCurrentIndex(view.band.findData("red"))
    red = {i for i in enterprise if facts[i].band == "red"}
    assert shown_ids(view.table_model) == red and red.isdisjoint(green)
    view.clear_filters()
    assert shown_ids(view.table_model) == set(facts)

    owners = sorted({f.owner for f in facts.values() if f.owner})
    view.owner.setCurrentIndex(view.owner.findData(owners[1]))
    theirs = {i for i, f in facts.items() if f.owner == owners[1]}
    assert shown_ids(view.table_model) == theirs and 0 < len(theirs) < 250
    view.clear_filters()

    view.renewal.setCurrentIndex(view.renewal.findData(30))

    def within(f, days: int) -> bool:  # type: ignore[no-untyped-def]
        d = f.days_to_renewal(pinned_today)
        return d is not None and 0 <= d <= days

    soon = {i for i, f in facts.items() if within(f, 30)}
    assert shown_ids(view.table_model) == soon and soon
    assert any(within(f, 90) and not within(f, 30) for f in facts.values())  # some left out
    days = [view.table_model.index(r, 5).data() for r in range(view.table_model.rowCount())]
    assert days and all(d.endswith(" d") or d == "today" for d in days)
    view.clear_filters()
    assert shown_ids(view.table_model) == set(facts)


def test_portfolio_tiles_drill_into_the_accounts(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                 pinned_today) -> None:
    facts = book_facts(demo_db)
    window = open_window(qtbot, demo_db)
    with qtbot.waitSignal(window.portfolio_loaded, timeout=30_000):
        window.nav.setCurrentRow(VIEWS.index("portfolio"))
    tiles = window.portfolio.tiles
    assert tiles["nrr"].value_label.text().endswith("%")
    assert "start ARR" in tiles["nrr"].toolTip()
    # The last complete quarter on the pinned day; its churned logos, by hand: ARR on the
    # first day, none on the last.
    start, end = parse_period("2026Q3")
    begin, finish = arr_on(demo_db, start), arr_on(demo_db, end)
    churned = {a for a, cents in begin.items() if cents > 0 and not finish.get(a)}
    tiles["logo_churn"].clicked.emit()
    assert window.views.currentIndex() == VIEWS.index("accounts")
    assert "Logo churn" in window.accounts.count_label.text()
    assert shown_ids(window.accounts.table_model) == churned and churned
    red = {i for i, f in facts.items() if f.status == "active" and f.band == "red"}
    tiles["arr_red"].clicked.emit()
    assert shown_ids(window.accounts.table_model) == red and red
    assert window.accounts.count_label.text() == (
        f"{len(red)} of 250 accounts — ARR in red health")


def test_bulk_owner_change_and_export_selection(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                tmp_path: Path) -> None:
    window = open_window(qtbot, demo_db)
    ids = window.accounts.table_model.row_ids([0, 1, 2])
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
    workbook = tmp_path / "selection.xlsx"
    window.export_accounts(ids, workbook)
    cells = CalamineWorkbook.from_path(str(workbook)).get_sheet_by_name("accounts").to_python()
    assert cells[0] == rows[0] and [r[0] for r in cells[1:]] == [r[0] for r in rows[1:]]
    whole = tmp_path / "book.xlsx"
    window.export_for_excel(whole)
    qtbot.waitUntil(whole.exists, timeout=60_000)
    assert "usage" in CalamineWorkbook.from_path(str(whole)).sheet_names


def test_health_settings_calibrate_on_a_small_book(qtbot, demo_db: Database,  # type: ignore[no-untyped-def]
                                                  tmp_path: Path) -> None:
    """250 accounts: the dialog says what the sample cannot tell, offers nothing worse, and
    saves the model card."""
    window = open_window(qtbot, demo_db)
    dialog = window.health_settings()
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.calibrated, timeout=120_000):
        dialog.calibrate_button.click()
        assert dialog.cancel_button.isVisible() and not dialog.calibrate_button.isEnabled()
    report = dialog.report
    assert report is not None and report.suggested_weights is None
    assert not dialog.suggest_button.isEnabled() and dialog.card_button.isEnabled()
    assert not dialog.cancel_button.isVisible()
    text = dialog.report_label.text()
    assert "as good as the data can tell" in text and "95% intervals" in text
    labels = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    verdicts = {labels[r]: dialog.table.item(r, 4).text() for r in range(len(labels))}
    assert verdicts["Login volume"] == "not enough evidence"
    card = tmp_path / "card.pdf"
    with qtbot.waitSignal(dialog.card_saved, timeout=60_000):
        dialog.save_card(card)
    assert card.read_bytes().startswith(b"%PDF") and "Model card saved" in \
        dialog.report_label.text()


def test_health_settings_cancel_leaves_nothing_half_done(qtbot, demo_db: Database) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot, demo_db)
    dialog = window.health_settings()
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.calibrated, timeout=120_000) as outcome:
        dialog.calibrate_button.click()
        dialog.cancel_button.click()
    assert dialog.report is None and "cancelled" in dialog.report_label.text()
    assert outcome.args[0].message.startswith("cancelled")
    assert dialog.calibrate_button.isEnabled() and not dialog.suggest_button.isEnabled()


def test_health_settings_apply_suggested_weights(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A score that leans on the decoy: calibration suggests better weights, shows the
    held-out before and after, and saving them makes a new version."""
    from csdesk.config import resolve_database
    from csdesk.services.demo.generate import generate_demo
    from tests.conftest import AS_OF
    from tests.services.test_calibration import _bad_model

    with Database.open(resolve_database(tmp_path / "poor.sqlite")) as db:
        generate_demo(db, accounts=1500, seed=7, as_of=AS_OF)
        _bad_model(db)
        window = open_window(qtbot, db)
        dialog = window.health_settings()
        qtbot.addWidget(dialog)
        with qtbot.waitSignal(dialog.calibrated, timeout=180_000):
            dialog.calibrate_button.click()
        assert dialog.report is not None and dialog.suggest_button.isEnabled()
        assert "beat the current ones" in dialog.report_label.text()
        dialog.suggest_button.click()
        suggested = dialog.report.suggested_weights
        on = {k for k, (box, _w) in dialog.rows.items() if box.isChecked()}
        assert on == set(suggested)
        assert "before →" in dialog.report_label.text()
        with qtbot.waitSignal(dialog.saved, timeout=120_000):
            dialog.save_button.click()
        with db.read() as s:
            assert s.scalar(select(func.max(HealthModel.version))) == 3
        window.close()


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


def test_my_book_scopes_every_list(qtbot, demo_db: Database, monkeypatch,  # type: ignore[no-untyped-def]
                                   pinned_today) -> None:
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
    everyone = window.accounts.table_model.rowCount()
    window.scope.setCurrentIndex(1)
    assert window.scope.currentText() == f"My book ({me})"
    facts = book_facts(demo_db)
    mine_all = {i for i, f in facts.items() if f.owner == me}
    assert len(mine_all) == mine
    my_accounts = {i for i in mine_all if facts[i].status != "churned"}  # churned hidden
    assert shown_ids(window.accounts.table_model) == my_accounts and my_accounts
    assert len(my_accounts) < everyone
    assert window.accounts.owner.currentData() == me
    # Renewals: my live accounts' next renewals within the list's window; tasks: my open ones.
    window_days = window.renewals.within.currentData()
    renewing = {i for i, when in next_renewals(demo_db, pinned_today).items()
                if facts[i].owner == me
                and (window_days is None or (when - pinned_today).days <= window_days)}
    assert {r.account_id for r in window.renewals.listed()} == renewing and renewing
    with demo_db.read() as s:
        my_tasks = set(s.scalars(select(Task.id).where(Task.owner == me,
                                                       Task.status == TaskStatus.OPEN)))
    window.today.when.setCurrentIndex(window.today.when.findText("All open"))
    assert {t.id for t in window.today.visible()} == my_tasks and my_tasks
    segment = window.reports.segment.currentData()
    assert window.reports.owner == me and window.reports.by_segment.isChecked()
    assert {a.id for a in window.reports.accounts()} == {
        i for i, f in facts.items() if f.owner == me and f.status != "churned"
        and f.segment == segment}
    assert load_settings()["scope"] == "mine" and load_settings()["me"] == me
    with qtbot.waitSignal(window.portfolio_loaded, timeout=20_000):
        window.nav.setCurrentRow(1)
    assert window.portfolio.heading.text().endswith(f"· {me}'s book")
    window.scope.setCurrentIndex(0)
    assert window.accounts.table_model.rowCount() == everyone
    assert window.renewals.owner is None and window.today.scope_owner is None
