"""The account page: header, health breakdown and charts, contacts, timeline.

The page shows what it has at once and fills the rest in (``complete``): given the window's
task runner, the health explanation (one account's inputs, through pandas) is computed on
the reading lane, and the four charts are drawn on a later turn of the event loop, after the
page has painted; the Handoff, Success plan, Renewal and Value tabs are built when first
shown. Without a runner (a page built on its own), it is complete when constructed.

Edits save to the database at once, through the services, each as an undoable command
(QUndoStack). Every save carries the version the page last saw, so a record changed
underneath (another window, a team mate) gives a conflict message and a reload, never a
silent overwrite.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QIcon,
    QKeySequence,
    QPainter,
    QPixmap,
    QShortcut,
    QUndoCommand,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.models.enums import ActivityKind, AdvocacyLevel, LifecycleStage, Sentiment
from csdesk.services import history
from csdesk.services.book import account_detail
from csdesk.services.formatting import NOT_ENOUGH_DATA, SEGMENT_LABELS, format_money_both
from csdesk.services.health.scoring import Explanation, explain
from csdesk.services.renewals.outcomes import churn_record
from csdesk.services.worklist.today import account_tasks
from csdesk.ui.history_dialog import HistoryDialog
from csdesk.ui.named_tabs import add_named_tab, show_tab
from csdesk.ui.pulse_dialog import PulseStrip
from csdesk.ui.theme import BAND_COLOURS, error_label

if TYPE_CHECKING:
    from csdesk.ui.handoff_pane import HandoffPane
    from csdesk.ui.plan_editor import PlanEditor
    from csdesk.ui.renewal_pane import RenewalPane
    from csdesk.ui.tasks import TaskError, TaskRunner
    from csdesk.ui.value_pane import ValuePane

KIND_LABEL = {k.value: "QBR" if k.value == "qbr" else k.value.capitalize()
              for k in ActivityKind}
# Each kind of activity: a glyph (DejaVu Sans has them all) on a disc of its colour.
KIND_GLYPH = {"call": ("☎", "#2563eb"), "meeting": ("☷", "#7c3aed"),
              "email": ("✉", "#0891b2"), "note": ("✎", "#6b7280"),
              "qbr": ("★", "#d97706"), "onsite": ("⌂", "#16a34a")}
# The key roles at a glance, in the order a CSM asks about them.
KEY_ROLES = (("is_champion", "Champion"), ("is_executive_sponsor", "Executive sponsor"),
             ("is_economic_buyer", "Economic buyer"))
# Most tasks listed at a glance before the list scrolls.
GLANCE_TASKS = 4


@functools.cache
def kind_icon(kind: str, px: int = 20) -> QIcon:
    """A small round icon for a kind of activity (drawn once: no image files, any
    platform)."""
    glyph, colour = KIND_GLYPH.get(kind, ("•", "#6b7280"))
    pixmap = QPixmap(px, px)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(0, 0, px, px)
    font = QFont()
    font.setPixelSize(int(px * 0.62))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, glyph)
    painter.end()
    return QIcon(pixmap)


def _label(text: str, *, bold: bool = False, size: float = 1.0) -> QLabel:
    label = QLabel(text)
    # Names and values are the book's text: "AT&T <Legacy>" is shown as typed, not as HTML.
    label.setTextFormat(Qt.TextFormat.PlainText)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * size)
    if bold:
        font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


CHURNED = "churned"  # the Stage box's item for a churned account (not a lifecycle stage)


class AccountFieldCommand(QUndoCommand):
    """Change one field of the account (undo puts the old value back)."""

    def __init__(self, page: AccountPage, name: str, old: Any, new: Any) -> None:
        super().__init__(f"change {name.replace('_', ' ')}")
        self.page, self.name, self.old, self.new = page, name, old, new

    def redo(self) -> None:
        self._save(self.new)

    def undo(self) -> None:
        self._save(self.old)

    def _save(self, value: Any) -> None:
        try:
            self.page.version = account_detail.update_account(self.page.db, self.page.account_id,
                                                              {self.name: value}, self.page.version)
        except CsdeskError as exc:
            self.setObsolete(True)
            self.page.show_problem(exc)
        self.page.reload_header()
        self.page.changed.emit()


class ContactCommand(QUndoCommand):
    """Add, edit or delete a contact; undo reverses it (a deleted contact comes back)."""

    def __init__(self, page: AccountPage, action: str, before: account_detail.ContactRow | None,
                 data: dict[str, Any] | None) -> None:
        super().__init__(f"{action} contact")
        self.page, self.action, self.before, self.data = page, action, before, data
        self.current: account_detail.ContactRow | None = before

    def redo(self) -> None:
        db, acc = self.page.db, self.page.account_id
        try:
            if self.action == "add":
                self.current = account_detail.add_contact(db, acc, self.data or {})
            elif self.action == "edit":
                assert self.current is not None
                self.current = account_detail.update_contact(db, self.current.id, self.data or {},
                                                             self.current.version)
            else:
                assert self.current is not None
                account_detail.delete_contact(db, self.current.id, self.current.version)
        except CsdeskError as exc:
            self.setObsolete(True)
            self.page.show_problem(exc)
        self.page.reload_contacts()
        self.page.changed.emit()

    def undo(self) -> None:
        db, acc = self.page.db, self.page.account_id
        try:
            if self.action == "add":
                assert self.current is not None
                account_detail.delete_contact(db, self.current.id, self.current.version)
            elif self.action == "edit":
                assert self.current is not None and self.before is not None
                back = {f: getattr(self.before, f) for f in account_detail.CONTACT_FIELDS}
                self.current = account_detail.update_contact(db, self.current.id, back,
                                                             self.current.version)
            else:
                assert self.before is not None
                self.current = account_detail.restore_contact(db, acc, self.before)
        except CsdeskError as exc:
            self.page.show_problem(exc)
        self.page.reload_contacts()
        self.page.changed.emit()


class ContactDialog(QDialog):
    """Add or edit a contact; the form says which field is wrong, it never crashes."""

    def __init__(self, parent: QWidget, row: account_detail.ContactRow | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit contact" if row else "Add contact")
        self.name = QLineEdit(row.name if row else "")
        self.email = QLineEdit(row.email or "" if row else "")
        self.title = QLineEdit(row.title or "" if row else "")
        self.champion = QCheckBox("Champion")
        self.sponsor = QCheckBox("Executive sponsor")
        self.buyer = QCheckBox("Economic buyer")
        self.left = QCheckBox("Has left the company")
        for box, on in ((self.champion, row and row.is_champion),
                        (self.sponsor, row and row.is_executive_sponsor),
                        (self.buyer, row and row.is_economic_buyer),
                        (self.left, row and row.left_company)):
            box.setChecked(bool(on))
        self.sentiment = QComboBox()
        for s in Sentiment:
            self.sentiment.addItem(s.value.capitalize(), s.value)
        self.sentiment.setCurrentIndex(self.sentiment.findData(row.sentiment if row else
                                                               "unknown"))
        self.advocacy = QComboBox()
        for a in AdvocacyLevel:
            self.advocacy.addItem(a.value.capitalize(), a.value)
        self.advocacy.setCurrentIndex(self.advocacy.findData(row.advocacy_level if row else
                                                             "none"))
        self.problem = error_label()
        roles = QHBoxLayout()
        for box in (self.champion, self.sponsor, self.buyer):
            roles.addWidget(box)
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("E-mail", self.email)
        form.addRow("Title", self.title)
        form.addRow("Roles", roles)
        form.addRow("Sentiment", self.sentiment)
        form.addRow("Advocacy", self.advocacy)
        form.addRow("", self.left)
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def data(self) -> dict[str, Any]:
        return {"name": self.name.text(), "email": self.email.text(),
                "title": self.title.text() or None, "is_champion": self.champion.isChecked(),
                "is_executive_sponsor": self.sponsor.isChecked(),
                "is_economic_buyer": self.buyer.isChecked(),
                "sentiment": self.sentiment.currentData(),
                "advocacy_level": self.advocacy.currentData(),
                "left_company": self.left.isChecked()}

    def _check(self) -> None:
        try:
            account_detail._validate_contact(self.data())
        except account_detail.ValidationError as exc:
            self.problem.setText(str(exc))
            {"name": self.name, "email": self.email}.get(exc.field, self.name).setFocus()
            return
        self.accept()


# Room around the overview's charts, in pixels: left (counts up to 5 digits), top (the
# title), right, bottom (concise dates on two lines).
CHART_MARGINS = (44, 26, 12, 40)
CHART_HEIGHT_PX = 208  # a Chart's least height (2.6 in at 80 px)

# The Contacts and Timeline tabs' widgets, built with their tab (see AccountPage.__getattr__).
LAZY_WIDGETS = {
    **dict.fromkeys(("contact_table",), "contacts"),
    **dict.fromkeys(("kind_filter", "tone_filter", "period_filter", "timeline_search",
                     "quick_kind", "quick_text", "quick_proactive", "quick_contacts",
                     "timeline_list", "timeline_empty", "timeline_items"), "timeline"),
}


class AccountPage(QWidget):
    """One account; ``changed`` fires after any saved edit (the book list refreshes);
    ``completed`` once its health explanation and charts are in (see the module)."""

    changed = Signal()
    report_requested = Signal(str)  # qbr | deck | value | plan
    completed = Signal()
    task_requested = Signal(int)  # a task double-clicked at a glance: show it on Today

    def __init__(self, db: Database, account_id: int, parent: QWidget | None = None, *,
                 runner: TaskRunner | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.account_id = account_id
        self.runner = runner
        self.is_complete = False
        self._filled: set[str] = set()
        self.explanation: Explanation | None = None
        self._panes: dict[str, QWidget] = {}
        self._holders: dict[str, tuple[QWidget, Callable[[], QWidget]]] = {}
        self.undo_stack = QUndoStack(self)
        self.facts = account_detail.account_facts(db, account_id)
        self.version = self.facts.header.version

        self.title = _label("", bold=True, size=1.6)
        self.badge = _label("", bold=True, size=1.2)
        self.subtitle = QLabel()
        self.subtitle.setTextFormat(Qt.TextFormat.PlainText)
        self.owner = QLineEdit()
        self.owner.setPlaceholderText("Owner")
        self.owner.editingFinished.connect(self._owner_edited)
        self.stage = QComboBox()
        for s in LifecycleStage:
            self.stage.addItem(s.label, s.value)
        self.stage.activated.connect(self._stage_edited)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addSpacing(12)
        top.addWidget(self.badge)
        top.addStretch(1)
        self.report_button = QToolButton()
        self.report_button.setText("Reports")
        self.report_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.report_button)
        for key, label in (("qbr", "QBR (PDF)…"), ("deck", "QBR deck (PowerPoint)…"),
                           ("value", "Value report…"), ("plan", "Success plan PDF…")):
            menu.addAction(label, lambda k=key: self.report_requested.emit(k))
        self.report_button.setMenu(menu)
        top.addWidget(self.report_button)
        self.history_button = QToolButton()
        self.history_button.setText("History…")
        self.history_button.setToolTip("Every change an import or an edit made to this account")
        self.history_button.clicked.connect(self.show_history)
        top.addWidget(self.history_button)
        self.qbr_button = QToolButton()
        self.qbr_button.setText("QBRs…")
        self.qbr_button.setToolTip("Record a QBR held with this account; past QBRs and their "
                                   "commitments")
        self.qbr_button.clicked.connect(self.show_qbrs)
        top.addWidget(self.qbr_button)
        self.requests_button = QToolButton()
        self.requests_button.setText("Requests…")
        self.requests_button.setToolTip("The account's feature requests and product gaps, "
                                        "with the product team's status; log a new one")
        self.requests_button.clicked.connect(self.show_requests)
        top.addWidget(self.requests_button)
        # The facts line wraps beside the two fields a CSM edits most, which keep their room
        # (a long name and the buttons above no longer squeeze the owner to "üller").
        self.subtitle.setWordWrap(True)
        self.owner.setMinimumWidth(self.owner.fontMetrics().horizontalAdvance("M" * 12))
        facts = QHBoxLayout()
        facts.addWidget(self.subtitle, 1)
        facts.addSpacing(12)
        facts.addWidget(QLabel("Owner"))
        facts.addWidget(self.owner)
        facts.addWidget(QLabel("Stage"))
        facts.addWidget(self.stage)

        self.tabs = QTabWidget()
        # The key contacts at a glance read the account's contacts; the Contacts tab's table
        # shows the same rows when it is built.
        self.contact_rows = account_detail.contacts(db, account_id)
        add_named_tab(self.tabs, self._overview(), "overview", "Overview")
        self._show_key_contacts()
        # Built when first shown (or first asked for, ``__getattr__``): most visits read the
        # overview only.
        self._later_tab("contacts", "Contacts", self._contacts_tab)
        self._later_tab("timeline", "Timeline", self._timeline_tab)
        QShortcut(QKeySequence("Ctrl+L"), self, activated=self._focus_note)
        self._later_tab("handoff", "Handoff", self._build_handoff)
        self._later_tab("plan", "Success plan", self._build_plan)
        self._later_tab("renewal", "Renewal && expansion", self._build_renewal)
        self._later_tab("value", "Value delivered", self._build_value)
        self.tabs.currentChanged.connect(lambda i: self._pane_at(i))
        col = QVBoxLayout(self)
        col.setContentsMargins(16, 12, 16, 12)
        col.addLayout(top)
        col.addLayout(facts)
        col.addWidget(self.tabs, 1)
        self.reload_header(self.facts.header)  # read a moment ago: not read twice
        if runner is None:
            self._show_explanation(self._explain())
            self._draw_charts()
        else:  # once the page has painted: the worker's pandas (and the interpreter lock
            # it holds) would slow the painting; a page never shown starts all the same
            self._explaining: Any = None
            self.title.installEventFilter(self)
            QTimer.singleShot(500, self, self._start_explaining)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.title and event.type() == QEvent.Type.Paint:
            self.title.removeEventFilter(self)
            QTimer.singleShot(0, self, self._start_explaining)
        return super().eventFilter(watched, event)

    def _start_explaining(self) -> None:
        assert self.runner is not None
        if self._explaining is not None:  # painted, or the half second passed: once
            return
        self._explaining = self.runner.submit(
            "Explaining the account's health", self._explain, reading=True,
            on_done=self._explained, on_failed=self._explain_failed)

    # -- filling in -----------------------------------------------------------------------

    def _explain(self) -> Explanation | None:
        """Today's health inputs of this account (a task: it runs on the reading lane)."""
        try:
            return explain(self.db, self.facts.header.external_id)
        except CsdeskError:
            return None

    def _explained(self, e: Explanation | None) -> None:
        self._show_explanation(e)
        # The charts after the breakdown has painted, one per turn, so the page stays live.
        QTimer.singleShot(0, self, self._draw_charts)

    def _explain_failed(self, error: TaskError) -> None:
        self.summary_label.setText(f"Could not read today's health inputs: {error}")
        self._filled.add("explanation")
        QTimer.singleShot(0, self, self._draw_charts)

    def _later_tab(self, name: str, title: str, build: Callable[[], QWidget]) -> None:
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        add_named_tab(self.tabs, holder, name, title)
        self._holders[name] = (holder, build)

    def _pane(self, name: str) -> QWidget:
        """The tab's pane, built into its place the first time it is asked for."""
        pane = self._panes.get(name)
        if pane is None:
            holder, build = self._holders[name]
            pane = self._panes[name] = build()
            layout = holder.layout()
            assert layout is not None
            layout.addWidget(pane)
            if holder.isVisible():  # a child added to a shown widget stays hidden till told
                pane.show()
        return pane

    def _pane_at(self, index: int) -> None:
        for name, (holder, _build) in self._holders.items():
            if self.tabs.widget(index) is holder:
                self._pane(name)

    def _build_handoff(self) -> QWidget:
        from csdesk.ui.handoff_pane import HandoffPane

        pane = HandoffPane(self.db, self.account_id)
        pane.saved.connect(self._handoff_saved)
        return pane

    def _handoff_saved(self) -> None:
        if "plan" in self._panes:
            self.plan.refresh_plans(select=self.plan.plans.currentData())
        self.reload_header()

    def _build_plan(self) -> QWidget:
        from csdesk.ui.plan_editor import PlanEditor

        pane = PlanEditor(self.db, self.account_id, self.facts.header.segment,
                          self.undo_stack)
        pane.objective_achieved.connect(self.offer_value)
        return pane

    def _build_renewal(self) -> QWidget:
        from csdesk.ui.renewal_pane import RenewalPane

        pane = RenewalPane(self.db, self.account_id)
        pane.changed.connect(lambda: (self.reload_header(), self.changed.emit()))
        return pane

    def _build_value(self) -> QWidget:
        from csdesk.ui.value_pane import ValuePane

        return ValuePane(self.db, self.account_id)

    def __getattr__(self, name: str) -> Any:
        """A widget of the Contacts or Timeline tab asked for before the tab was shown: the
        tab is built then (as the first showing would), and the widget returned."""
        tab = LAZY_WIDGETS.get(name)
        if tab is None or tab in self.__dict__.get("_panes", {}):
            raise AttributeError(name)
        self._pane(tab)
        return self.__dict__[name]

    @property
    def handoff(self) -> HandoffPane:
        return self._pane("handoff")  # type: ignore[return-value]

    @property
    def plan(self) -> PlanEditor:
        return self._pane("plan")  # type: ignore[return-value]

    @property
    def renewal(self) -> RenewalPane:
        return self._pane("renewal")  # type: ignore[return-value]

    @property
    def value(self) -> ValuePane:
        return self._pane("value")  # type: ignore[return-value]

    # -- header -------------------------------------------------------------------------

    def open_tab(self, name: str) -> QWidget:
        """Show a tab by name: overview, contacts, timeline, handoff, plan, renewal, value."""
        shown = show_tab(self.tabs, name, "an account view")
        return self._pane(name) if name in self._holders else shown

    def current_pane(self) -> QWidget:
        """The pane of the tab in front (a later-built tab's pane, not its holder)."""
        index = self.tabs.currentIndex()
        self._pane_at(index)
        for name, (holder, _build) in self._holders.items():
            if self.tabs.widget(index) is holder:
                return self._panes[name]
        return self.tabs.currentWidget()

    def commit_edits(self) -> None:
        """Save whatever is mid-edit before the page goes away: nothing typed is lost."""
        if "plan" in self._panes:
            self.plan.commit_open_edits()
        if "handoff" in self._panes and self.handoff.has_unsaved_changes():
            self.handoff.save()

    def reload_header(self, header: Any = None) -> None:
        h = header or account_detail.account_facts(self.db, self.account_id).header
        self.version = h.version
        self.title.setText(h.name)
        renewal = "no renewal pending" if h.renewal_date is None else (
            f"renews {h.renewal_date:%d %b %Y} ({(h.renewal_date - clock.today()).days} days, "
            f"{(h.renewal_track or 'standard').replace('_', '-')} track)")
        self.subtitle.setText(
            f"{h.external_id} · {SEGMENT_LABELS.get(h.segment, h.segment)}"
            f"{' (set by hand)' if h.segment_overridden else ''} · "
            f"{h.engagement_model.replace('_', '-')} · "
            + ("ARR unknown" if h.segment == "unsegmented" and not h.arr_cents
               else f"ARR — ({h.arr_note.split(' on or before')[0]})"
               if h.arr_base_cents is None and h.arr_note and h.currency == h.base_currency
               else "ARR " + format_money_both(h.arr_cents, h.currency, h.arr_base_cents,
                                                h.base_currency))
            + f" · {renewal} · "
            + (f"last touch {h.last_touch:%d %b %Y}" if h.last_touch else "no touch yet")
            + (" · CHURNED" if h.status == "churned" else "")
            + (" · ⚠ sales handoff incomplete" if self._handoff_incomplete(h) else ""))
        self.owner.setText(h.owner or "")
        self._show_stage(h)
        self.account_header = h
        self._history_tips()
        if h.arr_note:  # the line's ARR: the rate it was converted at, or the one missing
            self.subtitle.setToolTip(f"ARR: {h.arr_note}\n{self.subtitle.toolTip()}")

    def _show_stage(self, h: Any) -> None:
        """The stage as the account stands (``account_detail.standing``): a churned
        account reads "Churned on …", not the Renewal stage it had, and is not staged."""
        churned = h.status == "churned"
        at = self.stage.findData(CHURNED)
        if churned and at < 0:
            self.stage.addItem("", CHURNED)
            at = self.stage.count() - 1
        elif not churned and at >= 0:
            self.stage.removeItem(at)
        if churned:
            self.stage.setItemText(at, account_detail.standing(h))
            self.stage.setCurrentIndex(at)
        else:
            self.stage.setCurrentIndex(self.stage.findData(h.lifecycle_stage))
        self.stage.setEnabled(not churned)

    def _history_tips(self) -> None:
        """Each editable field's recent changes on hover; the whole list is History…"""
        for widget, field, what in ((self.owner, "owner", "Owner"),
                                    (self.stage, "lifecycle_stage", "Lifecycle stage"),
                                    (self.subtitle, "segment", "Segment")):
            # one field at a time: each read is one index range, whatever the book's size
            recent = history.recent_changes_text(
                history.field_history(self.db, "accounts", self.account_id, field), field)
            widget.setToolTip(f"{what}: recent changes\n{recent}" if recent else
                              f"{what}: no change recorded")

    def show_history(self) -> HistoryDialog:
        """The account's field history, in a small dialog (not modal)."""
        dialog = HistoryDialog(self.db, self.account_id, self.account_header.name, self)
        dialog.open()
        return dialog

    def show_qbrs(self) -> None:
        """Past QBRs and a new one (modal); the success plan shows new commitments after."""
        from csdesk.ui.qbr_meeting_dialog import QbrMeetingDialog

        h = self.account_header
        dialog = QbrMeetingDialog(self, self.db, self.account_id, h.name, h.owner)
        touched: list[bool] = []
        dialog.recorded.connect(lambda: touched.append(True))
        dialog.exec()
        if touched:
            if "plan" in self._panes:  # otherwise it reads them when first shown
                self.plan.refresh_plans(select=self.plan.plans.currentData())
            self.changed.emit()
    def show_requests(self) -> int:
        """The account's asks and a form to log one (modal); returns the dialog's result."""
        from csdesk.ui.requests_dialog import RequestsDialog

        dialog = RequestsDialog(self, self.db, self.account_id, self.facts.header.name)
        result = dialog.exec()
        if dialog.logged:
            self.changed.emit()
        return result

    def _handoff_incomplete(self, h: account_detail.Header) -> bool:
        from csdesk.services.plans.handoff import get_handoff

        return h.lifecycle_stage == "onboarding" and not get_handoff(
            self.db, self.account_id).complete

    def offer_value(self, objective_id: int) -> None:
        """An objective was achieved: offer to log the value it delivered, pre-filled."""
        from csdesk.services.plans.value import prefill_from_objective, value_logged_for

        if value_logged_for(self.db, objective_id):
            return  # already logged: achieving it again (say after an override) is not news
        answer = QMessageBox.question(
            self, "Objective achieved", "Log the value this objective delivered? "
            "(Its KPI before and after are filled in.)")
        if answer == QMessageBox.StandardButton.Yes:
            self.open_tab("value")
            self.value.log(prefill_from_objective(self.db, objective_id))

    def _owner_edited(self) -> None:
        new = self.owner.text().strip()
        if new and new != (self.account_header.owner or ""):
            self.undo_stack.push(AccountFieldCommand(self, "owner", self.account_header.owner, new))

    def _stage_edited(self) -> None:
        new = self.stage.currentData()
        if new != self.account_header.lifecycle_stage:
            self.undo_stack.push(AccountFieldCommand(self, "lifecycle_stage",
                                                     self.account_header.lifecycle_stage, new))

    def show_problem(self, exc: Exception) -> None:
        QMessageBox.warning(self, "Not saved", str(exc))

    # -- overview -----------------------------------------------------------------------

    def _overview(self) -> QWidget:
        """The overview as far as the facts read at once go; ``_show_explanation`` and
        ``_draw_charts`` fill in the rest."""
        body = QWidget()
        grid = QGridLayout(body)
        self._grid = grid
        shown = [(d, sc, b) for d, sc, b in self.facts.health if d <= clock.today()]
        scored = shown if shown and shown[-1][1] is not None else []
        live = self.facts.header.status != "churned"
        # The badge as the book has it, at once; the explanation adds the why.
        if live and scored:
            _when, score, band = scored[-1]
            colour = BAND_COLOURS.get(band or "", BAND_COLOURS["yellow"]).name()
            self.badge.setText(f"● {score:.0f} {band}")
            self.badge.setStyleSheet(f"color: {colour};")
        else:
            self.badge.setText("● churned" if not live else f"● {NOT_ENOUGH_DATA}" if shown
                               else "● not scored yet")
            self.badge.setStyleSheet("color: palette(mid);" if not live else
                                     "color: #8a8f98;")
        self.summary_label = _label("Reading today's health inputs…", bold=True)
        self.summary_label.setWordWrap(True)  # a long churn reason wraps, never scrolls
        grid.addWidget(self.summary_label, 0, 0, 1, 2)
        # The CSM's own pulse, beside the computed health and never blended into it.
        self.pulse = PulseStrip(self.db, self.account_id, self.facts.header.name,
                                scored[-1][2] if live and scored else None)
        self.pulse.saved.connect(self.changed.emit)
        grid.addWidget(self.pulse, 1, 0, 1, 2)
        self.breakdown = QTableWidget(0, 6)
        self.breakdown.setHorizontalHeaderLabels(["Input", "Value", "Weight", "Points",
                                                  "Raw value", "Note"])
        self.breakdown.horizontalHeaderItem(1).setToolTip("The input on a 0–100 scale")
        self.breakdown.horizontalHeaderItem(4).setToolTip("What was measured, in words")
        self.breakdown.verticalHeader().hide()
        self.breakdown.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.breakdown.setWordWrap(True)
        head = self.breakdown.horizontalHeader()
        for c in (1, 2, 3):
            head.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.breakdown.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.breakdown.setColumnWidth(0, 150)
        self.breakdown.setColumnWidth(5, 110)
        # Long words wrap onto a second line: each row as tall as its text needs.
        self.breakdown.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.breakdown.setMinimumHeight(300)
        grid.addWidget(self.breakdown, 2, 0)
        f = self.facts
        facts = [("Time to first value", "not reached" if f.ttv_days is None else
                  f"{f.ttv_days} days"),
                 ("Last QBR", "none" if f.last_qbr is None else f"{f.last_qbr:%d %b %Y}"),
                 ("NPS", ", ".join(str(s) for _, s in f.nps[-4:]) or "no answers"),
                 ("Open tickets", str(f.open_tickets))]
        box = QFormLayout()
        for k, v in facts:
            box.addRow(_label(k), _label(v, bold=True))
        self.adoption_value = _label("…", bold=True)
        box.addRow(_label("Adoption score"), self.adoption_value)
        side = QWidget()
        right = QVBoxLayout(side)
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self._glance())
        right.addLayout(box)
        right.addStretch(1)
        grid.addWidget(side, 2, 1)
        grid.setColumnStretch(0, 2)  # the breakdown's words need the room
        grid.setColumnStretch(1, 1)
        # The charts' places, kept at their size so nothing jumps when they are drawn.
        # Two equal columns of their own, whatever the split above.
        self._chart_slots = []
        charts = QGridLayout()
        for i in range(4):
            slot = QWidget()
            slot.setMinimumHeight(CHART_HEIGHT_PX)
            charts.addWidget(slot, i // 2, i % 2)
            self._chart_slots.append(slot)
        grid.addLayout(charts, 3, 0, 1, 2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        return scroll

    def _show_explanation(self, e: Explanation | None) -> None:
        """The summary line, the badge's why and the breakdown, from today's inputs."""
        self.explanation = e
        # The badge shows the account's health as the book does (its latest score up to
        # today); the breakdown explains today's inputs and says so when they differ.
        shown = [(d, sc, b) for d, sc, b in self.facts.health if d <= clock.today()]
        scored = shown if shown and shown[-1][1] is not None else []
        if e is not None and e.churned_on is None and shown and not scored:
            # The latest score found too little evidence: the book says so, and so does this.
            self.badge.setText(f"● {NOT_ENOUGH_DATA}")
            self.badge.setStyleSheet("color: #8a8f98;")
            summary = e.evidence_text().capitalize() + "."
            if e.score is not None:
                summary = (f"Not enough data when last scored; today's inputs give "
                           f"{e.score:.0f} ({e.band}): recompute health (Ctrl+R) to score it.")
        elif e is not None and e.churned_on is None and scored:
            when, score, band = scored[-1]
            colour = BAND_COLOURS.get(band or "", BAND_COLOURS["yellow"]).name()
            self.badge.setText(f"● {score:.0f} {band}")
            self.badge.setStyleSheet(f"color: {colour};")
            drag = next((line.label for line in e.lines if line.name == e.drag), "—")
            summary = (f"Health {score:.0f} ({band}), scored {when:%d %b %Y}, rests on "
                       f"{e.inputs_present} of {e.inputs_total} inputs; {drag.lower()} "
                       "pulls it down most.")
            if e.score is not None and round(e.score) != round(score):
                summary += (f" Today's inputs give {e.score:.0f}; recompute health "
                            "(Ctrl+R) to score it again.")
        elif e is not None and e.churned_on is None and e.score is not None:
            self.badge.setText("● not scored yet")
            summary = (f"Not scored yet: today's inputs would give {e.score:.0f} ({e.band}) "
                       f"from {e.inputs_present} of {e.inputs_total} inputs; recompute "
                       "health (Ctrl+R) to score it.")
        elif e is not None and e.score is not None:  # churned: its last health, below
            drag = next((line.label for line in e.lines if line.name == e.drag), "—")
            summary = (f"Health {e.score:.0f} ({e.band}) rests on {e.inputs_present} of "
                       f"{e.inputs_total} inputs; {drag.lower()} pulls it down most.")
        elif e is not None and e.churned_on is None:  # never scored, as the book says
            self.badge.setText("● not scored yet")
            self.badge.setStyleSheet("color: #8a8f98;")
            summary = f"Not scored yet, and today's inputs would give {e.evidence_text()}."
        else:
            self.badge.setText("● no score")
            summary = "No health score: not enough data yet (missing inputs are not counted)."
        if e is not None and e.churned_on is not None:
            # A churned account: its churn record, and its last health, never a live colour.
            record = churn_record(self.db, self.account_id)
            why = "" if record is None else f": {record.reason}" + (
                f" ({record.category})" if record.category else "")
            last = "" if e.score is None else f"{e.score:.0f} "
            self.badge.setText(f"● churned (last health {last}{e.band or 'unknown'})")
            self.badge.setStyleSheet("color: palette(mid);")
            summary = (f"Churned on {e.churned_on:%d %b %Y}{why}. Its last health, on "
                       f"{e.as_of:%d %b %Y}: " + summary.removeprefix("Health "))
        self.summary_label.setText(summary)
        live = e is not None and e.churned_on is None
        if live and not scored and e is not None:  # the pulse compares with today's band
            self.pulse.band = e.band
            self.pulse.reload()
        if e is not None:
            self.breakdown.setRowCount(len(e.lines))
            for r, line in enumerate(e.lines):
                note = "missing — not counted" if line.value is None else ""
                if line.stale:
                    note = "stale: recorded long ago"
                if line.name == e.drag:
                    note = "pulls the score down most"
                cells = (line.label, "—" if line.value is None else f"{line.value:.0f}",
                         f"{line.weight:g}", "—" if line.points is None else
                         f"{line.points:.1f}", line.detail or "—", note)
                for c, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    if c in (1, 2, 3):
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight |
                                              Qt.AlignmentFlag.AlignVCenter)
                    if c in (4, 5) and text not in ("", "—"):
                        item.setToolTip(text)  # whole, should the column be narrow
                    self.breakdown.setItem(r, c, item)
        self.adoption_value.setText("—" if e is None or e.adoption_score is None else
                                    f"{e.adoption_score:.0f}")
        self._filled.add("explanation")
        self._check_complete()

    # -- at a glance --------------------------------------------------------------------

    def _glance(self) -> QWidget:
        """The account's open tasks and key contacts, beside the health breakdown."""
        box = QWidget()
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(4)
        self.tasks_summary = _label("", bold=True)
        self.tasks_summary.setToolTip("Open tasks of this account on the Today worklist; "
                                      "double-click one to see it there")
        self.glance_tasks = QListWidget()
        self.glance_tasks.setFrameShape(QListWidget.Shape.NoFrame)
        self.glance_tasks.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        # A long title ends in "…" (its tooltip has it whole), never a sideways scroll bar.
        self.glance_tasks.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.glance_tasks.setUniformItemSizes(True)
        self.glance_tasks.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.glance_tasks.itemDoubleClicked.connect(self._task_clicked)
        self.glance_tasks.itemActivated.connect(self._task_clicked)
        contacts_title = _label("Key contacts", bold=True)
        self.key_contacts = QVBoxLayout()
        self.key_contacts.setSpacing(2)
        self.key_contact_labels: list[QLabel] = []
        for w in (self.tasks_summary, self.glance_tasks):
            col.addWidget(w)
        col.addSpacing(6)
        col.addWidget(contacts_title)
        col.addLayout(self.key_contacts)
        col.addSpacing(6)
        self.reload_tasks()
        return box

    def reload_tasks(self) -> None:
        """The account's open tasks, as Today lists them: soonest due first."""
        found = account_tasks(self.db, self.account_id)
        self.open_task_rows = found.tasks
        self.tasks_summary.setText(found.summary())
        self.glance_tasks.clear()
        late = QColor("#dc2626")
        for t in found.tasks:
            overdue = t.due is not None and t.due < found.today
            due = "no due date" if t.due is None else (
                f"overdue since {t.due:%d %b %Y}" if overdue else
                "due today" if t.due == found.today else f"due {t.due:%d %b %Y}")
            item = QListWidgetItem(f"{'⚠ ' if overdue else ''}{t.title} — {due}")
            item.setData(Qt.ItemDataRole.UserRole, t.id)
            item.setToolTip(f"{t.title}\n{due} · {t.priority}"
                            + (f"\n{t.reason}" if t.reason else ""))
            if overdue:
                item.setForeground(late)
            self.glance_tasks.addItem(item)
        self.glance_tasks.setVisible(bool(found.tasks))
        rows = min(len(found.tasks), GLANCE_TASKS)
        # Room for each row as the style draws it (its padding included), so the last is
        # never cut in half.
        row = max(self.glance_tasks.sizeHintForRow(0),
                  self.glance_tasks.fontMetrics().height() + 8)
        self.glance_tasks.setFixedHeight(
            rows * row + 2 * self.glance_tasks.frameWidth() + 4 if rows else 0)

    def _task_clicked(self, item: QListWidgetItem) -> None:
        task_id = item.data(Qt.ItemDataRole.UserRole)
        if task_id is not None:
            self.task_requested.emit(int(task_id))

    def _show_key_contacts(self) -> None:
        """Champion, executive sponsor and economic buyer: who, their title, when last
        touched; one who has left says so; a role no one holds says where to add one."""
        for old in self.key_contact_labels:
            self.key_contacts.removeWidget(old)
            old.deleteLater()
        lines: list[tuple[str, str | None, str]] = []  # text, colour, tooltip
        for flag, role in KEY_ROLES:
            people = [c for c in self.contact_rows if getattr(c, flag)]
            if not people:
                lines.append((f"No {role.lower()} recorded — add one on Contacts",
                              "palette(placeholder-text)", ""))
            for c in people:
                touched = ("never touched" if c.last_contacted is None else
                           f"last touched {c.last_contacted:%d %b %Y}")
                title = f", {c.title}" if c.title else ""
                text = f"{role}: {c.name}{title} · {touched}"
                if c.left_company:
                    lines.append((text + " · left the company", "#b45309",
                                  f"{c.name} has left the company: find a new "
                                  f"{role.lower()}"))
                else:
                    lines.append((text, None, ""))
        self.key_contact_labels = []
        for text, colour, tip in lines:
            label = _label(text)
            label.setWordWrap(True)
            if colour:
                label.setStyleSheet(f"color: {colour};")
            label.setToolTip(tip)
            self.key_contacts.addWidget(label)
            self.key_contact_labels.append(label)

    def _draw_charts(self) -> None:
        """Four small charts of the account's history; their tick labels are dates and small
        numbers, so fixed margins (``CHART_MARGINS``) stand in for constrained layout. Each
        takes the place kept for it."""
        from csdesk.ui.charts import Chart

        f = self.facts

        def none(values: list[Any]) -> bool:
            return all(v is None for v in values)

        scored = [(d, s) for d, s, _ in f.health if s is not None]
        e = self.explanation
        # A churned account: the chart ends on the last health the header gives (computed
        # from its inputs the day before it churned), marked as computed, when no score was
        # stored on that day or after it.
        last = (e.as_of, e.score) if (e is not None and e.score is not None
                                      and e.churned_on is not None
                                      and (not scored or scored[-1][0] < e.as_of)) else None

        def draw_health(ax: Any) -> None:
            ax.plot([d for d, _s in scored], [s for _d, s in scored], marker="o",
                    color="#2563eb")
            if last is not None:
                if scored:  # from the last stored score to the computed one
                    ax.plot([scored[-1][0], last[0]], [scored[-1][1], last[1]],
                            color="#2563eb", linestyle=":")
                ax.plot([last[0]], [last[1]], marker="o", markerfacecolor="none",
                        color="#2563eb", linestyle="none",
                        label=f"last health, computed for {last[0]:%d %b %Y}"
                              + ("" if scored else " (none stored)"))
                ax.legend(fontsize=8, loc="lower left")
                if not scored:  # one day: a month either side, ticked by month as elsewhere
                    from matplotlib.dates import DateFormatter, MonthLocator

                    ax.set_xlim(last[0] - timedelta(days=30), last[0] + timedelta(days=30))
                    ax.xaxis.set_major_locator(MonthLocator())
                    ax.xaxis.set_major_formatter(DateFormatter("%b %Y"))
            ax.axhspan(70, 100, color="#16a34a", alpha=0.08)
            ax.axhspan(0, 40, color="#dc2626", alpha=0.08)
            ax.set_ylim(0, 100)

        health = Chart("Health score", margins=CHART_MARGINS)
        health.draw(draw_health, empty=not scored and last is None,
                    empty_text="No score stored while it was a customer"
                    if f.header.status == "churned" else "No data yet")
        users = Chart("Active users and licensed seats", margins=CHART_MARGINS)
        users.draw(lambda ax: (
            ax.plot([u[0] for u in f.usage], [u[1] for u in f.usage], label="active users",
                    color="#2563eb"),
            ax.plot([u[0] for u in f.usage], [u[2] for u in f.usage], label="seats",
                    color="#9ca3af", linestyle="--"), ax.legend(fontsize=8, loc="lower left")),
            empty=none([u[1] for u in f.usage] + [u[2] for u in f.usage]))
        events = Chart("Key value events a week", margins=CHART_MARGINS)
        events.draw(lambda ax: ax.bar([u[0] for u in f.usage], [u[3] or 0 for u in f.usage],
                                      width=5, color="#0891b2"),
                    empty=none([u[3] for u in f.usage]))
        breadth = Chart("Features in use", margins=CHART_MARGINS)
        breadth.draw(lambda ax: ax.plot([u[0] for u in f.usage], [u[4] for u in f.usage],
                                        color="#7c3aed"),
                     empty=none([u[4] for u in f.usage]))
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
        from matplotlib.ticker import MaxNLocator

        for i, chart in enumerate((health, users, events, breadth)):
            for ax in chart.figure.axes:
                if chart.is_empty:
                    continue
                if chart in (breadth, events, users):  # counts: whole numbers only
                    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
                locator = AutoDateLocator(maxticks=6)
                ax.xaxis.set_major_locator(locator)
                ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
            chart.canvas.draw_idle()
            # As tall as its place, no taller: at 1200×800 the first row, date axis and all,
            # is on screen under the breakdown (a taller chart ran its dates off the page).
            chart.setFixedHeight(CHART_HEIGHT_PX)
            slot = self._chart_slots[i]
            self._grid.replaceWidget(slot, chart)
            slot.deleteLater()
        self.charts = (health, users, events, breadth)
        self._filled.add("charts")
        self._check_complete()

    def _check_complete(self) -> None:
        if not self.is_complete and self._filled == {"explanation", "charts"}:
            self.is_complete = True
            self.completed.emit()

    # -- contacts -----------------------------------------------------------------------

    def _contacts_tab(self) -> QWidget:
        page = QWidget()
        self.contact_table = QTableWidget(0, 7)
        self.contact_table.setHorizontalHeaderLabels(
            ["Name", "Title", "Roles", "Sentiment", "Advocacy", "Last contacted", "E-mail"])
        self.contact_table.verticalHeader().hide()
        self.contact_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.contact_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.contact_table.horizontalHeader().setSectionResizeMode(
            6, QHeaderView.ResizeMode.Stretch)
        self.contact_table.setColumnWidth(0, 180)
        self.contact_table.setColumnWidth(1, 200)
        self.contact_table.setColumnWidth(2, 230)
        self.contact_table.doubleClicked.connect(lambda _i: self.edit_contact())
        add = QPushButton("Add…")
        add.clicked.connect(self.add_contact)
        edit = QPushButton("Edit…")
        edit.clicked.connect(self.edit_contact)
        delete = QPushButton("Delete")
        delete.clicked.connect(self.delete_contact)
        buttons = QHBoxLayout()
        for b in (add, edit, delete):
            buttons.addWidget(b)
        buttons.addStretch(1)
        col = QVBoxLayout(page)
        col.addLayout(buttons)
        col.addWidget(self.contact_table, 1)
        self.contact_rows = account_detail.contacts(self.db, self.account_id)
        self._fill_contacts()
        return page

    def reload_contacts(self) -> None:
        self.contact_rows = account_detail.contacts(self.db, self.account_id)
        if "contacts" in self._panes:
            self._fill_contacts()
        if hasattr(self, "key_contacts"):
            self._show_key_contacts()

    def _fill_contacts(self) -> None:
        t = self.contact_table
        t.setRowCount(len(self.contact_rows))
        for r, c in enumerate(self.contact_rows):
            roles = ", ".join(n for n, on in (("champion", c.is_champion),
                                              ("executive sponsor", c.is_executive_sponsor),
                                              ("economic buyer", c.is_economic_buyer)) if on)
            name = c.name + (" (left)" if c.left_company else "")
            cells = (name, c.title or "", roles, c.sentiment, c.advocacy_level,
                     "" if c.last_contacted is None else f"{c.last_contacted:%d %b %Y}",
                     c.email or "")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c.left_company:
                    item.setForeground(Qt.GlobalColor.gray)
                t.setItem(r, col, item)

    def _selected_contact(self) -> account_detail.ContactRow | None:
        rows = self.contact_table.selectionModel().selectedRows()
        return self.contact_rows[rows[0].row()] if rows else None

    def add_contact(self, data: dict[str, Any] | None = None) -> None:
        if data is None:
            dialog = ContactDialog(self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            data = dialog.data()
        self.undo_stack.push(ContactCommand(self, "add", None, data))

    def edit_contact(self, data: dict[str, Any] | None = None) -> None:
        row = self._selected_contact()
        if row is None:
            return
        if data is None:
            dialog = ContactDialog(self, row)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            data = dialog.data()
        self.undo_stack.push(ContactCommand(self, "edit", row, data))

    def delete_contact(self) -> None:
        row = self._selected_contact()
        if row is not None:
            self.undo_stack.push(ContactCommand(self, "delete", row, None))

    # -- timeline -----------------------------------------------------------------------

    def _timeline_tab(self) -> QWidget:
        page = QWidget()
        self.kind_filter = QComboBox()
        self.kind_filter.addItem("All kinds", None)
        for k in ActivityKind:
            self.kind_filter.addItem(kind_icon(k.value, 16), KIND_LABEL[k.value], k.value)
        self.tone_filter = QComboBox()
        for label, value in (("Proactive and reactive", None), ("Proactive only", True),
                             ("Reactive only", False)):
            self.tone_filter.addItem(label, value)
        self.period_filter = QComboBox()
        for label, days in (("All time", None), ("Last 30 days", 30), ("Last 90 days", 90)):
            self.period_filter.addItem(label, days)
        self.timeline_search = QLineEdit()
        self.timeline_search.setPlaceholderText("Search summaries and contacts")
        self.timeline_search.setClearButtonEnabled(True)
        for combo in (self.kind_filter, self.tone_filter, self.period_filter):
            combo.currentIndexChanged.connect(lambda _i: self.show_timeline())
        self.timeline_search.textChanged.connect(lambda _t: self.show_timeline())
        self.quick_kind = QComboBox()
        for k in ("note", "call", "meeting", "email", "qbr", "onsite"):
            self.quick_kind.addItem(kind_icon(k, 16), KIND_LABEL[k], k)
        self.quick_text = QLineEdit()
        self.quick_text.setPlaceholderText("What happened? (Enter to add)")
        self.quick_text.returnPressed.connect(self.add_note)
        self.quick_proactive = QCheckBox("Proactive")
        self.quick_proactive.setChecked(True)
        self.quick_contacts = QComboBox()
        self.quick_contacts.setToolTip("Who took part")
        add = QPushButton("Add")
        add.clicked.connect(self.add_note)
        quick = QHBoxLayout()
        for w in (self.quick_kind, self.quick_text, self.quick_contacts, self.quick_proactive,
                  add):
            quick.addWidget(w)
        quick.setStretch(1, 1)
        # Day headings at the top level, newest first; each day's activities beneath.
        self.timeline_list = QTreeWidget()
        self.timeline_list.setColumnCount(4)
        self.timeline_list.setHeaderLabels(["Kind", "What happened", "With", ""])
        self.timeline_list.setRootIsDecorated(False)
        self.timeline_list.setExpandsOnDoubleClick(False)  # a day never folds away by mistake
        self.timeline_list.setUniformRowHeights(True)
        self.timeline_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.timeline_list.setIconSize(self.timeline_list.iconSize().expandedTo(
            kind_icon("note").availableSizes()[0]))
        head = self.timeline_list.header()
        head.setStretchLastSection(False)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        head.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.timeline_list.setColumnWidth(2, 220)
        self.timeline_empty = QLabel()
        self.timeline_empty.setStyleSheet("color: palette(placeholder-text);")
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        for w in (self.kind_filter, self.tone_filter, self.period_filter):
            top.addWidget(w)
        top.addWidget(self.timeline_search, 1)
        col = QVBoxLayout(page)
        col.addLayout(quick)
        col.addLayout(top)
        col.addWidget(self.timeline_empty)
        col.addWidget(self.timeline_list, 1)
        self._read_timeline()
        return page

    def _focus_note(self) -> None:
        self.open_tab("timeline")
        self.quick_text.setFocus()

    def reload_timeline(self) -> None:
        """Read the account's activities anew, if the Timeline tab is built (else it reads
        them when it is)."""
        if "timeline" in self._panes:
            self._read_timeline()

    def _read_timeline(self) -> None:
        """Read the account's activities (one query) and show those the filters let through;
        the note's contact list offers the account's contacts still there."""
        self.timeline_items = account_detail.timeline(self.db, self.account_id)
        self.show_timeline()
        self.quick_contacts.clear()
        self.quick_contacts.addItem("No contact", None)
        for c in self.contact_rows:
            if not c.left_company:
                self.quick_contacts.addItem(c.name, c.id)

    def timeline_filters(self) -> dict[str, Any]:
        return {"kind": self.kind_filter.currentData(),
                "proactive": self.tone_filter.currentData(),
                "days": self.period_filter.currentData(),
                "text": self.timeline_search.text()}

    def show_timeline(self, select: int | None = None) -> None:
        """The filtered activities under their day's heading ("Today", "Yesterday",
        "Mon 23 Nov 2026"), newest first; ``select`` an activity by id."""
        today = clock.today()
        shown = account_detail.filter_timeline(self.timeline_items, today=today,
                                               **self.timeline_filters())
        tree = self.timeline_list
        tree.clear()
        days: list[QTreeWidgetItem] = []
        quiet = self.palette().placeholderText().color()
        heading_font = QFont(tree.font())
        heading_font.setWeight(QFont.Weight.DemiBold)
        day_item: QTreeWidgetItem | None = None
        chosen: QTreeWidgetItem | None = None
        for a in shown:  # newest first (the service's order)
            if day_item is None or day_item.data(0, Qt.ItemDataRole.UserRole + 1) != \
                    a.occurred_on:
                day_item = QTreeWidgetItem([account_detail.day_heading(a.occurred_on, today)])
                day_item.setData(0, Qt.ItemDataRole.UserRole + 1, a.occurred_on)
                day_item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading: not selectable
                day_item.setFont(0, heading_font)
                days.append(day_item)
            tag = "proactive" if a.proactive else "reactive"
            row = QTreeWidgetItem([KIND_LABEL.get(a.kind, a.kind), a.summary,
                                   ", ".join(a.contacts), tag])
            row.setIcon(0, kind_icon(a.kind))
            row.setData(0, Qt.ItemDataRole.UserRole, a.id)
            row.setForeground(3, quiet)
            row.setToolTip(1, a.summary + (f"\n\n{a.details}" if a.details else ""))
            if a.contacts:
                row.setToolTip(2, ", ".join(a.contacts))
            day_item.addChild(row)
            if a.id == select:
                chosen = row
        tree.addTopLevelItems(days)  # at once: the columns are measured once
        for day_item in days:
            day_item.setFirstColumnSpanned(True)
        tree.expandAll()  # once: an item at a time lays the tree out each time
        if chosen is not None:
            tree.setCurrentItem(chosen)
            tree.scrollToItem(chosen)
        filtered = any(v not in (None, "") for v in self.timeline_filters().values())
        self.timeline_empty.setText(
            "" if shown else "No activity matches these filters." if filtered and
            self.timeline_items else "No activity yet: add a note, call or meeting above.")
        self.timeline_empty.setVisible(not shown)
        tree.setVisible(bool(shown))

    def timeline_days(self) -> list[str]:
        """The day headings shown, top to bottom."""
        tree = self.timeline_list
        return [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]

    def timeline_shown(self) -> list[tuple[str, int]]:
        """(day heading, activity id) of each activity shown, top to bottom."""
        tree = self.timeline_list
        return [(tree.topLevelItem(i).text(0),
                 tree.topLevelItem(i).child(j).data(0, Qt.ItemDataRole.UserRole))
                for i in range(tree.topLevelItemCount())
                for j in range(tree.topLevelItem(i).childCount())]

    def add_note(self) -> None:
        text = self.quick_text.text().strip()
        if not text:
            return
        contact = self.quick_contacts.currentData()
        try:
            added = account_detail.add_activity(self.db, self.account_id,
                                                kind=self.quick_kind.currentData(),
                                                summary=text,
                                                proactive=self.quick_proactive.isChecked(),
                                                contact_ids=[contact] if contact else None)
        except CsdeskError as exc:
            self.show_problem(exc)
            return
        self.quick_text.clear()
        self.timeline_items = account_detail.timeline(self.db, self.account_id)
        if not account_detail.filter_timeline([added], **self.timeline_filters()):
            # The filters would hide what was just added: show everything, so it is seen.
            for combo in (self.kind_filter, self.tone_filter, self.period_filter):
                combo.blockSignals(True)
                combo.setCurrentIndex(0)
                combo.blockSignals(False)
            self.timeline_search.blockSignals(True)
            self.timeline_search.clear()
            self.timeline_search.blockSignals(False)
        self.show_timeline(select=added.id)
        self.changed.emit()
