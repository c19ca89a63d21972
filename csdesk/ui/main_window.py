"""The main window's shell: navigation, the views, loading the book, account tabs.

Its menus and actions (window_actions), search (search), offline banner (offline) and
remembered layout (window_state) are mixed in from their own modules.

Heavy modules (pandas through the import wizard and the services that need it, matplotlib
for charts) are imported where first used, so the window is on screen fast.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QUndoGroup
from PySide6.QtWidgets import (
    QLabel,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.io.workbook import WORKBOOK_SUFFIXES
from csdesk.services.book.accounts import account_table, small_book, with_renewals
from csdesk.services.book.table import AccountTable
from csdesk.services.health.metrics import portfolio_view
from csdesk.services.periods import portfolio_period
from csdesk.services.plans.handoff import incomplete_onboarding
from csdesk.services.worklist import rules
from csdesk.ui.accounts_view import AccountsView
from csdesk.ui.empty_state import EmptyState
from csdesk.ui.first_paint import book_label_text, window_title
from csdesk.ui.named_tabs import quiet_close_button
from csdesk.ui.navigation import (
    VIEW_TITLES,
    VIEWS,
    beside_navigation,
    build_navigation,
    fit_navigation,
)
from csdesk.ui.offline import OfflineState
from csdesk.ui.placeholder import EmptyView
from csdesk.ui.renewals_view import RenewalsView
from csdesk.ui.reports_view import ReportsView
from csdesk.ui.search import AccountSearch
from csdesk.ui.tasks import TaskError, TaskRunner
from csdesk.ui.theme import app_icon
from csdesk.ui.today_view import TodayView
from csdesk.ui.window_actions import WindowActions
from csdesk.ui.window_state import WindowState


class MainWindow(WindowActions, AccountSearch, OfflineState, WindowState):
    """The book of business; ``book_loaded`` fires after each (re)load with the row count."""

    book_loaded = Signal(int)
    portfolio_loaded = Signal()

    def __init__(self, db: Database, runner: TaskRunner | None = None,
                 parent: QWidget | None = None, settings: QSettings | None = None,
                 accounts: AccountsView | None = None) -> None:
        """``accounts``: the book table the first paint showed (its rows, scroll, selection
        and filter kept); a new one otherwise."""
        super().__init__(parent)
        self.db = db
        self.runner = runner or TaskRunner(self)
        self.runner.on_failure = self._task_failed  # for every task that names no other
        self.settings = settings or QSettings()
        self.table: AccountTable | None = None
        self.pages: dict[int, QWidget] = {}
        self.setWindowTitle(window_title(db.location, db.readonly))
        self.setWindowIcon(app_icon())
        self.resize(1280, 800)
        self.setAcceptDrops(True)
        self.undo_group = QUndoGroup(self)

        # Views.
        self.book_name = db.location.display()  # the status bar's (a render names its book)
        self.empty = EmptyState(self.book_name)
        self.empty.load_demo.connect(self.load_demo)
        self.empty.import_csv.connect(lambda: self.import_csv())
        self.empty.demo_button.setEnabled(not db.readonly)
        self.accounts = accounts if accounts is not None else AccountsView()
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
        if self.accounts.table_model.rowCount():  # the first paint's names: no empty state
            self.book_stack.setCurrentWidget(self.account_tabs)
        self._scope_restored = False
        self._warmed = False  # the charts' warm-up and the whole-file check started
        self._playbooks_due = False  # the first paint's start runs them after the figures
        self._refresh_chain: Any = None  # the last task of the latest refresh
        self._portfolio_shown: tuple[Any, ...] | None = None  # what the Portfolio draws now
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(300)
        self._refresh_timer.timeout.connect(self._refresh_due)
        self.today = TodayView(self.db, self.runner)
        self.today.account_clicked.connect(self.open_account)
        self.today.count_changed.connect(self._today_badge)
        self.today.rules_requested.connect(self.playbook_rules)
        self.today.run_requested.connect(lambda: self.run_playbooks())
        self.today.spread_requested.connect(lambda: self.run_playbooks(first_touches=True))
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

        self.nav = build_navigation()
        self.nav.currentRowChanged.connect(self._nav_changed)
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
        self.setCentralWidget(beside_navigation(self.nav, right))

        self._build_actions()
        self.book_label = QLabel()
        self.statusBar().addPermanentWidget(self.book_label)
        self.nav.setCurrentRow(VIEWS.index("accounts"))
        self.restore_state()

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
                self.today.show_first_run(rules.run_rules(self.db).held_back_text)
            self._show_table(_load_table(self.db))
            self.today.reload()
            return
        self._load_book()
        self.run_playbooks()

    def start(self, first: AccountTable | None = None) -> None:
        """At launch: load the book and run the playbooks, or, after a first paint, go on
        from the names it showed (``first``): their figures, then the playbooks, renewals
        and the rest."""
        if first is None:
            self.refresh()
            return
        self._playbooks_due = True
        self._show_table((first, set()))

    def refresh_soon(self) -> None:
        """After an edit on a page: one refresh for a burst of edits, started once the
        refresh before it is done, never a queue of whole refresh chains."""
        self._refresh_timer.start()

    def _refresh_due(self) -> None:
        if self.runner.pending(self._refresh_chain):
            self._refresh_timer.start()  # the last one is still running: look again soon
            return
        self.refresh()

    def _load_book(self) -> None:
        self.statusBar().showMessage("Loading the book…")
        self.runner.submit("Loading the book", _load_table, self.db, on_done=self._show_table)

    def run_playbooks(self, first_touches: bool | None = None) -> None:
        """Evaluate the playbook rules in the background; the worklist reloads after. On a
        new book's first run, the Today view says how many first touches wait and offers
        to spread them (``first_touches=True``)."""
        if self.db.readonly:  # a read-only window lists tasks but creates none
            self.today.reload()
            return
        self._refresh_chain = self.runner.submit(
            "Running playbooks", rules.run_rules, self.db, first_touches=first_touches,
            on_done=lambda result: self._playbooks_done(result, bool(first_touches)))

    def _playbooks_done(self, result: Any, spread: bool = False) -> None:
        if spread:  # asked to spread the first touches: say what was created
            self.today.show_created(result.created_text)
        self.today.show_first_run(result.held_back_text)
        self.today.reload()
        if result.created:  # the book's "open tasks" column counts them too
            self._load_book()
            self.statusBar().showMessage(f"Playbooks: {result.created_text}", 10_000)

    def _today_badge(self, due: int) -> None:
        self.nav.item(VIEWS.index("today")).setText(f"Today ({due:,})" if due else "Today")
        fit_navigation(self.nav)

    def _show_table(self, loaded: AccountTable | tuple[AccountTable, set[int]]) -> None:
        table, pending = loaded if isinstance(loaded, tuple) else (loaded, set())
        if table.figures_pending:  # a large book: names first, then figures, then renewals
            self.runner.submit("Reading the book's figures", _load_figures, self.db,
                               table.as_of, len(table.rows), reading=True,
                               on_done=self._show_table)
        elif table.renewals_pending:
            self.runner.submit(
                "Reading renewals", with_renewals, self.db, table, reading=True,
                on_done=lambda full: self._show_table((full, self.accounts.incomplete_handoffs)))
        if not table.figures_pending:  # names alone: the figures' read goes first
            self.reports.update_count()
            self.renewals.reload()
        self.table = table
        self.accounts.incomplete_handoffs = pending
        self.accounts.set_table(table)
        count = len(table.rows)
        self.book_stack.setCurrentWidget(self.account_tabs if count else self.empty)
        self.act_demo.setEnabled(not self.db.readonly and count == 0)
        self.book_label.setText(book_label_text(count, self.book_name))
        self.statusBar().clearMessage()
        self._update_completer()
        if not table.figures_pending and not self._warmed:  # after the figures, not before
            self._warmed = True
            self._check_in_background()
            from csdesk.ui.charts import warm_up

            self.runner.submit("Preparing charts", warm_up, idle=True,
                               on_failed=lambda _e: None)
            if table.rows:  # the Portfolio's periods, computed before its first visit
                self.runner.submit("Preparing the portfolio", portfolio_view, self.db,
                                   portfolio_period("quarter"), owner=self.renewals.owner,
                                   idle=True, on_failed=lambda _e: None)
            if self._playbooks_due:
                self._playbooks_due = False
                self.run_playbooks()
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

    def _check_in_background(self) -> None:
        """A large book cleanly closed was opened without reading every page: read them now,
        on the idle lane, and say so only if something is wrong."""
        if self.db.checked_whole:
            return
        from csdesk.services.book.info import background_check

        self.runner.submit("Checking the book file", background_check, self.db, idle=True,
                           on_done=self._checked, on_failed=lambda _e: None)

    def _checked(self, found: str | None) -> None:
        if not found:
            return
        self.statusBar().showMessage(found)
        box = QMessageBox(QMessageBox.Icon.Warning, "csdesk", found, QMessageBox.StandardButton.Ok,
                          self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()  # the CSM may copy what they need before quitting
        self.damage_notice = box

    def load_portfolio(self, *, sync: bool = False) -> None:
        if self.table is None or not self.table.rows:
            self.portfolio_stack.setCurrentWidget(self.portfolio_empty)
            return
        kind = self.portfolio.kind() if hasattr(self, "portfolio") else "quarter"
        period = portfolio_period(kind)
        if sync:
            self._show_portfolio(portfolio_view(self.db, period, owner=self.renewals.owner))
            return
        self.runner.submit("Computing the portfolio", portfolio_view, self.db, period,
                           owner=self.renewals.owner, on_done=self._show_portfolio)

    def _show_portfolio(self, loaded: tuple[Any, list[Any]]) -> None:
        from csdesk.ui.portfolio_view import PortfolioView

        chosen, quarters = loaded
        if not hasattr(self, "portfolio"):
            self.portfolio = PortfolioView()
            self.portfolio.drill.connect(self.drill)
            self.portfolio.period_changed.connect(lambda _kind: self.load_portfolio())
            self.portfolio_stack.addWidget(self.portfolio)
        if chosen.period != portfolio_period(self.portfolio.kind()).upper():
            return  # computed for a period since changed: the newer load shows its own
        assert self.table is not None
        owner = self.renewals.owner  # "My book": the tiles and charts cover my accounts
        shown = (chosen, *quarters, self.table, owner)
        # The same answers (the service keeps them while nothing they come from changed) on
        # the same table: the tiles and charts on screen are already these; not redrawn.
        before = self._portfolio_shown
        if before is None or len(before) != len(shown) or any(
                a is not b for a, b in zip(shown, before, strict=True)):
            table = self.table if owner is None else replace(
                self.table, rows=[r for r in self.table.rows
                                  if r[self.table.index("owner")] == owner])
            self.portfolio.show_book(table, quarters, owner, chosen)
            self._portfolio_shown = shown
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
            page = AccountPage(self.db, account_id, runner=self.runner)
            page.changed.connect(self.refresh_soon)
            page.report_requested.connect(
                lambda kind, p=page: self.account_report(p.account_id, kind))
            page.task_requested.connect(self.show_task)
            self.undo_group.addStack(page.undo_stack)
            self.pages[account_id] = page
            # A single & in a tab's text marks a shortcut letter: "AT&T" would read "ATT".
            self.account_tabs.addTab(page, page.account_header.name[:28].replace("&", "&&"))
            quiet_close_button(self.account_tabs, page)
        self.account_tabs.setCurrentWidget(page)
        return page

    def show_task(self, task_id: int) -> None:
        """Today, with that task selected when the worklist lists it."""
        self.open_view("today")
        if any(item.data(0, Qt.ItemDataRole.UserRole) == task_id
               for item in self.today.task_items()):
            self.today.select(task_id)

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
            if url.isLocalFile() and url.toLocalFile().lower().endswith(
                    (".csv", ".txt", ".tsv", *WORKBOOK_SUFFIXES)):
                return Path(url.toLocalFile())
        return None

    def closeEvent(self, event: Any) -> None:
        for page in self.pages.values():
            page.commit_edits()
        self.save_state()
        self.runner.shutdown()
        super().closeEvent(event)


# Qt-free task functions (run on the worker thread).

def _load_table(db: Database) -> tuple[AccountTable, set[int]]:
    """The book table and the accounts whose onboarding handoff is incomplete (its badge)."""
    table = account_table(db, renewals=None, figures=None)
    # a large book's names come first: its handoff badges come with its figures
    return table, set() if table.figures_pending else incomplete_onboarding(db)


def _load_figures(db: Database, as_of: date, count: int) -> tuple[AccountTable, set[int]]:
    """The table with its figures after its names (a large book's renewals still to come,
    a small book's with them), and the handoff badges."""
    return (account_table(db, as_of=as_of, renewals=small_book(count)),
            incomplete_onboarding(db))
