"""Qt fixtures: remembered window state goes to a temporary INI file, never the user's."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings


@pytest.fixture(autouse=True)
def _isolated_qsettings(tmp_path: Path) -> None:
    QCoreApplication.setOrganizationName("csdesk-tests")
    QCoreApplication.setApplicationName("csdesk-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))


def open_window(qtbot, db, settings=None):  # type: ignore[no-untyped-def]
    """A main window on ``db``, shown, with the book loaded (waits on the signal)."""
    from csdesk.ui.main_window import MainWindow

    window = MainWindow(db, settings=settings)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.book_loaded, timeout=20_000):
        window.refresh()
    window.show()
    return window
