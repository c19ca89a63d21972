"""The main window: navigation, global search, the views, menus and a status bar.

Heavy modules (pandas through the import wizard and the services that need it, matplotlib
for charts) are imported where first used, so the window is on screen fast.
"""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, QSettings, Qt, QTime, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence, QUndoGroup
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from csdesk import __version__
from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.services.book.accounts import AccountTable, account_table
from csdesk.services.formatting import counted
from csdesk.ui.accounts_view import AccountsView
from csdesk.ui.empty_state import EmptyState
from csdesk.ui.placeholder import EmptyView
from csdesk.ui.renewals_view import RenewalsView
from csdesk.ui.reports_view import ReportsView
from csdesk.ui.tasks import TaskError, TaskRunner
from csdesk.ui.theme import app_icon
from csdesk.ui.today_view import TodayView

VIEWS = ("today", "portfolio", "accounts", "renewals", "reports")
VIEW_TITLES = {"today": "Today", "portfolio": "Portfolio", "accounts": "Accounts",
               "renewals": "Renewals", "reports": "Reports"}


class MainWindow(QMainWindow):
    """The book of business; ``book_loaded`` fires after each (re)load with the row count."""

    book_loaded = Signal(int)
    portfolio_loaded = Signal()

    def __init__(self, db: Database, runner: TaskRunner | None = None,
                 parent: QWidget | None = None, settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.runner = runner or TaskRunner(self)
        self.settings = settings or QSettings()
        self.table: AccountTable | None = None
        self.pages: dict[int, QWidget] = {}
        name = db.path.stem if db.path is not None else db.location.display()
        self.setWindowTitle(f"{name} — csdesk" + (" (read-only)" if db.readonly else ""))
        self.setWindowIcon(app_icon())
        self.resize(1280, 800)
        self.setAcceptDrops(True)
        self.undo_group = QUndoGroup(self)

        # Views.
        self.empty = EmptyState(db.location.display())
        self.empty.load_demo.connect(self.load_demo)
        self.empty.import_csv.connect(lambda: self.import_csv())
        self.empty.demo_button.setEnabled(not db.readonly)
        self.accounts = AccountsView()
        self.accounts.account_activated.connect(self.open_account)
        self.accounts.export_requested.connect(self.export_accounts)
        self.accounts.owner_change_requested.connect(self.change_owner)
        self.account_tabs = QTabWidget()
        self.account_tabs.setTabsClosable(True)
        self.account_tabs.setDocumentMode(True)
        self.account_tabs.addTab(self.accounts, "The book")
        self.account_tabs.tabBar().setTabButton(0, self.account_tabs.tabBar().ButtonPosition
                                                .RightSide, None)
        self.account_tabs.tabCloseRequested.connect(self._close_account_tab)
        self.account_tabs.currentChanged.connect(self._tab_changed)
        self.book_stack = QStackedWidget()  # the empty state until the book has accounts
        self.book_stack.addWidget(self.empty)
        self.book_stack.addWidget(self.account_tabs)
        self._scope_restored = False
        self.today = TodayView(self.db, self.runner)
        self.today.account_clicked.connect(self.open_account)
        self.today.count_changed.connect(self._today_badge)
        self.today.rules_requested.connect(self.playbook_rules)
        self.today.run_requested.connect(self.run_playbooks)
        self.portfolio_stack = QStackedWidget()
        self.portfolio_empty = EmptyView("Portfolio", "GRR, NRR, churn, expansion, time to "
                                         "first value and your proactive ratio appear here "
                                         "once the book has subscription history.")
        self.portfolio_stack.addWidget(self.portfolio_empty)
        self.renewals = RenewalsView(self.db, self.runner)
        self.renewals.account_clicked.connect(self.open_account)
        self.reports = ReportsView(self.db, self.runner, lambda: self.accounts.selected_ids())
        self.views = QStackedWidget()
        for w in (self.today, self.portfolio_stack, self.book_stack, self.renewals,
                  self.reports):
            self.views.addWidget(w)

        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setMaximumWidth(200)
        self.nav.setMinimumWidth(110)
        for key in VIEWS:
            item = QListWidgetItem(VIEW_TITLES[key])
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(self._nav_changed)
        self.nav.setStyleSheet("#nav { border: none; font-size: 11pt; padding-top: 8px; }"
                               "#nav::item { padding: 8px 14px; }")
        self.splitter = QSplitter()
        self.splitter.addWidget(self.nav)
        self.banner = QLabel(db.readonly_reason or "")
        self.banner.setObjectName("readonlyBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "#readonlyBanner { background: #fef3c7; color: #78350f; padding: 8px 12px;"
            " border-bottom: 1px solid #f59e0b; }")
        self.banner.setVisible(db.readonly)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self._build_offline())
        column.addWidget(self.views, 1)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([170, 1100])
        self.setCentralWidget(self.splitter)

        self._build_actions()
        self.book_label = QLabel()
        self.statusBar().addPermanentWidget(self.book_label)
        self.nav.setCurrentRow(VIEWS.index("accounts"))
        self.restore_state()

    # -- chrome ----------------------------------------------------------------------------

    def _build_actions(self) -> None:
        def act(text: str, slot: Any, shortcut: Any = None, writes: bool = False) -> QAction:
            action = QAction(text, self)
            action.triggered.connect(slot)
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
            if writes:
                action.setEnabled(not self.db.readonly)
            return action

        self.act_import = act("&Import CSV…", lambda: self.import_csv(), "Ctrl+I", True)
        self.act_export = act("&Export book…", lambda: self.export_book())
        self.act_export_excel = act("Export book for E&xcel…",
                                    lambda: self.export_book(excel=True))
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
        self.act_run_rules = act("Run play&books now", self.run_playbooks, writes=True)
        self.act_about = act("&About csdesk", self.about)

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.act_import, self.act_export, self.act_export_excel,
                              self.act_demo])
        file_menu.addSeparator()
        file_menu.addAction(self.act_backup)
        file_menu.addSeparator()
        self.act_team = act("Open &team server…", self.open_team_server)
        file_menu.addAction(self.act_team)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit = bar.addMenu("&Edit")
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        edit.addAction(self.act_find)
        view = bar.addMenu("&View")
        for i, key in enumerate(VIEWS):
            view.addAction(act(VIEW_TITLES[key], lambda _c=False, i=i: self.nav.setCurrentRow(i),
                               f"Ctrl+{i + 1}"))
        view.addSeparator()
        view.addAction(self.act_refresh)
        account = bar.addMenu("&Account")
        account.addActions([self.act_open, self.act_owner])
        account.addSeparator()
        account.addActions([self.act_recompute, self.act_health, self.act_rules,
                            self.act_run_rules])
        bar.addMenu("&Help").addAction(self.act_about)

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

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _update_completer(self) -> None:
        if self.table is None:
            return
        c = {n: i for i, n in enumerate(self.table.columns)}
        self._search_keys = {f"{r[c['name']]} — {r[c['external_id']]}": r[c["id"]]
                             for r in self.table.rows}
        completer = QCompleter(list(self._search_keys), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setMaxVisibleItems(12)
        completer.activated.connect(self._search_pick)
        self.search.setCompleter(completer)

    def _search_pick(self, text: str) -> None:
        account_id = getattr(self, "_search_keys", {}).get(text)
        if account_id is not None:
            self.open_account(int(account_id))
            QTimer.singleShot(0, self.search.clear)

    def _search_enter(self) -> None:
        text = self.search.text().strip()
        keys = getattr(self, "_search_keys", {})
        if text in keys:
            self._search_pick(text)
            return
        needle = text.casefold()
        hits = [k for k in keys if needle and needle in k.casefold()]
        if len(hits) == 1:
            self._search_pick(hits[0])
        elif hits:
            self.nav.setCurrentRow(VIEWS.index("accounts"))
            self.account_tabs.setCurrentIndex(0)
            self.accounts.filter_edit.setText(text)

    def _nav_changed(self, row: int) -> None:
        self.views.setCurrentIndex(row)
        if VIEWS[row] == "portfolio":
            self.load_portfolio()

    # -- loading ---------------------------------------------------------------------------

    def refresh(self, *, sync: bool = False) -> None:
        """Reload the book (on the task runner, or right here when ``sync``: screenshots),
        then run the playbook rules: at start-up and after every import, recalculation or
        bulk edit, which are what call this."""
        if sync:
            if not self.db.readonly:
                _playbooks_task(self.db, progress=None, cancel=None)
            self._show_table(_load_table(self.db, progress=None, cancel=None))
            self.today.reload()
            return
        self._load_book()
        self.run_playbooks()

    def _load_book(self) -> None:
        self.statusBar().showMessage("Loading the book…")
        handle = self.runner.submit("Loading the book", _load_table, self.db)
        handle.finished.connect(self._show_table)
        handle.failed.connect(self._task_failed)

    def run_playbooks(self) -> None:
        """Evaluate the playbook rules in the background; the worklist reloads after."""
        if self.db.readonly:  # a read-only window lists tasks but creates none
            self.today.reload()
            return
        handle = self.runner.submit("Running playbooks", _playbooks_task, self.db)
        handle.finished.connect(self._playbooks_done)
        handle.failed.connect(self._task_failed)

    def _playbooks_done(self, result: Any) -> None:
        self.today.reload()
        if result.created:  # the book's "open tasks" column counts them too
            self._load_book()
            self.statusBar().showMessage(
                f"Playbooks: {counted(result.created, 'new task')}", 10_000)

    def _today_badge(self, due: int) -> None:
        self.nav.item(VIEWS.index("today")).setText(f"Today ({due})" if due else "Today")

    def playbook_rules(self) -> Any:
        from csdesk.ui.rules_dialog import RulesDialog

        dialog = RulesDialog(self.db, self.runner, self)
        dialog.saved.connect(self.run_playbooks)
        dialog.open()
        return dialog

    def account_report(self, account_id: int, document: str,
                       path: Path | None = None) -> Any:
        """QBR, value or plan PDF for one account (from its page's Reports menu)."""
        from csdesk.services.book.accounts import select_accounts
        from csdesk.ui.reports_view import make_account_report

        refs = select_accounts(self.db, ids=[account_id])
        if not refs:
            QMessageBox.information(self, "Report", "This account has churned; its reports "
                                    "are no longer kept up to date.")
            return None
        return make_account_report(self, self.db, self.runner, document, refs[0], path,
                                   ask=path is None)

    def _show_table(self, loaded: AccountTable | tuple[AccountTable, set[int]]) -> None:
        table, pending = loaded if isinstance(loaded, tuple) else (loaded, set())
        self.reports.update_count()
        self.renewals.reload()
        self.table = table
        self.accounts.incomplete_handoffs = pending
        self.accounts.set_table(table)
        count = len(table.rows)
        self.book_stack.setCurrentWidget(self.account_tabs if count else self.empty)
        self.act_demo.setEnabled(not self.db.readonly and count == 0)
        self.book_label.setText(f"{count:,} accounts · {self.db.location.display()}")
        self.statusBar().clearMessage()
        self._update_completer()
        if not self._scope_restored:  # the scope the user left the app in
            from csdesk.config import load_settings

            self._scope_restored = True
            settings = load_settings()
            if settings.get("scope") == "mine" and settings.get("me"):
                self.scope.blockSignals(True)
                self.scope.setCurrentIndex(1)
                self.scope.blockSignals(False)
                self.apply_scope()
        if VIEWS[self.nav.currentRow()] == "portfolio":
            self.load_portfolio()
        self.book_loaded.emit(count)

    def load_portfolio(self, *, sync: bool = False) -> None:
        if self.table is None or not self.table.rows:
            self.portfolio_stack.setCurrentWidget(self.portfolio_empty)
            return
        if sync:
            self._show_portfolio(_load_quarters(self.db, self.renewals.owner, progress=None,
                                                cancel=None))
            return
        handle = self.runner.submit("Computing the portfolio", _load_quarters, self.db,
                                    self.renewals.owner)
        handle.finished.connect(self._show_portfolio)
        handle.failed.connect(self._task_failed)

    def _show_portfolio(self, quarters: list[Any]) -> None:
        from csdesk.ui.portfolio_view import PortfolioView

        if not hasattr(self, "portfolio"):
            self.portfolio = PortfolioView()
            self.portfolio.drill.connect(self.drill)
            self.portfolio_stack.addWidget(self.portfolio)
        assert self.table is not None
        owner = self.renewals.owner  # "My book": the tiles and charts cover my accounts
        table = self.table if owner is None else replace(
            self.table, rows=[r for r in self.table.rows
                              if r[self.table.index("owner")] == owner])
        self.portfolio.show_book(table, quarters, owner)
        self.portfolio_stack.setCurrentWidget(self.portfolio)
        self.portfolio_loaded.emit()

    # -- navigation targets ----------------------------------------------------------------

    def open_view(self, name: str) -> QWidget:
        """Show a view by name: ``renewals``, ``renewals/forecast``, ``account:ACC-000132``,
        ``account:ACC-000132/plan``… (the names ``csdesk gui --view`` takes)."""
        if name.startswith("account:"):
            from csdesk.services.book.account_detail import account_id_for

            key, _, tab = name.split(":", 1)[1].partition("/")
            page = self.open_account(account_id_for(self.db, key))
            if tab:
                page.open_tab(tab)  # type: ignore[attr-defined]
            return page
        view, _, tab = name.partition("/")
        if view not in VIEWS:
            raise CsdeskError(f"a view is one of {', '.join(VIEWS)}, not {view!r}")
        self.nav.setCurrentRow(VIEWS.index(view))
        if view == "renewals":
            self.renewals.open_tab(tab or "pipeline")
        elif tab:
            raise CsdeskError(f"the {VIEW_TITLES[view]} view has no tabs")
        return self.views.currentWidget()

    def drill(self, ids: set[int], label: str) -> None:
        self.nav.setCurrentRow(VIEWS.index("accounts"))
        self.account_tabs.setCurrentIndex(0)
        self.accounts.clear_filters()
        self.accounts.show_only(ids, label)

    def show_attention(self) -> None:
        self.nav.setCurrentRow(VIEWS.index("accounts"))
        self.account_tabs.setCurrentIndex(0)
        self.accounts.clear_filters()
        self.accounts.attention.setChecked(True)

    def open_account(self, account_id: int) -> QWidget:
        """Open (or bring forward) an account's page in its own tab."""
        from csdesk.ui.account_page import AccountPage

        self.nav.setCurrentRow(VIEWS.index("accounts"))
        page = self.pages.get(account_id)
        if page is None:
            page = AccountPage(self.db, account_id)
            page.changed.connect(lambda: QTimer.singleShot(0, self.refresh))
            page.report_requested.connect(
                lambda kind, p=page: self.account_report(p.account_id, kind))
            self.undo_group.addStack(page.undo_stack)
            self.pages[account_id] = page
            # A single & in a tab's text marks a shortcut letter: "AT&T" would read "ATT".
            self.account_tabs.addTab(page, page.account_header.name[:28].replace("&", "&&"))
        self.account_tabs.setCurrentWidget(page)
        return page

    def _open_selected(self) -> None:
        ids = self.accounts.selected_ids()
        if ids:
            self.open_account(ids[0])

    def _close_account_tab(self, index: int) -> None:
        page = self.account_tabs.widget(index)
        page.commit_edits()  # type: ignore[attr-defined]
        for key, p in list(self.pages.items()):
            if p is page:
                del self.pages[key]
                self.undo_group.removeStack(p.undo_stack)  # type: ignore[attr-defined]
        self.account_tabs.removeTab(index)
        page.deleteLater()

    def _tab_changed(self, index: int) -> None:
        page = self.account_tabs.widget(index)
        stack = getattr(page, "undo_stack", None)
        self.undo_group.setActiveStack(stack)

    # -- actions ---------------------------------------------------------------------------

    def load_demo(self) -> None:
        from csdesk.services.demo.generate import generate_demo

        handle = self.runner.run_with_dialog(self, "Generating the demo book", _demo_task,
                                             self.db, generate_demo)
        handle.finished.connect(lambda _summary: self.refresh())
        handle.failed.connect(self._task_failed)

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

    def export_book(self, *, excel: bool = False) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the book to a folder",
                                                  str(Path.home()))
        if not folder:
            return
        target = Path(folder) / "csdesk-export"
        handle = self.runner.run_with_dialog(self, "Exporting the book", _export_task,
                                             self.db, target, excel)
        handle.finished.connect(lambda _r: self.statusBar().showMessage(
            f"Exported the book to {target}", 10_000))
        handle.failed.connect(self._task_failed)

    def export_accounts(self, ids: list[int], path: Path | None = None) -> None:
        """The selected accounts, as csdesk's accounts CSV (re-imports as it is)."""
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(self, "Export accounts",
                                                    str(Path.home() / "accounts.csv"),
                                                    "CSV files (*.csv)")
            if not chosen:
                return
            path = Path(chosen)
        from csdesk.services.sync.export import export_entity

        try:
            result = export_entity(self.db, "accounts", path, account_ids=ids,
                                   overwrite=True)  # the save dialog asked
        except Exception as exc:  # an unwritable folder, a full disk
            QMessageBox.warning(self, "Export", f"The export failed: {exc}")
            return
        self.statusBar().showMessage(f"Exported {result.rows} accounts to {path}", 10_000)

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

        handle = self.runner.run_with_dialog(self, "Recomputing health", _recompute_task,
                                             self.db, recompute)
        handle.finished.connect(lambda s: (self.statusBar().showMessage(
            f"Scored {s.scored:,} accounts", 10_000), self.refresh()))
        handle.failed.connect(self._task_failed)

    def health_settings(self) -> Any:
        from csdesk.ui.health_dialog import HealthSettingsDialog

        dialog = HealthSettingsDialog(self.db, self.runner, self)
        dialog.saved.connect(lambda _v: self.refresh())
        dialog.open()
        return dialog

    def backup_now(self) -> None:
        handle = self.runner.submit("Backing up", _backup_task, self.db)
        handle.finished.connect(
            lambda path: self.statusBar().showMessage(f"Backup verified: {path}", 10_000))
        handle.failed.connect(self._task_failed)

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

    # -- the server went away (team mode) -----------------------------------------------------

    def _build_offline(self) -> QWidget:
        self.offline = QWidget()
        self.offline.setObjectName("offlineBanner")
        self.offline.setStyleSheet(
            "#offlineBanner { background: #fee2e2; border-bottom: 1px solid #dc2626; }"
            "#offlineBanner QLabel { color: #7f1d1d; }")
        self.offline_text = QLabel()
        self.offline_text.setWordWrap(True)
        self.retry_button = QPushButton("Retry now")
        self.retry_button.clicked.connect(self.retry_server)
        row = QHBoxLayout(self.offline)
        row.setContentsMargins(12, 6, 12, 6)
        row.addWidget(self.offline_text, 1)
        row.addWidget(self.retry_button)
        self.offline.hide()
        self._offline_message = ""
        self.retry_timer = QTimer(self)
        self.retry_timer.setInterval(15_000)
        self.retry_timer.timeout.connect(self.retry_server)
        return self.offline

    def show_offline(self, message: str) -> None:
        """Cannot reach the server: say so, say what waits to be saved, and keep retrying."""
        from csdesk.ui.pending import pending_for

        self._offline_message = message
        waiting = len(pending_for(self.db).edits)
        kept = (f" {waiting} edit{'s' if waiting != 1 else ''} made meanwhile "
                f"{'are' if waiting != 1 else 'is'} kept and will be saved when it is back."
                if waiting else " Edits made meanwhile are kept and saved when it is back.")
        self.offline_text.setText(
            f"<b>Cannot reach the server.</b> {html.escape(message)}.{kept} Retrying every "
            "15 seconds.")
        self.offline.show()
        self.retry_timer.start()

    def retry_server(self) -> bool:
        if not self.db.ping():
            self.offline_text.setText(
                self.offline_text.text().split(" Last try")[0]
                + f" Last try {QTime.currentTime().toString('HH:mm:ss')}: still unreachable.")
            return False
        from csdesk.ui.pending import pending_for

        saved, refused = pending_for(self.db).replay_all()
        if pending_for(self.db).edits:  # gone again while saving: keep the rest waiting
            self.show_offline(self._offline_message)
            return False
        self.retry_timer.stop()
        self.offline.hide()
        self.statusBar().showMessage(
            "Connected to the server again" + (f"; saved {counted(len(saved), 'kept edit')}"
                                               if saved else ""), 10_000)
        if refused:  # e.g. a team mate changed the same record meanwhile: say which
            box = QMessageBox(QMessageBox.Icon.Warning, "Edits not saved",
                              "These edits made while the server was away were not saved:\n"
                              + "\n".join(refused), QMessageBox.StandardButton.Ok, self)
            box.open()
            self.refused_box = box
        self.refresh()
        for page in self.pages.values():
            reload = getattr(getattr(page, "plan", None), "reload", None)
            if reload is not None:
                reload()
        return True

    def handle_exception(self, exc: BaseException) -> bool:
        """For the application's excepthook: a lost server mid-edit shows the offline state
        instead of an error box. Returns whether it was handled."""
        from csdesk.errors import ServerUnreachable

        if isinstance(exc, ServerUnreachable):
            self.show_offline(str(exc))
            return True
        return False

    def current_activity(self) -> str:
        """Where the user is, in words ("on the Plan tab of Highlandspring"): for the error
        dialog's "what you were doing"."""
        view = VIEWS[self.nav.currentRow()] if self.nav.currentRow() >= 0 else "accounts"
        if view == "accounts":
            page = self.account_tabs.currentWidget()
            if page is not None and page in self.pages.values():
                tabs = getattr(page, "tabs", None)
                tab = tabs.tabText(tabs.currentIndex()).replace("&", "") if tabs else ""
                name = self.account_tabs.tabText(self.account_tabs.currentIndex())
                return f"on the {tab} tab of {name}" if tab else f"on the page of {name}"
        return f"in {VIEW_TITLES[view]}"

    def _task_failed(self, error: TaskError) -> None:
        if error.offline:
            self.show_offline(error.message)
            return
        if error.cancelled:
            self.statusBar().showMessage(error.message, 10_000)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "csdesk", error.message,
                          QMessageBox.StandardButton.Ok, self)
        if error.detail:
            box.setDetailedText(error.detail)
        box.open()
        self.statusBar().clearMessage()

    # -- drag and drop: a CSV dropped on the window opens the import wizard ------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_csv(event.mimeData()) is not None and not self.db.readonly:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_csv(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.import_csv(path)

    @staticmethod
    def _dropped_csv(mime: QMimeData) -> Path | None:
        for url in mime.urls():
            if url.isLocalFile() and url.toLocalFile().lower().endswith((".csv", ".txt",
                                                                           ".tsv")):
                return Path(url.toLocalFile())
        return None

    # -- remembered state ------------------------------------------------------------------

    def save_state(self) -> None:
        s = self.settings
        s.setValue("main/geometry", self.saveGeometry())
        s.setValue("main/state", self.saveState())
        s.setValue("main/splitter", self.splitter.saveState())
        s.setValue("accounts/header", self.accounts.table.horizontalHeader().saveState())
        s.setValue("main/view", VIEWS[self.nav.currentRow()])

    def restore_state(self) -> None:
        s = self.settings
        geometry = s.value("main/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
            self.keep_on_screen()
        for key, target in (("main/state", self.restoreState),
                            ("main/splitter", self.splitter.restoreState),
                            ("accounts/header",
                             self.accounts.table.horizontalHeader().restoreState)):
            value = s.value(key)
            if isinstance(value, QByteArray) and not value.isEmpty():
                target(value)
        view = s.value("main/view")
        if view in VIEWS and view != "portfolio":
            self.nav.setCurrentRow(VIEWS.index(str(view)))

    def keep_on_screen(self) -> None:
        """A window saved on a larger (or since unplugged) screen comes back fully visible."""
        screen = self.screen() or (self.windowHandle() and self.windowHandle().screen())
        if screen is None:
            return
        area = screen.availableGeometry()
        frame = self.frameGeometry()
        width, height = min(frame.width(), area.width()), min(frame.height(), area.height())
        if frame.width() > area.width() or frame.height() > area.height():
            self.resize(width - (frame.width() - self.width()),
                        height - (frame.height() - self.height()))
            frame = self.frameGeometry()
        if not area.contains(frame):
            x = min(max(frame.x(), area.x()), area.right() - frame.width() + 1)
            y = min(max(frame.y(), area.y()), area.bottom() - frame.height() + 1)
            self.move(x, y)

    def closeEvent(self, event: Any) -> None:
        for page in self.pages.values():
            page.commit_edits()
        self.save_state()
        self.runner.shutdown()
        super().closeEvent(event)


# Qt-free task functions (run on the worker thread).

def _load_table(db: Database, *, progress: object, cancel: object
                ) -> tuple[AccountTable, set[int]]:
    from csdesk.services.plans.handoff import incomplete_onboarding

    return account_table(db), incomplete_onboarding(db)


def _load_quarters(db: Database, owner: str | None = None, *, progress: object,
                   cancel: object) -> list[Any]:
    from csdesk.services.health.metrics import quarterly

    return quarterly(db, 6, owner=owner)


def _demo_task(db: Database, generate: Any, *, progress: object, cancel: object) -> object:
    return generate(db, progress=progress, cancel=cancel)


def _recompute_task(db: Database, recompute: Any, *, progress: object, cancel: object) -> object:
    return recompute(db, progress=progress, cancel=cancel)


def _export_task(db: Database, target: Path, excel: bool, *, progress: object,
                 cancel: object) -> object:
    from csdesk.services.sync.export import export_book

    return export_book(db, target, excel=excel, progress=progress,  # type: ignore[arg-type]
                       cancel=cancel)  # type: ignore[arg-type]


def _playbooks_task(db: Database, *, progress: object, cancel: object) -> object:
    from csdesk.services.worklist.rules import run_rules

    return run_rules(db, progress=progress, cancel=cancel)  # type: ignore[arg-type]


def _backup_task(db: Database, *, progress: object, cancel: object) -> Path:
    return db.backup("manual")
