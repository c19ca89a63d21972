"""The window's first paint: the book's names on screen before the rest of csdesk loads.

Loading SQLAlchemy, the models, pandas and every view takes a second or two, more than the
book's names take to read. So the window opens at once with the book table of names (read
by :func:`csdesk.services.book.table.first_table`, plain ``sqlite3``), which can be
scrolled, sorted and filtered; the rest of the application is imported on a thread
meanwhile, and the full main window then takes over the same table (its scroll, selection
and filter kept) and fills in the figures. An account opened, or a view chosen, before
then opens as soon as the window is ready.

This module imports only Qt and the light modules the table needs: a test keeps it so.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QToolBar,
)

from csdesk.config import DatabaseLocation
from csdesk.services.book.table import AccountTable, first_table
from csdesk.ui.accounts_view import AccountsView
from csdesk.ui.navigation import MENUS, VIEWS, beside_navigation, build_navigation
from csdesk.ui.theme import app_icon, apply_style

if TYPE_CHECKING:
    from csdesk.db import Database
    from csdesk.ui.main_window import MainWindow

APP = "csdesk.ui.app"  # what the thread imports: the window and everything under it


def window_title(location: DatabaseLocation, readonly: bool = False) -> str:
    name = location.path.stem if location.path is not None else location.display()
    return f"{name} — csdesk" + (" (read-only)" if readonly else "")


def book_label_text(count: int, where: str) -> str:
    """The status bar's note of the book open: its size and where it is."""
    return f"{count:,} accounts · {where}"


class FirstPaint(QMainWindow):
    """The book's names in the window's frame: navigation, menu titles and the book tab
    where the main window will have them, so that nothing moves when it takes over."""

    painted = Signal()  # the table's first paint is on screen: the rest may load now

    def __init__(self, location: DatabaseLocation, table: AccountTable,
                 settings: QSettings | None = None) -> None:
        super().__init__()
        settings = settings or QSettings()
        self.setWindowTitle(window_title(location))
        self.setWindowIcon(app_icon())
        self.resize(1280, 800)
        geometry = settings.value("main/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        for title in MENUS:
            self.menuBar().addMenu(title).setEnabled(False)
        search = QLineEdit()
        search.setPlaceholderText("Find an account (Ctrl+K)")
        search.setMaximumWidth(360)
        search.setEnabled(False)
        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(search)
        self.addToolBar(toolbar)

        self.accounts = AccountsView()
        header = settings.value("accounts/header")
        if isinstance(header, QByteArray) and not header.isEmpty():
            self.accounts.table.horizontalHeader().restoreState(header)
        self.accounts.set_table(table)
        self.accounts.account_activated.connect(self._remember_account)
        self.opened: list[int] = []  # accounts asked for, in order, before the window is ready
        tabs = QTabWidget()
        tabs.setDocumentMode(True)
        tabs.addTab(self.accounts, "The book")
        self.nav = build_navigation()
        self.nav.setCurrentRow(VIEWS.index("accounts"))
        self.nav.currentRowChanged.connect(self._remember_view)
        self.setCentralWidget(beside_navigation(self.nav, tabs))
        self.statusBar().showMessage("Opening the book…")
        where = book_label_text(len(table.rows), location.display())
        self.statusBar().addPermanentWidget(QLabel(where))
        self.accounts.table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:  # once painted, the loading may take the CPU
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self.painted.emit)
        return False

    def _remember_account(self, account_id: int) -> None:
        self.opened.append(account_id)
        self.statusBar().showMessage("Opening the book… the account opens in a moment.")

    def _remember_view(self, row: int) -> None:
        title = self.nav.item(row).text()
        self.statusBar().showMessage(f"Opening the book… {title} opens in a moment.")

    @property
    def view(self) -> str:
        """The view chosen in the navigation so far."""
        return VIEWS[max(self.nav.currentRow(), 0)]


class Opening(QObject):
    """Import the application on a thread while the first paint shows, then open the book
    and hand the first paint's table to the main window (``ready``), or give up with one
    message (``failed``)."""

    ready = Signal(object)
    failed = Signal(str)

    def __init__(self, location: DatabaseLocation, shell: FirstPaint, first: AccountTable,
                 *, demo: bool = False) -> None:
        super().__init__()
        self.location, self.shell, self.first, self.demo = location, shell, first, demo
        self.main_window: MainWindow | None = None
        self.db: Database | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._import, name="csdesk-import",
                                        daemon=True)
        self._poll = QTimer(self)
        self._poll.setInterval(15)
        self._poll.timeout.connect(self._imported)

    def begin(self) -> None:
        if self._thread.ident is not None:  # begun already
            return
        self._thread.start()
        self._poll.start()

    def _import(self) -> None:
        try:
            __import__(APP)
        except BaseException as exc:
            self._error = exc

    def _imported(self) -> None:
        if self._thread.is_alive():
            return
        self._poll.stop()
        if self._error is not None:
            self.failed.emit(f"csdesk could not start: {self._error}")
            return
        app = sys.modules[APP]
        shell = self.shell
        if not shell.isVisible():  # closed before the book was open
            return
        opened = app.open_location(self.location, self.demo)
        if opened is None:
            self.failed.emit("")  # already said, in its own message
            return
        db, recovered = opened
        shell.statusBar().clearMessage()
        # A recovered book is a restored backup or a new one: not the names shown.
        self.main_window, self.db = app.open_window(
            db, accounts=None if recovered else shell.accounts,
            first=None if recovered else self.first)
        window = self.main_window
        window.setGeometry(shell.geometry())
        window.open_view(shell.view)
        if shell.isMaximized():
            window.showMaximized()
        else:
            window.show()
        for account_id in dict.fromkeys(shell.opened):
            window.open_account(account_id)
        shell.hide()
        shell.deleteLater()
        self.ready.emit(window)

    def close(self) -> None:
        """After the event loop: wait for the window's work and close the book."""
        if self.main_window is not None and self.db is not None:
            sys.modules[APP].close_window(self.main_window, self.db)


def application(theme: str | None = None) -> QApplication:
    """The one QApplication, named and styled (light, dark or the system's)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("csdesk")
    app.setOrganizationName("csdesk")
    apply_style(app, theme)  # type: ignore[arg-type]
    return app


def launch(location: DatabaseLocation, *, demo: bool = False, theme: str | None = None,
           run: Callable[[], Any] | None = None,
           names: Callable[[], AccountTable | None] | None = None) -> int:
    """Start the GUI: the first paint when the book's names can be read quickly, the
    ordinary start otherwise (a server, a new or damaged book, the demo). ``names``: the
    names' table being read already (``first_table_soon``), else it is read here."""
    app = application(theme)
    first = None if demo or not location.is_sqlite else (
        names() if names is not None else first_table(location.path))
    if first is None or not first.rows:
        from csdesk.ui.app import run_gui

        return int(run_gui(location, demo=demo, theme=theme))
    shell = FirstPaint(location, first)
    shell.show()
    opening = Opening(location, shell, first, demo=demo)
    code: list[int] = []

    def failed(message: str) -> None:
        if message:
            QMessageBox.critical(shell, "csdesk", message)
        code.append(1)
        shell.close()
        app.quit()

    opening.failed.connect(failed)
    shell.painted.connect(opening.begin)
    QTimer.singleShot(500, opening.begin)  # a window never painted (minimised) loads too
    try:
        result = int(run() if run is not None else app.exec())
    finally:
        opening.close()
    return code[0] if code else result

