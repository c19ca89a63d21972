"""The CSM pulse on the account page: set through its dialog, shown beside the computed
health (never blended into it), a disagreement said in one line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialogButtonBox

from csdesk import clock
from csdesk.db import Database
from csdesk.models import Account, UsageSnapshot
from csdesk.services.defaults import ensure_defaults
from csdesk.services.health.pulse import latest_pulse, record_pulse
from csdesk.services.health.scoring import recompute
from csdesk.ui.account_page import AccountPage
from csdesk.ui.pulse_dialog import PulseDialog
from tests.ui.conftest import show_account_page, when_shown

DAY = date(2026, 11, 22)
NAME = "AT&T <Legacy> 日本"


@pytest.fixture
def green(db: Database) -> Iterator[int]:
    """A healthy account (scored green) with an HTML-looking name."""
    ensure_defaults(db)
    with db.write() as s:
        a = Account(external_id="ATT-1", name=NAME, segment="smb",
                    engagement_model="tech_touch", customer_since=date(2025, 1, 1),
                    first_value_date=date(2025, 1, 10))
        s.add(a)
        s.flush()
        for week in range(16):
            s.add(UsageSnapshot(account_id=a.id, date=DAY - timedelta(days=7 * week),
                                active_users=9, licensed_seats=10, key_events=100,
                                features_used=6, logins=50))
        account_id = a.id
    with clock.pin(DAY):
        recompute(db, as_of=DAY)
        yield account_id


def _page(qtbot, db: Database, account_id: int) -> AccountPage:  # type: ignore[no-untyped-def]
    page: AccountPage = show_account_page(qtbot, db, account_id, (1200, 900))
    return page


def test_set_pulse_through_the_dialog(qtbot, db: Database, green: int) -> None:  # type: ignore[no-untyped-def]
    page = _page(qtbot, db, green)
    assert page.title.text() == NAME and page.title.textFormat() == Qt.TextFormat.PlainText
    assert page.pulse.pulse_label.text() == "CSM pulse: none recorded yet"
    assert page.badge.text().endswith("green")
    badge = page.badge.text()

    def fill(dialog: PulseDialog) -> None:
        assert dialog.isVisible() and dialog.windowTitle() == f"Set pulse — {NAME}"
        assert dialog.day_edit.date() == QDate(DAY)  # today by default
        assert dialog.day_edit.maximumDate() == QDate(DAY)  # never a day to come
        dialog.rating_box.setCurrentIndex(dialog.rating_box.findData(4))
        assert dialog.rating_box.currentText() == "4 — healthy"
        boxes = {b.text(): b for b in dialog.reason_boxes}
        for reason in ("Strong champion", "Expanding use", "Value proven"):
            qtbot.mouseClick(boxes[reason], Qt.MouseButton.LeftButton)
        assert not boxes["Budget cuts"].isEnabled()  # three is the most
        qtbot.mouseClick(boxes["Value proven"], Qt.MouseButton.LeftButton)
        assert boxes["Budget cuts"].isEnabled()
        qtbot.keyClicks(dialog.note_edit, "QBR <went> well & more")
        dialog.day_edit.setDate(QDate(2026, 11, 12))
        buttons = dialog.findChild(QDialogButtonBox)
        qtbot.mouseClick(buttons.button(QDialogButtonBox.StandardButton.Save),
                         Qt.MouseButton.LeftButton)

    seen = when_shown(qtbot, PulseDialog, fill)
    with qtbot.waitSignal(page.changed, timeout=10_000):
        qtbot.mouseClick(page.pulse.set_button, Qt.MouseButton.LeftButton)
    assert seen == [f"Set pulse — {NAME}"]
    assert page.pulse.pulse_label.text() == \
        "CSM pulse: 4/5 · Strong champion, Expanding use · 12 Nov 2026"
    assert page.pulse.disagree_label.isHidden()
    saved = latest_pulse(db, green)
    assert saved is not None and saved.note == "QBR <went> well & more"
    assert "QBR <went> well & more" in page.pulse.pulse_label.toolTip()
    assert page.badge.text() == badge  # the computed health is as it was


def test_a_low_pulse_on_a_green_account_says_they_disagree(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                          green: int) -> None:
    record_pulse(db, green, 1, ["Budget cuts"], day=DAY - timedelta(days=95))
    page = _page(qtbot, db, green)
    assert page.badge.text().endswith("green")  # never blended: still the computed band
    assert page.pulse.pulse_label.text() == \
        "CSM pulse: 1/5 · Budget cuts · 19 Aug 2026 (stale: recorded 95 days ago)"
    assert page.pulse.disagree_label.isVisible()
    assert page.pulse.disagree_label.text().startswith(
        "Your pulse and the computed health disagree: your pulse is 1/5 (about to churn), "
        "the computed health is green.")
    assert page.pulse.disagree_label.textFormat() == Qt.TextFormat.PlainText


def test_a_refused_pulse_says_why_in_the_dialog(qtbot, db: Database, green: int) -> None:  # type: ignore[no-untyped-def]
    page = _page(qtbot, db, green)
    record_pulse(db, green, 3)  # the book's list changes under the open page
    from csdesk.services.health.pulse import set_pulse_reasons

    def fill(dialog: PulseDialog) -> None:
        set_pulse_reasons(db, ["Reorg"])
        qtbot.mouseClick(dialog.reason_boxes[0], Qt.MouseButton.LeftButton)
        dialog.findChild(QDialogButtonBox).button(
            QDialogButtonBox.StandardButton.Save).click()
        assert dialog.isVisible()  # not saved: the dialog stays, saying why
        assert dialog.problem.text().startswith("not a pulse reason: Exec sponsor change")
        dialog.reject()

    when_shown(qtbot, PulseDialog, fill)
    qtbot.mouseClick(page.pulse.set_button, Qt.MouseButton.LeftButton)
    assert page.pulse.pulse_label.text().startswith("CSM pulse: 3/5")
