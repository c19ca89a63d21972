"""Reports: one account's PDF from its page, or a batch for many accounts from the Reports view.

The work runs on the task runner (off the GUI thread) with progress and Cancel; the PDFs are
written by ``csdesk.reports`` (Qt-free), the same code as ``csdesk report``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.models.enums import Segment
from csdesk.reports.batch import (
    DOCUMENTS,
    QBR_DOCUMENTS,
    BatchJob,
    BatchResult,
    file_suffix,
    output_path,
    run_batch,
)
from csdesk.reports.branding import Branding
from csdesk.services.book.accounts import AccountRef, select_accounts
from csdesk.services.formatting import counted, format_date
from csdesk.services.periods import current_period
from csdesk.services.plans.qbr_meetings import note_document
from csdesk.ui.tasks import TaskError, TaskRunner
from csdesk.ui.theme import error_label

DOCUMENT_CHOICES = {"qbr": "QBR (PDF)", "deck": "QBR deck (PowerPoint)",
                    "value": "Value delivered (PDF)", "plan": "Success plan (PDF)"}


def recent_quarters(today: date, n: int = 8) -> list[str]:
    """The quarter in progress first, then the last complete ones."""
    from csdesk.services.periods import quarter_of, quarters_back

    return quarters_back(quarter_of(today), n)[::-1]


def default_folder() -> Path:
    docs = Path.home() / "Documents"
    return (docs if docs.is_dir() else Path.home()) / "csdesk reports"


def fill_quarters(period: QComboBox, today: date) -> None:
    """The recent quarters as of ``today``, the last complete one chosen."""
    period.clear()
    for label in recent_quarters(today):
        period.addItem(f"{label[-2:]} {label[:4]}", label)
    period.setCurrentIndex(max(0, period.findData(current_period(today))))


def _period_and_audience(form: QFormLayout, today: date) -> tuple[QComboBox, QComboBox]:
    period = QComboBox()
    fill_quarters(period, today)
    audience = QComboBox()
    audience.addItem("Customer (no commercial section)", False)
    audience.addItem("Internal (adds renewal and commercial)", True)
    form.addRow("Quarter", period)
    form.addRow("Audience", audience)
    return period, audience


def open_file(path: Path) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def _task_failed(parent: QWidget, error: TaskError) -> None:
    if not error.cancelled:
        QMessageBox.warning(parent, "Report", error.message)


class ReportDialog(QDialog):
    """One account's document: period and audience (QBR), and where to save it."""

    def __init__(self, parent: QWidget, document: str, account: AccountRef,
                 today: date | None = None) -> None:
        super().__init__(parent)
        self.document, self.account = document, account
        self.today = today = today or clock.today()
        self.setWindowTitle(f"{DOCUMENTS[document]} — {account.name}")
        form = QFormLayout(self)
        self.period = self.audience = None
        if document in QBR_DOCUMENTS:
            self.period, self.audience = _period_and_audience(form, today)
        self.path = QLineEdit()
        self.path.setMinimumWidth(380)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow("Save as", row)
        # Until branding is set, the first document asks for it here, not after the fact
        self.branding_notice = QLabel()
        self.branding_notice.setWordWrap(True)
        self.branding_button = QPushButton("Set branding…")
        self.branding_button.clicked.connect(self._edit_branding)
        brand = QHBoxLayout()
        brand.addWidget(self.branding_notice, 1)
        brand.addWidget(self.branding_button)
        form.addRow(brand)
        self._show_branding()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        for combo in (self.period, self.audience):
            if combo is not None:
                combo.currentIndexChanged.connect(self._default_path)
        self._default_path()

    def _show_branding(self) -> None:
        notice = Branding.load().unset_notice()
        self.branding_notice.setText("Branding is not set: this document would say "
                                     f"'{Branding.company}'." if notice else "")
        for w in (self.branding_notice, self.branding_button):
            w.setVisible(notice is not None)

    def _edit_branding(self) -> BrandingDialog:
        dialog = BrandingDialog(self, Branding.load())
        dialog.accepted.connect(self._show_branding)
        dialog.open()
        return dialog

    def _default_path(self) -> None:
        folder = Path(self.path.text()).parent if self.path.text() else default_folder()
        self.path.setText(str(output_path(self.job(folder), self.account)))

    def _browse(self) -> None:
        suffix = file_suffix(self.document)
        kind = "PowerPoint decks (*.pptx)" if suffix == ".pptx" else "PDF files (*.pdf)"
        chosen, _ = QFileDialog.getSaveFileName(self, f"Save the {DOCUMENTS[self.document]} as",
                                                self.path.text(), kind)
        if chosen:
            self.path.setText(chosen if chosen.lower().endswith(suffix) else chosen + suffix)

    def job(self, folder: Path, path: Path | None = None) -> BatchJob:
        return BatchJob(self.document, folder,
                        self.period.currentData() if self.period is not None else None,
                        bool(self.audience.currentData()) if self.audience is not None
                        else False, self.today, Branding.load(), path)


