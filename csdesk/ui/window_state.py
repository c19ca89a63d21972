"""The main window's remembered geometry, layout and view, kept on screen."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import (
    QListWidget,
    QMainWindow,
)

from csdesk.ui.accounts_view import AccountsView
from csdesk.ui.navigation import VIEWS
from csdesk.ui.renewals_view import RenewalsView


class WindowState(QMainWindow):
    """Saves and restores the layout of :class:`MainWindow` in its QSettings."""

    settings: QSettings
    accounts: AccountsView
    renewals: RenewalsView
    nav: QListWidget

    def save_state(self) -> None:
        s = self.settings
        s.setValue("main/geometry", self.saveGeometry())
        s.setValue("main/state", self.saveState())
        s.setValue("accounts/header", self.accounts.table.horizontalHeader().saveState())
        # The renewals calendar|pipeline split, and the pipeline's column widths.
        s.setValue("renewals/splitter", self.renewals.splitter.saveState())
        if self.renewals.calendar_choice is not None:
            s.setValue("renewals/calendar", "shown" if self.renewals.calendar_choice
                       else "hidden")
        if self.renewals.fitted():  # its sort, and whether its widths are the user's
            s.setValue("renewals/header", self.renewals.table.horizontalHeader().saveState())
            s.setValue("renewals/widths", "user" if self.renewals.user_widths() else "fitted")
        s.setValue("main/view", VIEWS[self.nav.currentRow()])

    def restore_state(self) -> None:
        s = self.settings
        geometry = s.value("main/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
            self.keep_on_screen()
        for key, target in (("main/state", self.restoreState),
                            ("accounts/header",
                             self.accounts.table.horizontalHeader().restoreState),
                            ("renewals/splitter", self.renewals.splitter.restoreState),
                            ("renewals/header", self._restore_renewals_header)):
            value = s.value(key)
            if isinstance(value, QByteArray) and not value.isEmpty():
                target(value)
        calendar = s.value("renewals/calendar")
        if calendar in ("shown", "hidden"):
            self.renewals.set_calendar_choice(calendar == "shown")
        view = s.value("main/view")
        if view in VIEWS and view != "portfolio":
            self.nav.setCurrentRow(VIEWS.index(str(view)))

    def _restore_renewals_header(self, state: QByteArray) -> bool:
        # widths saved before they were told apart are taken as the user's (kept as they were)
        fitted = self.settings.value("renewals/widths") == "fitted"
        return self.renewals.restore_header(state, user=not fitted)

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
