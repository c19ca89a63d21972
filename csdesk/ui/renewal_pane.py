"""Account page → Renewal & expansion: the next renewal with its track and reasons, the
forecast override, outcome logging, expansion signals and opportunities."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.models.enums import RenewalTrack
from csdesk.services.formatting import format_date, format_money, money_prefix
from csdesk.ui.theme import error_label

TRACKS = (("", "Computed from the book"), *((t.value, t.label) for t in RenewalTrack))


class RenewalPane(QWidget):
    changed = Signal()

    def __init__(self, db: Database, account_id: int, parent: QWidget | None = None,
                 today: date | None = None) -> None:
        super().__init__(parent)
        self.db, self.account_id = db, account_id
        self.today = today or clock.today()
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.track = QComboBox()
        for key, label in TRACKS:
            self.track.addItem(label, key or None)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why the track is overridden")
        self.likelihood = QSpinBox()
        self.likelihood.setRange(0, 100)
        self.likelihood.setSuffix(" %")
        self.likelihood.setSpecialValueText("default")
        self.note = QLineEdit()
        self.note.setPlaceholderText("What the likelihood rests on")
        save = self.forecast_button = QPushButton("Save forecast")
        save.clicked.connect(self.save_forecast)
        forecast = QGroupBox("Track and forecast")
        ff = QFormLayout(forecast)
        ff.addRow("Track", self.track)
        ff.addRow("Reason", self.reason)
        ff.addRow("Likelihood", self.likelihood)
        ff.addRow("Note", self.note)
        ff.addRow("", save)

        self.outcome = QComboBox()
        for key in ("renewed", "expanded", "downsold", "churned"):
            self.outcome.addItem(key.capitalize(), key)
        self.new_arr = QDoubleSpinBox()
        self.new_arr.setRange(0, 1e10)
        self.new_arr.setDecimals(0)
        self.new_arr.setPrefix("$ ")
        self.churn_reason = QComboBox()
        self.outcome_note = QLineEdit()
        log = self.outcome_button = QPushButton("Log outcome")
        log.clicked.connect(self.log_outcome)
        self.outcome.currentIndexChanged.connect(self._outcome_kind)
        outcome = QGroupBox("Outcome")
        of = QFormLayout(outcome)
        of.addRow("What happened", self.outcome)
        of.addRow("New ARR", self.new_arr)
        of.addRow("Churn reason", self.churn_reason)
        of.addRow("Note", self.outcome_note)
        of.addRow("", log)

        self.signals = QListWidget()
        self.signals.setMaximumHeight(90)
        self.warning = QLabel()
        self.warning.setStyleSheet("color: #d97706;")
        self.warning.setWordWrap(True)
        self.opportunities = QListWidget()
        self.opportunities.setMaximumHeight(110)
        self.opp_title = QLineEdit()
        self.opp_title.setPlaceholderText("Opportunity, e.g. 20 more seats")
        self.opp_kind = QComboBox()
        for key in ("upsell", "cross_sell", "seats"):
            self.opp_kind.addItem(key.replace("_", "-").capitalize(), key)
        self.opp_amount = QDoubleSpinBox()
        self.opp_amount.setRange(0, 1e10)
        self.opp_amount.setDecimals(0)
        self.opp_amount.setPrefix("$ ")
        add = self.opportunity_button = QPushButton("Add opportunity")
        add.clicked.connect(self.add_opportunity)
        self.hand = QPushButton("Hand to sales…")
        self.hand.setToolTip("Hand the selected opportunity to a colleague in sales")
        self.hand.clicked.connect(lambda: self.hand_to_sales())
        row = QHBoxLayout()
        for w in (self.opp_title, self.opp_kind, self.opp_amount, add):
            row.addWidget(w)
        expansion = QGroupBox("Expansion")
        el = QVBoxLayout(expansion)
        el.addWidget(QLabel("Signals"))
        el.addWidget(self.signals)
        el.addWidget(self.warning)
        el.addWidget(QLabel("Opportunities"))
        el.addWidget(self.opportunities)
        el.addLayout(row)
        el.addWidget(self.hand, 0, Qt.AlignmentFlag.AlignRight)
        el.addStretch(1)

        self.problem = error_label()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        left = QVBoxLayout()
        left.addWidget(forecast)
        left.addWidget(outcome)
        left.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        right = QVBoxLayout()
        right.addWidget(expansion)
        right.addStretch(1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.problem)
        layout.addLayout(columns, 1)
        self.reload()

    def reload(self) -> None:
        from csdesk.services.renewals.expansion import signals
        from csdesk.services.renewals.pipeline import pipeline
        from csdesk.services.settings import churn_reasons

        self.row = next(iter(pipeline(self.db, today=self.today,
                                      account_ids=[self.account_id])), None)
        r = self.row
        # A churned account (or one with nothing to renew) is history: nothing to forecast,
        # no outcome to log, no opportunity to add (the services refuse them too).
        for button in (self.forecast_button, self.outcome_button, self.opportunity_button):
            button.setEnabled(r is not None)
        if r is None:
            self.summary.setText("No renewal ahead: the account has no current subscription, "
                                 "or it has churned. Nothing here can be changed.")
        else:
            track = dict(TRACKS)[r.track]
            override = (f" (overridden from {dict(TRACKS)[r.computed_track]}: "
                        f"{r.override_reason})" if r.track != r.computed_track else "")
            nxt = (f"next checkpoint {format_date(r.next_checkpoint)}" if r.next_checkpoint
                   else "every checkpoint has passed")
            self.summary.setText(
                f"Renews {format_date(r.renewal_date)} ({r.days_to_go} days) · ARR "
                f"{format_money(r.arr_cents, r.currency)} · {track}{override} — "
                f"{'; '.join(r.reasons)} · likelihood {r.likelihood:.0%} → expected "
                f"{format_money(r.expected_arr_cents, r.currency)} · renewal work starts "
                f"{format_date(r.process_start)}, {nxt}.")
            self.track.setCurrentIndex(max(0, self.track.findData(
                r.track if r.track != r.computed_track else None)))
            self.reason.setText(r.override_reason or "")
            self.likelihood.setValue(round(r.likelihood * 100) if r.likelihood_overridden
                                     else 0)
            self.new_arr.setValue(r.arr_cents / 100)
            # amounts typed here are in the customer's currency (the renewal's)
            self.new_arr.setPrefix(money_prefix(r.currency))
            self.opp_amount.setPrefix(money_prefix(r.currency))
        self.churn_reason.clear()
        for code, label, category in churn_reasons(self.db):
            self.churn_reason.addItem(f"{label} ({category})", code)
        self._outcome_kind()
        found = signals(self.db, today=self.today, account_ids=[self.account_id])
        self.signals.clear()
        self.warning.setText("")
        if found:
            for sig in found[0].signals:
                self.signals.addItem(sig.text)
            if found[0].warning:
                self.warning.setText("⚠ This account " + found[0].warning + ".")
        if not self.signals.count():
            self.signals.addItem("No expansion signal right now.")
        self._load_opportunities()

    def _load_opportunities(self) -> None:
        from csdesk.services.renewals.expansion import opportunities

        rows = opportunities(self.db, self.account_id)
        self.opportunities.clear()
        for opp in rows:
            item = QListWidgetItem(f"{opp.title} · {opp.kind.replace('_', '-')} · "
                                   f"{format_money(opp.amount_cents, opp.currency)} · "
                                   f"{opp.stage.replace('_', ' ')}"
                                   + (f" to {opp.handed_to}" if opp.handed_to else ""))
            item.setData(Qt.ItemDataRole.UserRole, opp.id)
            self.opportunities.addItem(item)
        if not rows:
            self.opportunities.addItem("No opportunities yet.")

    def _outcome_kind(self) -> None:
        churn = self.outcome.currentData() == "churned"
        self.churn_reason.setEnabled(churn)
        self.new_arr.setEnabled(not churn)

    def _run(self, fn) -> bool:  # type: ignore[no-untyped-def]
        try:
            fn()
        except CsdeskError as exc:
            self.problem.setText(str(exc))
            return False
        self.problem.setText("")
        self.reload()
        self.changed.emit()
        return True

    def save_forecast(self) -> bool:
        from csdesk.services.renewals.outcomes import set_forecast

        value = self.likelihood.value()
        return self._run(lambda: set_forecast(
            self.db, self.account_id, track=self.track.currentData(),
            reason=self.reason.text(), likelihood=value / 100 if value else None,
            note=self.note.text()))

    def log_outcome(self) -> bool:
        from csdesk.services.renewals.outcomes import log_outcome

        kind = self.outcome.currentData()
        return self._run(lambda: log_outcome(
            self.db, self.account_id, kind, new_arr_cents=round(self.new_arr.value() * 100),
            reason=self.churn_reason.currentData() if kind == "churned" else None,
            note=self.outcome_note.text() or None, closed_on=self.today))

    def add_opportunity(self) -> bool:
        from csdesk.services.renewals.expansion import create_opportunity

        signal = self.signals.currentItem().text() if self.signals.currentItem() else None
        return self._run(lambda: create_opportunity(
            self.db, self.account_id, title=self.opp_title.text(),
            kind=self.opp_kind.currentData(), amount_cents=round(self.opp_amount.value() * 100),
            signal=signal))

    def hand_to_sales(self, to: str | None = None) -> bool:
        from csdesk.services.renewals.expansion import hand_to_sales

        item = self.opportunities.currentItem()
        oid = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if oid is None:
            self.problem.setText("Select an opportunity to hand to sales.")
            return False
        if to is None:
            to, ok = QInputDialog.getText(self, "Hand to sales", "Who in sales takes it?")
            if not ok:
                return False
        return self._run(lambda: hand_to_sales(self.db, oid, to=to, on=self.today))