def make_account_report(parent: QWidget, db: Database, runner: TaskRunner, document: str,
                        account: AccountRef, path: Path | None = None,
                        ask: bool = True) -> Any:
    """Ask for the options (unless ``path`` is given), write the document, offer to open it.

    It only reads the book, so it runs in the runner's reading lane: it does not wait behind
    the start-up work (loading the book, the playbooks, the portfolio)."""
    dialog = ReportDialog(parent, document, account)
    if path is None:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        path = Path(dialog.path.text())
    if path.suffix.lower() != file_suffix(document):
        path = path.with_name(path.name + file_suffix(document))
    job = dialog.job(path.parent, path)
    what = DOCUMENTS[document] if document == "deck" else f"{DOCUMENTS[document]} PDF"

    def done(result: BatchResult) -> None:
        if result.skipped:
            QMessageBox.information(parent, "Report",
                                    f"No {what} for {account.name}: {result.skipped[0][1]}.")
            return
        notes = [n for n in (job.branding.unset_notice(),
                             job.branding.template()[1] if document == "deck" else None) if n]
        if document in QBR_DOCUMENTS and job.period:
            held = note_document(db, account.id, job.period, what, str(path))
            if held is not None:
                notes.append(f"Listed with the QBR held on {format_date(held)}.")
        text = "\n\n".join([f"Saved {path.name}.", *notes, "Open it now?"])
        if ask and QMessageBox.question(parent, "Report written", text
                                        ) == QMessageBox.StandardButton.Yes:
            open_file(path)

    return runner.run_with_dialog(parent, f"Writing the {what}", run_batch, db.location, job,
                                  [account], workers=1, reading=True, on_done=done,
                                  on_failed=lambda e: _task_failed(parent, e))


class BrandingDialog(QDialog):
    """Company name, logo, accent colour and footer: the same on every document."""

    def __init__(self, parent: QWidget | None, branding: Branding) -> None:
        super().__init__(parent)
        self.setWindowTitle("Branding of the documents")
        self.company = QLineEdit(branding.company)
        self.logo = QLineEdit(branding.logo or "")
        self.logo.setPlaceholderText("A PNG, JPEG or SVG file (optional)")
        pick = QPushButton("Browse…")
        pick.clicked.connect(self._pick_logo)
        logo = QHBoxLayout()
        logo.addWidget(self.logo, 1)
        logo.addWidget(pick)
        self.accent = QPushButton()
        self.accent.clicked.connect(self._pick_colour)
        self._set_accent(branding.accent)
        self.footer = QLineEdit(branding.footer)
        self.deck_template = QLineEdit(branding.deck_template or "")
        self.deck_template.setPlaceholderText("Your company's PowerPoint .pptx (optional)")
        self.deck_template.setToolTip("QBR decks use its slide master, layouts, fonts and "
                                      "colours; without one, a clean built-in look in the "
                                      "accent colour.")
        pick_template = QPushButton("Browse…")
        pick_template.clicked.connect(self._pick_template)
        template = QHBoxLayout()
        template.addWidget(self.deck_template, 1)
        template.addWidget(pick_template)
        self.problem = error_label()
        form = QFormLayout(self)
        form.addRow("Company", self.company)
        form.addRow("Logo", logo)
        form.addRow("Accent colour", self.accent)
        form.addRow("Footer", self.footer)
        form.addRow("Deck template", template)
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _set_accent(self, colour: str) -> None:
        self.accent_colour = colour
        self.accent.setText(colour)
        self.accent.setStyleSheet(f"background: {colour}; color: white; padding: 4px 12px;")

    def _pick_colour(self) -> None:
        from PySide6.QtGui import QColor
        from PySide6.QtWidgets import QColorDialog

        colour = QColorDialog.getColor(QColor(self.accent_colour), self, "Accent colour")
        if colour.isValid():
            self._set_accent(colour.name())

    def _pick_logo(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Logo", self.logo.text(),
                                                "Images (*.png *.jpg *.jpeg *.svg)")
        if chosen:
            self.logo.setText(chosen)

    def _pick_template(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Deck template", self.deck_template.text(),
                                                "PowerPoint decks (*.pptx)")
        if chosen:
            self.deck_template.setText(chosen)

    def branding(self) -> Branding:
        return Branding(self.company.text().strip() or "Your company",
                        self.logo.text().strip() or None, self.accent_colour,
                        self.footer.text().strip(), self.deck_template.text().strip() or None)

    def _save(self) -> None:
        template = self.deck_template.text().strip()
        if template:
            try:
                from csdesk.reports.qbr_deck import check_template

                check_template(Path(template))
            except CsdeskError as exc:
                self.problem.setText(f"{exc}.")
                return
        logo = self.logo.text().strip()
        if logo and not Path(logo).is_file():
            self.problem.setText(f"There is no file {logo}.")
            return
        if logo and Path(logo).suffix.lower() not in (".png", ".jpg", ".jpeg", ".svg"):
            self.problem.setText("The logo must be a PNG, JPEG or SVG image.")
            return
        self.branding().save()
        self.accept()


