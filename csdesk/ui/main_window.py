"""The main window: menus, toolbar, the book (or its empty state) and a status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from csdesk import __version__
from csdesk.db import Database
from csdesk.services.accounts import AccountTable, account_table
from csdesk.services.demo import generate_demo
from csdesk.services.export import export_book
from csdesk.ui.accounts_view import AccountsView
from csdesk.ui.empty_state import EmptyState
from csdesk.ui.import_wizard import ImportWizard
from csdesk.ui.tasks import TaskError, TaskRunner
from csdesk.ui.theme import app_icon


class MainWindow(QMainWindow):
    """The book of business; ``book_loaded`` fires after each (re)load with the row count."""

    book_loaded = Signal(int)

    def __init__(self, db: Database, runner: TaskRunner | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.runner = runner or TaskRunner(self)
        name = db.path.stem if db.path is not None else db.location.display()
        title = f"{name} — csdesk"
        if db.readonly:
            title += " (read-only)"
        self.setWindowTitle(title)
        self.setWindowIcon(app_icon())
        self.resize(1280, 800)
        self.setAcceptDrops(True)

        self.empty = EmptyState(db.location.display())
        self.empty.load_demo.connect(self.load_demo)
        self.empty.import_csv.connect(self.import_csv)
        self.empty.demo_button.setEnabled(not db.readonly)
        self.accounts = AccountsView()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.accounts)
        self.banner = QLabel(db.readonly_reason or "")
        self.banner.setObjectName("readonlyBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "#readonlyBanner { background: #fef3c7; color: #78350f; padding: 8px 12px;"
            " border-bottom: 1px solid #f59e0b; }")
        self.banner.setVisible(db.readonly)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._build_actions()
        self.book_label = QLabel()
        self.statusBar().addPermanentWidget(self.book_label)

    # -- chrome ----------------------------------------------------------------------------

    def _build_actions(self) -> None:
        self.act_demo = QAction("Load &demo book", self, triggered=self.load_demo)
        self.act_import = QAction("&Import CSV…", self, triggered=lambda: self.import_csv())
        self.act_export = QAction("&Export book…", self, triggered=lambda: self.export_book())
        self.act_export_excel = QAction("Export book for E&xcel…", self,
                                        triggered=lambda: self.export_book(excel=True))
        self.act_import.setShortcut(QKeySequence("Ctrl+I"))
        self.act_backup = QAction("&Back up now", self, triggered=self.backup_now)
        self.act_refresh = QAction("&Refresh", self, triggered=self.refresh)
        self.act_refresh.setShortcut(QKeySequence.StandardKey.Refresh)
        self.act_quit = QAction("&Quit", self, triggered=self.close)
        self.act_quit.setShortcut(QKeySequence.StandardKey.Quit)
        self.act_about = QAction("&About csdesk", self, triggered=self.about)
        for act in (self.act_demo, self.act_import, self.act_backup):
            act.setEnabled(not self.db.readonly)

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addActions([self.act_import, self.act_export, self.act_export_excel,
                              self.act_demo])
        file_menu.addSeparator()
        file_menu.addAction(self.act_backup)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        self.menuBar().addMenu("&View").addAction(self.act_refresh)
        self.menuBar().addMenu("&Help").addAction(self.act_about)

        bar = QToolBar("Main")
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.addActions([self.act_import, self.act_export, self.act_refresh, self.act_backup])
        self.addToolBar(bar)

    # -- loading ---------------------------------------------------------------------------

    def refresh(self, *, sync: bool = False) -> None:
        """Reload the book: on the task runner, or right here when ``sync`` (screenshots)."""
        if sync:
            self._show_table(account_table(self.db))
            return
        self.statusBar().showMessage("Loading the book…")
        handle = self.runner.submit("Loading the book", _load_table, self.db)
        handle.finished.connect(self._show_table)
        handle.failed.connect(self._task_failed)

    def _show_table(self, table: AccountTable) -> None:
        self.accounts.set_table(table)
        count = len(table.rows)
        self.stack.setCurrentWidget(self.accounts if count else self.empty)
        self.act_demo.setEnabled(not self.db.readonly and count == 0)
        self.book_label.setText(f"{count:,} accounts · {self.db.location.display()}")
        self.statusBar().clearMessage()
        self.book_loaded.emit(count)

    # -- actions ---------------------------------------------------------------------------

    def load_demo(self) -> None:
        handle = self.runner.run_with_dialog(self, "Generating the demo book", _demo_task,
                                             self.db)
        handle.finished.connect(lambda _summary: self.refresh())
        handle.failed.connect(self._task_failed)

    def import_csv(self, path: Path | None = None) -> ImportWizard | None:
        """Open the import wizard (on ``path`` when a file was dropped or given)."""
        if self.db.readonly:
            return None
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

    def _task_failed(self, error: TaskError) -> None:
        if error.cancelled:
            self.statusBar().showMessage(error.message, 10_000)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "csdesk", error.message,
                          QMessageBox.StandardButton.Ok, self)
        if error.detail:
            box.setDetailedText(error.detail)
        box.open()
        self.statusBar().clearMessage()


# Qt-free task functions (run on the worker thread).

def _load_table(db: Database, *, progress: object, cancel: object) -> AccountTable:
    return account_table(db)


def _demo_task(db: Database, *, progress: object, cancel: object) -> object:
    return generate_demo(db, progress=progress, cancel=cancel)  # type: ignore[arg-type]


def _export_task(db: Database, target: Path, excel: bool, *, progress: object,
                 cancel: object) -> object:
    return export_book(db, target, excel=excel, progress=progress,  # type: ignore[arg-type]
                       cancel=cancel)  # type: ignore[arg-type]


def _backup_task(db: Database, *, progress: object, cancel: object) -> Path:
    return db.backup("manual")
