"""CSM walkthroughs: the main window used as a person uses it.

Everything here goes through what is on screen: clicks, typing and shortcuts on real widgets
found by their text or object name; dialogs are really shown (a modal one is answered by a
timer while it runs, never by patching ``exec``). The clock is pinned to the day the demo book
was generated, so the walkthroughs read the same on any real date. Each test ends with a light
and a dark screenshot in ``tests/e2e/screens/`` for a person to look at.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import QCoreApplication, QPoint, QSettings, Qt, QTimer
from PySide6.QtGui import QInputMethodEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QWidget,
)

from csdesk import clock
from csdesk.db import Database
from tests.conftest import AS_OF

SCREENS = Path(__file__).resolve().parent / "screens"
W = TypeVar("W", bound=QWidget)


@pytest.fixture(autouse=True)
def _pinned_clock() -> Iterator[None]:
    """Every walkthrough happens on the demo book's day, whatever today is."""
    with clock.pin(AS_OF):
        yield


@pytest.fixture(autouse=True)
def _isolated_qsettings(tmp_path: Path) -> None:
    """Remembered window state goes to a temporary INI file, never the user's."""
    QCoreApplication.setOrganizationName("csdesk-tests")
    QCoreApplication.setApplicationName("csdesk-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))


@pytest.fixture(autouse=True)
def _qt_as_left(qapp: QApplication) -> Iterator[None]:
    """Each walkthrough starts in the light theme, with Qt's own file dialogs (as on the
    offscreen platform; a native dialog would be out of a test's reach), and leaves the
    application as it found it for the tests that follow; timers still looking for a
    dialog or a menu stop with the test."""
    from csdesk.ui.theme import apply_style

    global _generation
    style, palette = qapp.style().name(), QPalette(qapp.palette())
    native = QCoreApplication.testAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs)
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, True)
    apply_style(qapp, "light")
    yield
    _generation += 1
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, native)
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setProperty("csdesk_theme", None)


_generation = 0  # which test the pending timers belong to


def open_window(qtbot: Any, db: Database) -> Any:
    """The main window on ``db`` as a person finds it after start-up: shown, the book loaded,
    the playbooks run and the worklist read (every background job done)."""
    from csdesk.ui.main_window import MainWindow

    window = MainWindow(db)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    with qtbot.waitSignal(window.book_loaded, timeout=20_000):
        window.refresh()
        window.show()
    qtbot.waitExposed(window)
    settle(qtbot, window)
    return window


def settle(qtbot: Any, window: Any, timeout: int = 20_000) -> None:
    """Wait until the window's task runner has nothing left to do (or to report)."""
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=timeout)


def click(qtbot: Any, widget: QWidget, pos: QPoint | None = None) -> None:
    if pos is None:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    else:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def double_click(qtbot: Any, widget: QWidget, pos: QPoint) -> None:
    """Point at something, then double-click it (a lone synthetic double-click on a view that
    has not had a press yet is taken as a single press)."""
    click(qtbot, widget, pos)
    qtbot.mouseDClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def type_text(qtbot: Any, widget: QWidget, text: str) -> None:
    """Type ``text`` into ``widget``: keys for ASCII; what is beyond a keyboard's keys (日本,
    ü) arrives as an input method's commit, as it does from a real IME."""
    for run in re.findall(r"[\x00-\x7f]+|[^\x00-\x7f]+", text):
        if run.isascii():
            qtbot.keyClicks(widget, run)
        else:
            event = QInputMethodEvent()
            event.setCommitString(run)
            QApplication.sendEvent(widget, event)


def button(parent: QWidget, text: str, kind: type[W] = QAbstractButton) -> W:  # type: ignore[assignment]
    """The visible button under ``parent`` whose text (without & accelerators) is ``text``."""
    found = [b for b in parent.findChildren(kind)
             if b.text().replace("&", "") == text and b.isVisible()]
    assert found, f"no visible button {text!r} on {type(parent).__name__}"
    return found[0]


def line_edit(parent: QWidget, placeholder: str) -> QLineEdit:
    """The visible text field whose grey placeholder starts with ``placeholder``."""
    found = [e for e in parent.findChildren(QLineEdit)
             if e.placeholderText().startswith(placeholder) and e.isVisible()]
    assert found, f"no field reading {placeholder!r}… on {type(parent).__name__}"
    return found[0]


def combo_with(parent: QWidget, entry: str) -> QComboBox:
    """The visible drop-down that offers ``entry``."""
    found = [c for c in parent.findChildren(QComboBox) if c.findText(entry) >= 0
             and c.isVisible()]
    assert found, f"no list offering {entry!r} on {type(parent).__name__}"
    return found[0]


def labelled(parent: QWidget, label: str) -> QWidget:
    """The field a form shows beside ``label`` (the first widget, for a row of several)."""
    for form in parent.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            name = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if name is None or field is None or not isinstance(name.widget(), QLabel):
                continue
            if name.widget().text().replace("&", "") != label:
                continue
            if field.widget() is not None:
                return field.widget()
            layout = field.layout()
            for i in range(layout.count()):
                if layout.itemAt(i).widget() is not None:
                    return layout.itemAt(i).widget()
    raise AssertionError(f"no field labelled {label!r} on {type(parent).__name__}")


def nav_to(qtbot: Any, window: Any, title: str) -> None:
    """Click the navigation entry whose text starts with ``title`` ("Today (3)" is Today)."""
    nav = window.nav
    for row in range(nav.count()):
        item = nav.item(row)
        if item.text().split(" (")[0] == title:
            rect = nav.visualItemRect(item)
            click(qtbot, nav.viewport(), rect.center())
            qtbot.waitUntil(lambda row=row: nav.currentRow() == row)
            return
    raise AssertionError(f"no {title!r} in the navigation")