class ReportsView(QWidget):
    """Choose accounts and a document, then write one PDF per account."""

    finished = Signal(object)  # BatchResult

    def __init__(self, db: Database, runner: TaskRunner, selected: Any,
                 parent: QWidget | None = None, today: date | None = None) -> None:
        super().__init__(parent)
        self.db, self.runner, self.selected = db, runner, selected
        self.owner: str | None = None  # set by the window's "My book" scope
        self._job_kind = "qbr"  # the document of the batch running or last run
        self._today = today or clock.today()
        title = QLabel("Reports")
        title.setStyleSheet("font-size: 18pt; font-weight: 600;")
        intro = QLabel("Write a QBR (PDF or PowerPoint deck), value-delivered or success-plan "
                       "document for many accounts at once, one file per account. Single "
                       "reports are on each account's page.")
        intro.setWordWrap(True)
        self.document = QComboBox()
        for key in DOCUMENTS:
            self.document.addItem(DOCUMENT_CHOICES[key], key)
        self.scope = QButtonGroup(self)
        self.all = QRadioButton("Every live account")
        self.by_segment = QRadioButton("Segment")
        self.segment = QComboBox()
        for seg in Segment:
            self.segment.addItem(seg.label, seg.value)
        self.by_renewal = QRadioButton("Renewing within")
        self.days = QSpinBox()
        self.days.setRange(1, 730)
        self.days.setValue(90)
        self.days.setSuffix(" days")
        self.by_selection = QRadioButton("The accounts selected in the book")
        for i, b in enumerate((self.all, self.by_segment, self.by_renewal, self.by_selection)):
            self.scope.addButton(b, i)
        self.by_segment.setChecked(True)
        form = QFormLayout()
        form.addRow("Document", self.document)
        scope = QVBoxLayout()
        scope.addWidget(self.all)
        for button, field in ((self.by_segment, self.segment), (self.by_renewal, self.days)):
            row = QHBoxLayout()
            row.addWidget(button)
            row.addWidget(field)
            row.addStretch(1)
            scope.addLayout(row)
        scope.addWidget(self.by_selection)
        form.addRow("Accounts", scope)
        self.period, self.audience = _period_and_audience(form, self._today)
        self.folder = QLineEdit(str(default_folder()))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form.addRow("Into folder", row)
        brand = QPushButton("Branding…")
        brand.setToolTip("Company name, logo, accent colour and footer of every document")
        brand.clicked.connect(self.edit_branding)
        self.branding_notice = QLabel()  # "Branding is not set: …", until it is
        self.branding_notice.setWordWrap(True)
        form.addRow("", brand)
        form.addRow("", self.branding_notice)
        self._show_branding_notice()
        self.count = QLabel()
        self.generate = QPushButton()
        self.generate.setDefault(True)
        self.generate.clicked.connect(self.run)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.open_folder = QPushButton("Open the folder")
        self.open_folder.clicked.connect(lambda: open_file(Path(self.folder.text())))
        self.open_folder.hide()
        actions = QHBoxLayout()
        actions.addWidget(self.generate)
        actions.addWidget(self.count)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(8)
        box = QWidget()
        box.setMaximumWidth(720)
        box.setLayout(form)
        layout.addWidget(box)
        layout.addLayout(actions)
        layout.addWidget(self.result_label)
        layout.addWidget(self.open_folder)
        layout.addStretch(1)
        for signal in (self.document.currentIndexChanged, self.segment.currentIndexChanged,
                       self.days.valueChanged, self.scope.idClicked):
            signal.connect(self.update_count)
        self.document.currentIndexChanged.connect(self._qbr_only)
        self._qbr_only()
        self.update_count()

    @property
    def today(self) -> date:
        return self._today

    @today.setter
    def today(self, day: date) -> None:
        """A new day lists the quarters as of that day."""
        self._today = day
        fill_quarters(self.period, day)

    def edit_branding(self) -> BrandingDialog:
        dialog = BrandingDialog(self, Branding.load())
        dialog.accepted.connect(self._show_branding_notice)
        dialog.open()
        return dialog

    def _show_branding_notice(self) -> None:
        notice = Branding.load().unset_notice()
        self.branding_notice.setText(notice or "")
        self.branding_notice.setVisible(notice is not None)

    def _files(self) -> str:
        return "decks" if self.document.currentData() == "deck" else "PDFs"

    def _qbr_only(self) -> None:
        qbr = self.document.currentData() in QBR_DOCUMENTS
        self.period.setEnabled(qbr)
        self.audience.setEnabled(qbr)
        self.generate.setText(f"Write the {self._files()}")

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, f"Write the {self._files()} into",
                                                  self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def accounts(self) -> list[AccountRef]:
        mine = {"today": self.today, "owner": self.owner}  # owner: "my book", or everyone's
        if self.by_selection.isChecked():
            ids = list(self.selected())
            return select_accounts(self.db, ids=ids, **mine) if ids else []
        if self.by_segment.isChecked():
            return select_accounts(self.db, segment=self.segment.currentData(), **mine)
        if self.by_renewal.isChecked():
            return select_accounts(self.db, renewing_within=self.days.value(), **mine)
        return select_accounts(self.db, **mine)

    def update_count(self) -> None:
        n = len(self.accounts())
        self.count.setText(f"{n:,} account{'s' if n != 1 else ''}" if n else
                           "No accounts match")
        self.generate.setEnabled(n > 0)

    def run(self) -> Any:
        accounts = self.accounts()
        if not accounts:
            return None
        qbr = self.document.currentData() in QBR_DOCUMENTS
        job = BatchJob(self.document.currentData(), Path(self.folder.text()),
                       self.period.currentData() if qbr else None,
                       qbr and bool(self.audience.currentData()), self.today,
                       Branding.load())
        self._job_kind = job.document
        self.result_label.setText("")
        self.open_folder.hide()
        return self.runner.run_with_dialog(
            self, f"Writing {counted(len(accounts), self._one_file(job.document))}",
            run_batch, self.db.location, job, accounts,
            workers=1 if len(accounts) < 4 else None, on_done=self._done,
            on_failed=self._failed)

    @staticmethod
    def _one_file(document: str) -> str:
        return DOCUMENTS[document] if document == "deck" else f"{DOCUMENTS[document]} PDF"

    def _done(self, result: BatchResult) -> None:
        lines = [f"Wrote {counted(len(result.written), self._one_file(self._job_kind))} "
                 f"into {self.folder.text()}."]
        if result.skipped:
            shown = "; ".join(f"{n} ({why})" for n, why in result.skipped[:5])
            more = f" and {len(result.skipped) - 5} more" if len(result.skipped) > 5 else ""
            lines.append(f"Skipped {len(result.skipped)}: {shown}{more}.")
        if self._job_kind == "deck" and (gone := Branding.load().template()[1]):
            lines.append(gone)
        if result.missing_characters:
            lines.append("Some characters have no font on this computer and print as '?': "
                         + " ".join(sorted(result.missing_characters)))
        self.result_label.setText("\n".join(lines))
        self.open_folder.setVisible(bool(result.written))
        self.finished.emit(result)

    def _failed(self, error: TaskError) -> None:
        self.result_label.setText(f"Cancelled: the {self._files()} already written are whole; "
                                  "the rest were not started." if error.cancelled
                                  else error.message)
