"""Qt fixtures: remembered window state goes to a temporary INI file, never the user's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings

from csdesk import clock
from tests.conftest import AS_OF


@pytest.fixture(autouse=True)
def _isolated_qsettings(tmp_path: Path) -> None:
    QCoreApplication.setOrganizationName("csdesk-tests")
    QCoreApplication.setApplicationName("csdesk-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))


@pytest.fixture
def pinned_today() -> Iterator[date]:
    """The demo book's day, pinned for the whole test (the window's loads, its rules, the
    views' "days to renewal"), so a filter's rows can be computed by hand from the book."""
    with clock.pin(AS_OF):
        yield AS_OF


def open_window(qtbot, db, settings=None):  # type: ignore[no-untyped-def]
    """A main window on ``db``, shown, with the book loaded (waits on the signal)."""
    from csdesk.ui.main_window import MainWindow

    window = MainWindow(db, settings=settings)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.book_loaded, timeout=20_000):
        window.refresh()
    window.show()
    return window


def when_shown(qtbot, kind: type, act) -> list[str]:  # type: ignore[no-untyped-def]
    """Once a modal dialog of class ``kind`` is really on screen (exposed and painted), call
    ``act(dialog)`` to type and click in it, as a user would. Returns the titles of the
    dialogs answered (filled in as it happens). Polls the active modal widget from a
    timer, which runs inside the dialog's own event loop; a different dialog still up
    after ten seconds is closed, and so is this one when ``act`` fails, so a test fails
    (pytest-qt reports the exception) instead of hanging."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    seen: list[str] = []
    polls = [0]

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind):
            polls[0] += 1
            if polls[0] > 500 and dialog is not None:
                dialog.close()
            if polls[0] <= 1000:
                QTimer.singleShot(20, poll)
            return
        qtbot.waitExposed(dialog)
        dialog.grab()  # painted, as on screen
        seen.append(dialog.windowTitle())
        try:
            act(dialog)
        except BaseException:
            dialog.reject()  # a failed step closes the dialog: the test fails, never hangs
            raise

    QTimer.singleShot(0, poll)
    return seen


def show_account_page(qtbot, db, account_id: int, size: tuple[int, int] = (1200, 800)):  # type: ignore[no-untyped-def]
    """An account page on its own, at a laptop's size, shown and exposed (filled in as the
    page does without a worker: at once)."""
    from csdesk.ui.account_page import AccountPage

    page = AccountPage(db, account_id)
    qtbot.addWidget(page)
    page.resize(*size)
    page.show()
    qtbot.waitExposed(page)
    return page


def new_account(db, name: str, external_id: str = "NEW-1") -> int:  # type: ignore[no-untyped-def]
    """A customer of two days: a five-seat subscription and nothing else on record."""
    from datetime import timedelta

    from csdesk.models import Account, Subscription

    with db.write() as s:
        acc = Account(external_id=external_id, name=name, segment="smb",
                      engagement_model="tech_touch", customer_since=AS_OF - timedelta(days=2))
        s.add(acc)
        s.flush()
        s.add(Subscription(account_id=acc.id, start_date=AS_OF - timedelta(days=2),
                           end_date=AS_OF + timedelta(days=362), plan="Pro", seats=5,
                           arr_cents=500_000, currency="USD"))
        return int(acc.id)
