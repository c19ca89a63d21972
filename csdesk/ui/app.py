"""The GUI's wiring: settings → database (checks, lock, migrations) → defaults → main window,
and the screenshot driver (``csdesk gui --screenshot --view renewals/forecast``)."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from csdesk.config import DatabaseLocation, resolve_database
from csdesk.db import Database, restore_book, snapshot, start_afresh
from csdesk.errors import CorruptDatabaseError, CsdeskError
from csdesk.services.book.table import AccountTable
from csdesk.services.defaults import ensure_defaults
from csdesk.ui.accounts_view import AccountsView
from csdesk.ui.first_paint import application
from csdesk.ui.main_window import MainWindow


def open_book(location: DatabaseLocation, *, demo: bool = False) -> Database:
    """Open the book for the GUI: read-only when another csdesk is writing it."""
    db = Database.open(location, readonly_if_locked=True)
    if not db.readonly:
        ensure_defaults(db)
        if demo:
            from csdesk.services.book.info import book_info

            if book_info(db).counts["accounts"] == 0:
                from csdesk.services.demo.generate import generate_demo

                generate_demo(db)
    return db


def run_gui(
    location: DatabaseLocation,
    *,
    demo: bool = False,
    screenshot: Path | None = None,
    view: str = "accounts",
    size: tuple[int, int] = (1440, 900),
    theme: str | None = None,
) -> int:
    app = application(theme)
    if screenshot is None:
        opened = open_location(location, demo)
        if opened is None:
            return 1
        window, db = open_window(opened[0])
        window.show()
        return run_window(app, window, db)
    db = _open_for_render(location, demo=demo)
    try:
        return _render(app, db, location, screenshot, view, size)
    finally:
        db.close()
        _discard_render_copy(db)


def open_window(db: Database, accounts: AccountsView | None = None,
                first: AccountTable | None = None) -> tuple[MainWindow, Database]:
    """The main window on an open book, started (not yet shown): its book loading (or,
    after the first paint, going on from the names in ``first`` and the table ``accounts``
    showing them) and its playbooks running."""
    from csdesk.ui.error_dialog import install_exception_handler

    window = MainWindow(db, accounts=accounts)
    # Every error that reaches the event loop: the offline state for a lost server, else
    # one dialog (what happened, what you were doing, details to copy) and the error log.
    install_exception_handler(window)
    window.start(first)
    return window, db


def run_window(app: QApplication, window: MainWindow, db: Database) -> int:
    """Run the event loop until the window closes; then wait for its work, close the book."""
    try:
        return app.exec()
    finally:
        close_window(window, db)


def close_window(window: MainWindow, db: Database) -> None:
    window.runner.wait()
    db.close()


def open_location(location: DatabaseLocation, demo: bool = False
                  ) -> tuple[Database, bool] | None:
    """:func:`open_book` for the window, and whether the book was recovered: a damaged book
    offers its recovery, any other refusal is one message; ``None`` when the window is not
    to open."""
    try:
        return open_book(location, demo=demo), False
    except CorruptDatabaseError as exc:
        return _recover(exc, location, demo), True  # or raises it: the user chose to quit
    except CsdeskError as exc:
        QMessageBox.critical(None, "csdesk", str(exc))
        return None


def _render(app: QApplication, db: Database, location: DatabaseLocation, screenshot: Path,
            view: str, size: tuple[int, int]) -> int:
    # A screenshot neither reads nor changes the user's remembered window layout.
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "shot.ini"),
                         QSettings.Format.IniFormat)
    window = MainWindow(db, settings=settings)
    window.book_name = location.display()  # the book's name, not its snapshot's
    window.resize(*size)
    window.refresh(sync=True)
    window.open_view(view)
    if view == "portfolio":
        window.load_portfolio(sync=True)
    for _ in range(2):  # worklist, pipeline…: loaded on the worker; show them loaded
        window.runner.wait()
        for _ in range(3):
            app.processEvents()
    window.show()
    for _ in range(3):
        app.processEvents()
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(screenshot)):
        raise CsdeskError(f"could not write the screenshot to {screenshot}")
    window.close()
    return 0


def _open_for_render(location: DatabaseLocation, *, demo: bool) -> Database:
    """A render (``--screenshot``) changes nothing in the book: it opens a private snapshot
    of it, where the playbook run, re-plans, health writes and any migration happen as they
    would on opening the book, and which is removed after. Only the demo book is made on
    first use; a server book is opened read-only."""
    if location.path is None:
        return Database.open(location, readonly=True, create=False)
    if demo and not location.path.exists():
        open_book(location, demo=True).close()
    if not location.path.exists():
        raise CsdeskError(f"no csdesk book at {location.path}")
    folder = Path(tempfile.mkdtemp(prefix="csdesk-render-"))
    copy = folder / location.path.name
    try:
        snapshot(location.path, copy)
        return open_book(resolve_database(copy))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _discard_render_copy(db: Database) -> None:
    if db.path is not None and db.path.parent.name.startswith("csdesk-render-"):
        shutil.rmtree(db.path.parent, ignore_errors=True)


def _recover(exc: CorruptDatabaseError, location: DatabaseLocation, demo: bool) -> Database:
    """Tell the user the book was damaged; restore the newest good backup or, on their
    explicit choice, start an empty book (the damaged file and the backups are kept)."""
    box = QMessageBox(QMessageBox.Icon.Warning, "csdesk: the book is damaged",
                      "Your book could not be read: the file is damaged.")
    restore = (box.addButton("Restore the newest good backup",
                             QMessageBox.ButtonRole.AcceptRole)
               if exc.newest_backup is not None else None)
    fresh = box.addButton("Start an empty book", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    found = (f"The newest good backup is {exc.newest_backup.name}, taken "
             f"{datetime.fromtimestamp(exc.newest_backup.stat().st_mtime):%d %b %Y %H:%M}."
             if exc.newest_backup is not None and exc.newest_backup.exists()
             else "No good backup was found.")
    box.setInformativeText(
        (f"It was set aside as {exc.moved_to.name}. " if exc.moved_to else "")
        + found + " The damaged file and every backup are kept either way.")
    box.setDetailedText(str(exc))  # the full paths, for support
    box.setDefaultButton(restore or fresh)
    box.exec()
    chosen = box.clickedButton()
    if restore is not None and chosen is restore:
        restore_book(location, exc.newest_backup)  # type: ignore[arg-type]
    elif chosen is fresh:
        start_afresh(location)
    else:
        raise exc
    return open_book(location, demo=demo)
