"""The main window's actions: menus, toolbar, the book's scope and what each action does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QUndoGroup
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QWidget,
)

from csdesk import __version__
from csdesk.db import Database
from csdesk.services.book.table import AccountTable
from csdesk.services.formatting import counted
from csdesk.ui.accounts_view import AccountsView
from csdesk.ui.navigation import MENUS, VIEW_TITLES, VIEWS
from csdesk.ui.tasks import TaskRunner


class WindowActions(QMainWindow):
    """Menus, toolbar and the scope switch of :class:`MainWindow`, and the slots behind them."""

    db: Database
    runner: TaskRunner
    accounts: AccountsView
    table: AccountTable | None
    undo_group: QUndoGroup
    nav: QListWidget

    def _build_actions(self) -> None:
        def act(text: str, slot: Any, shortcut: Any = None, writes: bool = False) -> QAction:
            action = QAction(text, self)
            action.triggered.connect(slot)
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
            if writes:
                action.setEnabled(not self.db.readonly)
            return action

        self.act_import = act("&Import CSV or Excel…", lambda: self.import_csv(), "Ctrl+I", True)
        self.act_export = act("&Export book…", lambda: self.export_book())
        self.act_export_excel = act("Export book for E&xcel…", lambda: self.export_for_excel())
        self.act_revert = act("&Revert latest import…", lambda: self.revert_import(),
                              writes=True)
        self.act_demo = act("Load &demo book", self.load_demo, writes=True)
        self.act_backup = act("&Back up now", self.backup_now, writes=True)
        self.act_quit = act("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_undo = self.undo_group.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.act_redo = self.undo_group.createRedoAction(self, "&Redo")
        self.act_redo.setShortcut(QKeySequence.StandardKey.Redo)
        self.act_find = act("&Find account…", self.focus_search, "Ctrl+K")
        self.act_refresh = act("&Refresh", self.refresh, QKeySequence.StandardKey.Refresh)
        self.act_open = act("&Open account", self._open_selected, "Ctrl+O")
        self.act_owner = act("Change &owner…", lambda: self.change_owner(
            self.accounts.selected_ids()), writes=True)
        self.act_recompute = act("&Recompute health", self.recompute_health, "Ctrl+R", True)
        self.act_health = act("&Health settings…", self.health_settings, writes=True)
        self.act_rules = act("&Playbook rules…", self.playbook_rules, writes=True)
        self.act_run_rules = act("Run play&books now", lambda: self.run_playbooks(), writes=True)
        self.act_about = act("&About csdesk", self.about)
        self.act_rates = act("&Currencies and exchange rates…", self.currencies)
        self.act_requests = act("&Feature requests by ARR at stake…",
                                lambda: self.feature_requests())

        bar = self.menuBar()
        file_menu = bar.addMenu(MENUS[0])
        file_menu.addActions([self.act_import, self.act_revert, self.act_export,
                              self.act_export_excel, self.act_demo])
        file_menu.addSeparator()
        file_menu.addAction(self.act_backup)
        file_menu.addSeparator()
        self.act_team = act("Open &team server…", self.open_team_server)
        file_menu.addAction(self.act_team)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit = bar.addMenu(MENUS[1])
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        edit.addAction(self.act_find)
        view = bar.addMenu(MENUS[2])
        for i, key in enumerate(VIEWS):
            view.addAction(act(VIEW_TITLES[key], lambda _c=False, i=i: self.nav.setCurrentRow(i),
                               f"Ctrl+{i + 1}"))
        view.addSeparator()
        view.addAction(self.act_refresh)
        account = bar.addMenu(MENUS[3])
        account.addActions([self.act_open, self.act_owner])
        account.addSeparator()
        account.addActions([self.act_recompute, self.act_health, self.act_rules,
                            self.act_run_rules])
        bar.addMenu(MENUS[4]).addActions([self.act_rates, self.act_requests])
        bar.addMenu(MENUS[5]).addAction(self.act_about)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Find an account (Ctrl+K)")
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(360)
        self.search.returnPressed.connect(self._search_enter)
        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addWidget(self.search)
        toolbar.addSeparator()
        self.scope = QComboBox()
        self.scope.addItem("Team's book", "team")
        self.scope.addItem("My book", "mine")
        self.scope.setToolTip("My book: only the accounts, renewals, tasks and reports you "
                              "own. Team's book: everyone's.")
        self.scope.currentIndexChanged.connect(lambda _i: self.apply_scope(ask=True))
        toolbar.addWidget(self.scope)
        toolbar.addSeparator()
        toolbar.addActions([self.act_import, self.act_export, self.act_refresh,
                            self.act_backup])
        self.addToolBar(toolbar)

    def apply_scope(self, *, ask: bool = False) -> None:
        """Show "my book" (the accounts I own) or the team's everywhere a list appears."""
        from csdesk.config import load_settings, save_settings

        settings = load_settings()
        me = settings.get("me") if self.scope.currentData() == "mine" else None
        if self.scope.currentData() == "mine" and not me and ask:
            owners = self.accounts.table_model.owners() if self.table is not None else []
            name, ok = QInputDialog.getItem(
                self, "My book", "Which owner are you? (as written in the book's Owner "
                "column)", owners, 0, True)
            me = name.strip() if ok and name.strip() else None
            if me:
                settings["me"] = me
        if self.scope.currentData() == "mine" and not me:
            self.scope.blockSignals(True)
            self.scope.setCurrentIndex(0)
            self.scope.blockSignals(False)
        settings["scope"] = "mine" if me else "team"
        save_settings(settings)
        self.scope.setItemText(1, f"My book ({me})" if me else "My book")
        self.accounts.owner.setCurrentIndex(max(0, self.accounts.owner.findData(me)))
        self.renewals.set_owner(me)
        self.today.set_owner(me)
        self.reports.owner = me
        if VIEWS[self.nav.currentRow()] == "portfolio":
            self.load_portfolio()
        self.reports.update_count()

    def playbook_rules(self) -> Any:
        from csdesk.ui.rules_dialog import RulesDialog

        dialog = RulesDialog(self.db, self.runner, self)
        dialog.saved.connect(lambda *_a: self.run_playbooks())
        dialog.open()
        return dialog

    def account_report(self, account_id: int, document: str,
                       path: Path | None = None) -> Any:
        """QBR, value or plan PDF, or the QBR deck, for one account (from its page's Reports
        menu)."""
        from csdesk.services.book.accounts import select_accounts
        from csdesk.ui.reports_view import make_account_report

        refs = select_accounts(self.db, ids=[account_id])
        if not refs:
            QMessageBox.information(self, "Report", "This account has churned; its reports "
                                    "are no longer kept up to date.")
            return None
        return make_account_report(self, self.db, self.runner, document, refs[0], path,
                                   ask=path is None)

    def load_demo(self) -> None:
        from csdesk.services.demo.generate import generate_demo

        self.runner.run_with_dialog(self, "Generating the demo book", generate_demo, self.db,
                                    on_done=lambda _summary: self.refresh())

    def import_csv(self, path: Path | None = None) -> Any:
        """Open the import wizard (on ``path`` when a file was dropped or given)."""
        if self.db.readonly:
            return None
        from csdesk.ui.import_wizard import ImportWizard

        wizard = ImportWizard(self.db, self.runner, path if isinstance(path, Path) else None,
                              self)
        wizard.imported.connect(lambda _result: self.refresh())
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.open()
        return wizard

    def revert_import(self) -> QMessageBox | None:
        """Ask, then undo the latest import from its field history (one transaction); a
        refusal (a later edit touched what it changed) is said in a plain message."""
        if self.db.readonly:
            return None
        from csdesk.services.sync.revert import (
            RevertRefused,
            latest_import,
            revert_latest_import,
        )

        latest = latest_import(self.db)
        box = QMessageBox(self)
        box.setWindowTitle("Revert latest import")
        if latest is None:
            box.setIcon(QMessageBox.Icon.Information)
            box.setText("There is no import to revert.")
            box.open()
            return box
        try:  # asked only when it can be done: the checks run first, nothing written
            would = revert_latest_import(self.db, dry_run=True)
        except RevertRefused as exc:
            box.setIcon(QMessageBox.Icon.Warning)
            box.setText(str(exc)[:1].upper() + str(exc)[1:] + ".")
            box.open()
            return box
        box.setIcon(QMessageBox.Icon.Question)
        box.setText(f"Revert the import of {latest.file} ({latest.started_at:%d %b %Y %H:%M} "
                    f"UTC)?")
        removed = (f" and the {counted(would.records_deleted, 'record')} it created are "
                   "removed" if would.records_deleted else "")
        box.setInformativeText(
            f"{counted(would.fields_restored, 'field')} on "
            f"{counted(would.records_updated, 'record')} get their values back{removed}. "
            "Nothing else changes.")
        box.setStandardButtons(QMessageBox.StandardButton.Yes |
                               QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Revert")
        box.buttonClicked.connect(
            lambda b: self._revert_now() if box.standardButton(b) ==
            QMessageBox.StandardButton.Yes else None)
        box.open()
        return box

    def _revert_now(self) -> None:
        from csdesk.services.sync.revert import RevertRefused, revert_latest_import

        try:
            done = revert_latest_import(self.db)
        except RevertRefused as exc:
            box = QMessageBox(QMessageBox.Icon.Warning, "Revert latest import", str(exc),
                              QMessageBox.StandardButton.Ok, self)
            box.open()
            return
        self.refresh()
        self.statusBar().showMessage(
            f"Reverted the import of {done.file}: {done.fields_restored:,} fields set back, "
            f"{done.records_deleted:,} records removed", 10_000)

    def export_book(self, *, excel: bool = False) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the book to a folder",
                                                  str(Path.home()))
        if not folder:
            return
        target = Path(folder) / "csdesk-export"
        from csdesk.services.sync import export

        self.runner.run_with_dialog(
            self, "Exporting the book", export.export_book, self.db, target, excel=excel,
            on_done=lambda _r: self.statusBar().showMessage(f"Exported the book to {target}",
                                                            10_000))

    def export_for_excel(self, path: Path | None = None) -> None:
        """The book as an Excel workbook (a sheet per entity, typed cells), or as CSV files
        with a byte-order mark for Excel, zipped: the save dialog offers both."""
        if path is None:
            path = _save_as(self, "Export the book for Excel", "csdesk-export",
                            [(EXCEL_FILTER, ".xlsx"),
                             ("CSV files for Excel, zipped (*.zip)", ".zip")])
            if path is None:
                return
        from csdesk.services.sync import export

        if path.suffix.lower() == ".xlsx":  # the save dialog asked before replacing a file
            fn, kwargs = export.export_workbook, {"overwrite": True}
        else:
            fn, kwargs = export.export_book, {"excel": True}
        self.runner.run_with_dialog(
            self, "Exporting the book", fn, self.db, path, **kwargs,
            on_done=lambda _r: self.statusBar().showMessage(f"Exported the book to {path}",
                                                            10_000))

    def export_accounts(self, ids: list[int], path: Path | None = None) -> None:
        """The selected accounts, as csdesk's accounts CSV (re-imports as it is) or as an
        Excel workbook."""
        if path is None:
            path = _save_as(self, "Export accounts", "accounts",
                            [("CSV files (*.csv)", ".csv"), (EXCEL_FILTER, ".xlsx")])
            if path is None:
                return
        from csdesk.services.sync.export import export_entity, export_workbook

        try:  # the save dialog asked before replacing a file
            if path.suffix.lower() == ".xlsx":
                rows = export_workbook(self.db, path, entity="accounts", account_ids=ids,
                                       overwrite=True)[0].rows
            else:
                rows = export_entity(self.db, "accounts", path, account_ids=ids,
                                     overwrite=True).rows
        except Exception as exc:  # an unwritable folder, a full disk
            QMessageBox.warning(self, "Export", f"The export failed: {exc}")
            return
        self.statusBar().showMessage(f"Exported {rows} accounts to {path}", 10_000)

    def change_owner(self, ids: list[int], owner: str | None = None) -> None:
        if not ids or self.db.readonly:
            return
        from csdesk.services.book.account_detail import owners, set_owner

        if owner is None:
            names = owners(self.db)
            owner, ok = QInputDialog.getItem(self, "Change owner",
                                             f"New owner of {len(ids)} accounts:", names, 0,
                                             True)
            if not ok or not owner.strip():
                return
        changed = set_owner(self.db, ids, owner)
        self.statusBar().showMessage(f"{changed} accounts now owned by {owner}", 10_000)
        self.refresh()

    def recompute_health(self) -> None:
        from csdesk.services.health.scoring import recompute

        self.runner.run_with_dialog(
            self, "Recomputing health", recompute, self.db,
            on_done=lambda s: (self.statusBar().showMessage(f"Scored {s.scored:,} accounts",
                                                            10_000), self.refresh()))

    def currencies(self) -> Any:
        from csdesk.ui.rates_dialog import RatesDialog

        dialog = RatesDialog(self.db, self.runner, self)
        dialog.changed.connect(self.refresh)
        dialog.open()
        return dialog

    def feature_requests(self) -> Any:
        """The book's asks ranked by ARR at stake, with Export… for the product team."""
        from csdesk.ui.requests_dialog import BookRequestsDialog

        dialog = BookRequestsDialog(self.db, self.runner, self)
        dialog.open()
        return dialog

    def health_settings(self) -> Any:
        from csdesk.ui.health_dialog import HealthSettingsDialog

        dialog = HealthSettingsDialog(self.db, self.runner, self)
        dialog.saved.connect(lambda _v: self.refresh())
        dialog.open()
        return dialog

    def backup_now(self) -> None:
        self.runner.submit(
            "Backing up", self.db.backup, "manual",
            on_done=lambda path: self.statusBar().showMessage(f"Backup verified: {path}", 10_000))

    def about(self) -> None:
        QMessageBox.about(
            self, "About csdesk",
            f"<b>csdesk {__version__}</b><br>An offline workbench for Customer Success "
            f"Managers.<br><br>Book: {self.db.location.display()}")

    # -- team mode ------------------------------------------------------------------------------

    def open_team_server(self) -> Any:
        from csdesk.ui.connect_dialog import ConnectDialog

        dialog = ConnectDialog(self, self.runner)
        dialog.chosen.connect(self.launch_book)
        dialog.open()
        return dialog

    def launch_book(self, url: str) -> Any:
        """Open another book in a new csdesk window (its own process, its own lock). A
        password that could not go to the keyring travels in the child's environment only."""
        import os
        import subprocess
        import sys

        env = {**os.environ, "CSDESK_DB": url}
        proc = subprocess.Popen([sys.executable, "-m", "csdesk", "gui"], env=env)
        self.statusBar().showMessage("Opening the team's book in a new window…", 10_000)
        return proc


EXCEL_FILTER = "Excel workbook (*.xlsx)"


def _save_as(parent: QWidget, title: str, name: str,
             filters: list[tuple[str, str]]) -> Path | None:
    """A save dialog offering ``filters`` (label, suffix); the chosen name gets the chosen
    filter's suffix when it has none of them."""
    chosen, picked = QFileDialog.getSaveFileName(
        parent, title, str(Path.home() / (name + filters[0][1])),
        ";;".join(label for label, _suffix in filters))
    if not chosen:
        return None
    path = Path(chosen)
    suffixes = [suffix for _label, suffix in filters]
    if path.suffix.lower() not in suffixes:
        path = path.with_name(path.name + dict(filters).get(picked, suffixes[0]))
    return path
