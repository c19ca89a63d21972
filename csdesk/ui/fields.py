"""Small input widgets shared by the editors, so every date looks the same."""

from __future__ import annotations

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QWidget

from csdesk import clock

DATE_FORMAT = "dd MMM yyyy"  # matches how dates are shown in tables: 25 Jul 2026


def date_edit(value: QDate | None = None, parent: QWidget | None = None) -> QDateEdit:
    """A date field with a calendar pop-up, in the app's display format; empty means today
    (the one clock's, so a pinned day is the default too)."""
    edit = QDateEdit(parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(DATE_FORMAT)
    edit.setDate(value if value is not None else QDate(clock.today()))
    return edit