def choose(qtbot: Any, combo: QComboBox, text: str) -> None:
    """Pick ``text`` in a combo box as a person does: open its list, click the entry."""
    index = combo.findText(text)
    assert index >= 0, f"{text!r} is not among {[combo.itemText(i) for i in range(combo.count())]}"
    click(qtbot, combo)
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    item = combo.model().index(index, combo.modelColumn())
    view.scrollTo(item)  # a long list: scroll to the entry first, as a person does
    rect = view.visualRect(item)

    def clicked() -> bool:
        # Qt ignores a release in a list that has only just opened (a double-click
        # interval): click until the list takes it and closes.
        if view.isVisible():
            click(qtbot, view.viewport(), rect.center())
        return not view.isVisible()

    qtbot.waitUntil(clicked)
    assert combo.currentText() == text


def when_shown(qtbot: Any, kind: type[W], act: Callable[[W], None], *,
               timeout: float = 20.0) -> list[W]:
    """Answer the next modal ``kind`` dialog with ``act(dialog)`` once it is on screen.

    A timer looks for it (``QApplication.activeModalWidget()``) while the code under test
    runs its ``exec()``; returns a list that holds the dialog once it was answered."""
    answered: list[W] = []
    deadline, mine = time.monotonic() + timeout, _generation

    def look() -> None:
        if mine != _generation:  # that test is over
            return
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind) or not dialog.isVisible():
            if time.monotonic() < deadline:
                QTimer.singleShot(20, look)
            return
        qtbot.waitExposed(dialog)
        dialog.grab()  # painted, as on screen
        answered.append(dialog)
        # Whatever happens in ``act`` (a failed assertion too), the dialog's exec() ends.
        QTimer.singleShot(10_000, lambda: _close_left_open(dialog))
        act(dialog)

    QTimer.singleShot(0, look)
    return answered


def find_account(qtbot: Any, window: Any, typed: str) -> Any:
    """Ctrl+K, type part of a name, Enter: returns the account page that opened (one that
    was not the current tab already)."""
    from csdesk.ui.account_page import AccountPage

    before = window.account_tabs.currentWidget()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search)
    assert window.search.placeholderText() == "Find an account (Ctrl+K)"
    type_text(qtbot, window.search, typed)
    assert window.search.text() == typed
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(window.account_tabs.currentWidget(), AccountPage)
                    and window.account_tabs.currentWidget() is not before)
    page = window.account_tabs.currentWidget()
    qtbot.waitExposed(page)
    return page


def _close_left_open(dialog: QWidget) -> None:
    """A dialog still open long after it was answered would hang the test in its exec():
    close it, and the test fails on what it then finds."""
    with contextlib.suppress(RuntimeError):  # deleted once closed: nothing to do
        if dialog.isVisible():
            dialog.close()


def accept_until_closed(qtbot: Any, dialog: QWidget) -> None:
    """Click the dialog's accepting button (Save, Open: Qt's file dialog relabels it as the
    path is typed) until the dialog closes; an input's pop-up, open over the dialog, takes
    the first click."""
    box = dialog.findChild(QDialogButtonBox)
    accept = next(b for b in box.buttons()
                  if box.buttonRole(b) == QDialogButtonBox.ButtonRole.AcceptRole)

    def pressed() -> bool:
        if dialog.isVisible():
            click(qtbot, accept)
        return not dialog.isVisible()

    qtbot.waitUntil(pressed)


def pick_menu(qtbot: Any, text: str, *, timeout: float = 10.0) -> list[str]:
    """Choose ``text`` in the next popup menu once it is open (a menu's ``exec`` blocks)."""
    chosen: list[str] = []
    deadline, mine = time.monotonic() + timeout, _generation

    def look() -> None:
        if mine != _generation:  # that test is over
            return
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            if time.monotonic() < deadline:
                QTimer.singleShot(20, look)
            return
        action = next(a for a in menu.actions() if a.text().replace("&", "") == text)
        chosen.append(action.text())
        click(qtbot, menu, menu.actionGeometry(action).center())

    QTimer.singleShot(0, look)
    return chosen


@pytest.fixture
def screenshot(qtbot: Any, request: pytest.FixtureRequest
               ) -> Callable[[QWidget], tuple[Path, Path]]:
    """``screenshot(window)``: ``screens/<test name>-light.png`` and ``-dark.png``, once the
    window's background work is done (nothing changes between the two)."""

    def take(window: QWidget) -> tuple[Path, Path]:
        if hasattr(window, "runner"):
            settle(qtbot, window)
        return shoot(qtbot, window, request.node.name)

    return take


def shoot(qtbot: Any, window: QWidget, name: str) -> tuple[Path, Path]:
    """Save the window as a person sees it, light and then dark (the light theme comes back)."""
    from csdesk.ui.theme import apply_style

    app = QApplication.instance()
    SCREENS.mkdir(exist_ok=True)
    shots = []
    for theme in ("light", "dark"):
        apply_style(app, theme)  # type: ignore[arg-type]
        _repolish(window)
        path = SCREENS / f"{name}-{theme}.png"
        assert window.grab().save(str(path)), f"could not write {path}"
        shots.append(path)
    apply_style(app, "light")  # type: ignore[arg-type]
    return shots[0], shots[1]


def _repolish(window: QWidget) -> None:
    """Widgets under a style sheet keep the palette they were polished with: polish them
    again, so the window looks as it does when the app starts in that theme."""
    for widget in [window, *window.findChildren(QWidget)]:
        widget.style().unpolish(widget)
        widget.style().polish(widget)
        widget.update()
    QCoreApplication.processEvents()
