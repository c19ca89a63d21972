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
