"""The import wizard: file → how it reads → mapping → dry-run preview → apply.

Each step shows what csdesk detected and lets the CSM override it. The preview is a real dry
run of the import service (nothing written); Apply runs the same import for real, in the
background with progress and Cancel, as one all-or-nothing transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from csdesk import clock
from csdesk.db import Database
from csdesk.errors import CsdeskError, MappingIncomplete
from csdesk.io import entities, wide, workbook
from csdesk.io.mapping import (
    CUSTOM,
    IGNORE,
    KEEP_CUSTOM,
    LEAVE_OUT,
    PROFILES,
    confidence,
    profile_label,
)
from csdesk.io.reader import DELIMITER_NAMES, iter_chunks
from csdesk.io.values import AmbiguousDecimal
from csdesk.services.formatting import counted
from csdesk.services.sync.importer import (
    MEASURES,
    ChoiceColumn,
    ImportRequest,
    ValueCounts,
    choice_values,
    currency_choice,
    guess_entity,
    prepare,
    run_import,
    write_error_report,
)
from csdesk.services.sync.matching import MatchReport
from csdesk.services.sync.results import ImportResult
from csdesk.ui.tasks import TaskError, TaskHandle, TaskRunner
from csdesk.ui.theme import ERROR_COLOUR, error_label

AUTO = "Detect"
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252", "latin-1")
DATE_FORMATS = {"Detect": None, "Day/month/year": "dmy", "Month/day/year": "mdy",
                "Year-month-day": "ymd"}
SAMPLE_ROWS = 5


def _combo(items: list[tuple[str, Any]], current: Any = None) -> QComboBox:
    box = QComboBox()
    for label, value in items:
        box.addItem(label, value)
    if current is not None:
        box.setCurrentIndex(max(0, box.findData(current)))
    return box


def _read_only_table(headers: list[str], *, stretch: int,
                     widths: dict[int, int]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    for column, width in widths.items():
        table.setColumnWidth(column, width)
    return table


class ImportWizard(QWizard):
    """Emits ``imported`` with the result once an import has been written."""

    imported = Signal(object)

    def __init__(self, db: Database, runner: TaskRunner, path: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.runner = runner
        self.request = ImportRequest(path or Path())
        self.import_result: ImportResult | None = None
        # A workbook's chosen sheet, read into a temporary CSV (removed when it is replaced
        # and when the wizard closes)
        self.sheet: workbook.Converted | None = None
        self.finished.connect(lambda _code: self.close_sheet())
        self.setWindowTitle("Import CSV or Excel")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.resize(980, 640)
        self.file_page = FilePage(self)
        self.mapping_page = MappingPage(self)
        self.preview_page = PreviewPage(self)
        self.apply_page = ApplyPage(self)
        for page in (self.file_page, self.mapping_page, self.preview_page, self.apply_page):
            self.addPage(page)
        if path is not None:
            self.file_page.path_edit.setText(str(path))

    def use_sheet(self, converted: workbook.Converted | None) -> None:
        if self.sheet is not None and self.sheet is not converted:
            workbook.close_sheet(self.sheet)
        self.sheet = converted

    def close_sheet(self) -> None:
        self.use_sheet(None)


class FilePage(QWizardPage):
    """Which file, what it holds, and how to read it (each detected, each overridable)."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Choose a file")
        self.setSubTitle("csdesk detects how the file is written; change anything it got wrong.")
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("A CSV export from your CRM or product analytics")
        self.path_edit.textChanged.connect(self._path_changed)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)

        self.entity = _combo([("Detect from the header", None)] +
                             [(spec.label, name) for name, spec in entities.ENTITIES.items()])
        self.profile = _combo([("Detect", None)] + [(profile_label(p), p) for p in PROFILES])
        self.encoding = _combo([(AUTO, None)] + [(e, e) for e in ENCODINGS])
        self.delimiter = _combo([(AUTO, None)] + [(n.title(), d)
                                                  for d, n in DELIMITER_NAMES.items()])
        self.date_format = _combo(list(DATE_FORMATS.items()))
        self.decimal = _combo([(AUTO, None), ("1,234.50 (point)", "."),
                               ("1.234,50 (comma)", ",")])
        for box in (self.entity, self.profile, self.encoding, self.delimiter):
            box.currentIndexChanged.connect(self._inspect)
        # A workbook's sheets, each with its rows; choosing one reads it (in the background)
        self.sheet = QComboBox()
        self.sheet.currentIndexChanged.connect(self._sheet_chosen)
        self._loading: TaskHandle | None = None

        self.detected = QLabel()
        self.detected.setWordWrap(True)
        self.detected.setTextFormat(Qt.TextFormat.PlainText)
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("Sheet", self.sheet)
        form.addRow("It holds", self.entity)
        form.addRow("Exported from", self.profile)
        form.addRow("Encoding", self.encoding)
        form.addRow("Delimiter", self.delimiter)
        form.addRow("Dates", self.date_format)
        form.addRow("Decimal mark", self.decimal)
        self.form = form
        form.setRowVisible(self.sheet, False)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(self.detected)
        layout.addStretch(1)
        self._ok = False

    def _path(self) -> Path:
        return Path(self.path_edit.text().strip()).expanduser()

    def _is_workbook(self) -> bool:
        return bool(self.path_edit.text().strip()) and workbook.is_workbook(self._path())

    def _path_changed(self) -> None:
        """A new file: a workbook's sheets are listed and the first one read in the
        background (a sheet of 100,000 rows takes a second or two); a CSV is inspected."""
        is_book = self._is_workbook()
        self.form.setRowVisible(self.sheet, is_book)
        self.encoding.setEnabled(not is_book)
        self.delimiter.setEnabled(not is_book)
        self.w.close_sheet()
        self.sheet.blockSignals(True)
        self.sheet.clear()
        self.sheet.blockSignals(False)
        if is_book:
            self._load(None)
        self._inspect()

    def _sheet_chosen(self) -> None:
        name = self.sheet.currentData()
        if name is not None and (self.w.sheet is None or self.w.sheet.info.sheet != name):
            self.w.close_sheet()
            self._load(name)
            self._inspect()

    def _load(self, sheet: str | None) -> None:
        path = self._path()
        self._loading = self.w.runner.submit(
            "Reading the workbook", _read_sheet, path, sheet, self.entity.currentData(),
            with_sheets=sheet is None,
            on_done=lambda result, p=path: self._loaded(p, result),
            on_failed=lambda error, p=path: self._load_failed(p, error))

    def _loaded(self, path: Path, result: tuple[list[workbook.SheetInfo] | None,
                                                workbook.Converted]) -> None:
        sheets, converted = result
        if path != self._path() or not self._is_workbook():
            workbook.close_sheet(converted)  # another file was chosen meanwhile
            return
        if sheets is not None:
            self.sheet.blockSignals(True)
            self.sheet.clear()
            for s in sheets:
                self.sheet.addItem(f"{s.name} ({counted(s.rows, 'row')})", s.name)
            self.sheet.blockSignals(False)
        elif self.sheet.currentData() != converted.info.sheet:
            workbook.close_sheet(converted)  # another sheet was chosen meanwhile
            return
        self.sheet.blockSignals(True)
        self.sheet.setCurrentIndex(max(0, self.sheet.findData(converted.info.sheet)))
        self.sheet.blockSignals(False)
        self._loading = None
        self.w.use_sheet(converted)
        self._inspect()

    def _load_failed(self, path: Path, error: TaskError) -> None:
        if path == self._path():
            self._loading = None
            self._ok = False
            self.detected.setText(f"⚠ {error.message}")
            self.completeChanged.emit()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import CSV or Excel", str(Path.home()),
            "CSV files and Excel workbooks (*.csv *.txt *.tsv *.xlsx *.xlsm *.xls);;"
            "All files (*)")
        if path:
            self.path_edit.setText(path)

    def build_request(self) -> ImportRequest:
        sheet = self.w.sheet if self._is_workbook() else None
        return ImportRequest(
            path=self._path(), entity=self.entity.currentData(),
            profile=self.profile.currentData(),
            encoding=None if sheet else self.encoding.currentData(),
            delimiter=None if sheet else self.delimiter.currentData(),
            date_format=self.date_format.currentData(), decimal=self.decimal.currentData(),
            sheet=sheet.info.sheet if sheet else None,
            converted=sheet.info if sheet else None)

    def _inspect(self) -> None:
        self._ok = False
        text = self.path_edit.text().strip()
        if not text:
            self.detected.setText("")
        elif self._is_workbook() and self.w.sheet is None:
            self.detected.setText("Reading the workbook…" if self._loading is not None
                                  else self.detected.text())
        else:
            request = self.build_request()
            guessed = None
            if request.entity is None:
                guessed = guess_entity(self.w.db, request)
                request.entity = guessed
            try:
                info, spec, mapping, key = prepare(self.w.db, request)
            except MappingIncomplete as exc:
                self._ok = True  # the mapping page is where that gets fixed
                self.detected.setText(f"Some fields still need a column ({exc}); match them "
                                      "on the next page.")
            except CsdeskError as exc:
                self.detected.setText(f"⚠ {exc}")
            else:
                self._ok = True
                notes = list(info.notes)
                exported = (f", {profile_label(mapping.profile)} export." if mapping.profile
                            else ".")
                if self.w.sheet is not None and info.sheet is not None:
                    header = self.w.sheet.header
                    notes.remove(workbook.sheet_note(info.sheet, header))
                    described = header.describe()
                    export = (f", a {profile_label(mapping.profile)} export" if mapping.profile
                              else "")
                    read = (f"Sheet {info.sheet!r}{export}. "
                            f"{described[0].upper()}{described[1:]}.")
                else:
                    read = (f"Read as {info.encoding}, {info.delimiter_name}-separated"
                            + exported)
                lines = [f"{spec.label}: {len(info.header)} columns, key {'+'.join(key)}.",
                         read]
                if guessed:
                    lines.insert(0, f"This looks like {spec.label.lower()}; choose what it "
                                    "holds above if not.")
                lines += [f"Note: {n}" for n in notes]
                self.detected.setText("\n".join(lines))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self._ok

    def validatePage(self) -> bool:
        request = self.build_request()
        if request.entity is None:
            request.entity = guess_entity(self.w.db, request)
        self.w.request = request
        return True


class MappingPage(QWizardPage):
    """One row per column: sample values and the field it goes to."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Match the columns")
        self.setSubTitle("Columns with no field are kept as custom fields, never dropped.")
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Column in the file", "Sample values",
                                              "Imports into", "Matched by"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 200)
        self.table.setColumnWidth(2, 220)
        self.table.setColumnWidth(3, 160)
        self.key = QComboBox()
        self.save_name = QLineEdit()
        self.save_name.setPlaceholderText("Optional: a name to reuse this mapping next time")
        self.problem = error_label()
        # The values of each column with choices (status, stage, ...) and what each becomes.
        self.values_label = QLabel()
        self.values_label.setWordWrap(True)
        self.values = _read_only_table(["Column", "Value in the file", "Rows", "Imports as"],
                                       stretch=1, widths={0: 200, 2: 70, 3: 220})
        # A file with one column per date: what each cell counts. A usage file with no date
        # column (a Pendo account report): the day it is a snapshot of.
        self.measure = _combo([(m.replace("_", " "), m) for m in MEASURES])
        self.measure.currentIndexChanged.connect(self._measure_chosen)
        self.as_of = QDateEdit()
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        self.as_of.dateChanged.connect(self._as_of_chosen)
        form = QFormLayout()
        form.addRow("Each date's cell counts", self.measure)
        form.addRow("Usage on (no date column)", self.as_of)
        form.addRow("Match existing records on", self.key)
        form.addRow("Save mapping as", self.save_name)
        self.form = form
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.values_label)
        layout.addWidget(self.values, 1)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        self.combos: dict[str, QComboBox] = {}
        self.value_combos: dict[tuple[str, str], QComboBox] = {}
        self._chosen_for: dict[str, str] = {}  # column → the field its values were mapped for
        self._rows_read = 0
        self._counted: ValueCounts = {}  # the file's values, counted once per column

    def initializePage(self) -> None:
        self._counted = {}  # another file, perhaps: count its values afresh
        try:
            info, spec, mapping, key = prepare(self.w.db, self.w.request)
        except MappingIncomplete:
            info, spec, mapping, key = prepare(self.w.db, self.w.request, strict=False)
        samples: list[list[str]] = []
        for chunk in iter_chunks(info, SAMPLE_ROWS):
            samples = chunk.records
            break
        self.table.setRowCount(len(info.header))
        self.combos.clear()
        targets = [(f"{f.name}{' *' if f.required else ''}", f.name) for f in spec.fields]
        targets += [("custom field", CUSTOM) if spec.custom_fields else ("—", IGNORE),
                    ("do not import", IGNORE)]
        for r, column in enumerate(info.header):
            self.table.setItem(r, 0, QTableWidgetItem(column))
            values = [rec[r] for rec in samples if r < len(rec) and rec[r].strip()]
            self.table.setItem(r, 1, QTableWidgetItem(" · ".join(values)[:200]))
            combo = _combo(targets, mapping.columns[column])
            combo.currentIndexChanged.connect(
                lambda _i, r=r, c=column: self._matched_by(r, "chosen", c))
            combo.currentIndexChanged.connect(self._check)
            self.table.setCellWidget(r, 2, combo)
            self.combos[column] = combo
            self._matched_by(r, mapping.how.get(column, ""))
        self.key.clear()
        for k in spec.keys:
            self.key.addItem(" + ".join(k), ",".join(k))
        self.key.setCurrentIndex(max(0, self.key.findData(",".join(key))))
        self.key.currentIndexChanged.connect(self._check)
        is_wide = wide.origin(info) is not None
        self.form.setRowVisible(self.measure, is_wide)
        if is_wide:
            self.measure.blockSignals(True)
            self.measure.setCurrentIndex(
                max(0, self.measure.findData(mapping.columns[wide.VALUE_COLUMN])))
            self.measure.blockSignals(False)
        self.form.setRowVisible(self.as_of, bool(mapping.constants))
        if mapping.constants:
            day = self.w.request.as_of or clock.today()
            self.as_of.blockSignals(True)
            self.as_of.setDate(QDate(day.year, day.month, day.day))
            self.as_of.blockSignals(False)
        self._check()

    def _measure_chosen(self) -> None:
        """The measure box and the value column's box say the same."""
        self.w.request.measure = self.measure.currentData()
        box = self.combos.get(wide.VALUE_COLUMN)
        if box is not None:
            box.setCurrentIndex(max(0, box.findData(self.measure.currentData())))

    def _as_of_chosen(self) -> None:
        self.w.request.as_of = self.as_of.date().toPython()
        self._check()

    def _matched_by(self, row: int, how: str, column: str | None = None) -> None:
        """The "Matched by" cell: how the column's field was found, and how sure that is
        (a field the CSM picks is "chosen")."""
        if column is not None and self.combos[column].currentData() in (CUSTOM, IGNORE):
            how = "chosen: not a field"
        sure = confidence(how)
        item = QTableWidgetItem(f"{how} · {sure}" if sure else how)
        item.setToolTip({"sure": "A known column of this CRM, or an exact name.",
                         "likely": "A very similar name: likely right.",
                         "check": "A loosely similar name: check it."}.get(sure, ""))
        if sure == "check":
            item.setForeground(ERROR_COLOUR)
        self.table.setItem(row, 3, item)

    def overrides(self) -> dict[str, str]:
        return {c: box.currentData() for c, box in self.combos.items()}

    def _check(self) -> None:
        request = self.w.request
        request.overrides = self.overrides()
        request.key = self.key.currentData()
        try:
            prepare(self.w.db, request)
        except CsdeskError as exc:
            self.problem.setText(str(exc))
        else:
            self.problem.setText("")
        self._show_values()
        self.completeChanged.emit()

    def _show_values(self) -> None:
        """List each choice column's values and what each imports as; a value csdesk does
        not know is asked for here, not refused row by row later."""
        request = self.w.request
        # A column mapped to another field since its values were chosen starts afresh.
        request.value_overrides = {c: v for c, v in request.value_overrides.items()
                                   if request.overrides.get(c) == self._chosen_for.get(c)}
        try:
            columns: list[ChoiceColumn] = choice_values(self.w.db, request, self._counted)
        except CsdeskError:
            columns = []
        self.value_combos.clear()
        lines = [(c, v) for c in columns for v in c.values]
        self.values.setRowCount(len(lines))
        for r, (col, value) in enumerate(lines):
            self.values.setItem(r, 0, QTableWidgetItem(f"{col.column} → {col.field}"))
            self.values.setItem(r, 1, QTableWidgetItem(value.value))
            self.values.setItem(r, 2, QTableWidgetItem(f"{value.rows:,}"))
            items: list[tuple[str, Any]] = [(choice, choice) for choice in col.choices]
            items.append(("keep as a custom field", KEEP_CUSTOM))
            items.append(("leave these rows out", LEAVE_OUT))
            if value.becomes is None:
                items.insert(0, ("⚠ say what it means", None))
            box = _combo(items, value.becomes)
            box.currentIndexChanged.connect(
                lambda _i, c=col.column, v=value.value, b=box: self._value_chosen(c, v, b))
            self.values.setCellWidget(r, 3, box)
            self.value_combos[(col.column, value.value)] = box
        self.values.setVisible(bool(lines))
        self.values_label.setVisible(bool(lines))
        self._rows_read = max((c.rows_read for c in columns), default=0)
        self._say_unknown()

    def _say_unknown(self) -> None:
        unknown = sum(box.currentData() is None for box in self.value_combos.values())
        them = "it means" if unknown == 1 else "they mean"
        self.values_label.setText(
            f"Values of the columns with choices (in the first {self._rows_read:,} rows): "
            + (f"{counted(unknown, 'value')} unknown: say what {them}, or the rows holding "
               "them will be in error." if unknown else "each imports as shown."))

    def _value_chosen(self, column: str, value: str, box: QComboBox) -> None:
        """Keep the CSM's reading of one value (the table stays as it is: this box is the
        one that changed)."""
        target = box.currentData()
        if target is None:
            return
        self.w.request.value_overrides.setdefault(column, {})[value] = target
        self._chosen_for[column] = self.w.request.overrides.get(column, "")
        self._say_unknown()

    def isComplete(self) -> bool:
        return not self.problem.text()

    def validatePage(self) -> bool:
        self.w.request.overrides = self.overrides()
        self.w.request.key = self.key.currentData()
        self.w.request.save_mapping = self.save_name.text().strip() or None
        return True


class _RunPage(QWizardPage):
    """A page that runs the import service in the background and shows its result."""

    finished = Signal(object)
    dry_run = True

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.errors = QTableWidget(0, 4)
        self.errors.setHorizontalHeaderLabels(["Row", "Column", "Value", "Problem"])
        self.changes = QTableWidget(0, 4)
        self.changes.setHorizontalHeaderLabels(["Record", "Field", "Now", "After import"])
        for t in (self.errors, self.changes):
            t.verticalHeader().hide()
            t.verticalHeader().setDefaultSectionSize(26)
            t.setWordWrap(False)
            t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            t.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.errors.setColumnWidth(0, 70)
        self.errors.setColumnWidth(1, 180)
        self.errors.setColumnWidth(2, 220)
        self.changes.setColumnWidth(0, 130)
        self.changes.setColumnWidth(1, 170)
        self.changes.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        # What each account value of a usage file matched (by id, domain or name), or not.
        self.accounts = _read_only_table(["Account in the file", "Matched", "Account", "Rows"],
                                         stretch=2, widths={0: 260, 1: 150})
        self.tabs = QTabWidget()
        self.tabs.addTab(self.errors, "Problems")
        self.tabs.addTab(self.changes, "Changes")
        self.tabs.addTab(self.accounts, "Accounts")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(lambda: self.handle and self.handle.cancel())
        self.report_button = QPushButton("Save error report…")
        self.report_button.clicked.connect(self._save_report)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.report_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.handle: TaskHandle | None = None
        self.import_result: ImportResult | None = None

    def initializePage(self) -> None:
        self.import_result = None
        self.report_button.hide()
        self.summary.setText("")
        self.errors.setRowCount(0)
        self.changes.setRowCount(0)
        self.accounts.setRowCount(0)
        self.tabs.setTabVisible(self.tabs.indexOf(self.accounts), False)
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        request = ImportRequest(**{**self.w.request.__dict__, "dry_run": self.dry_run})
        if self.dry_run:
            request.save_mapping = None
        self.handle = self.w.runner.submit("Import", _run, self.w.db, request,
                                           on_done=self._on_done, on_failed=self._on_failed)
        self.handle.progress.connect(self._on_progress)
        self.completeChanged.emit()

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.status.setText(message)

    def _on_done(self, result: ImportResult) -> None:
        self.import_result = result
        self.progress.setValue(1000)
        self.cancel_button.hide()
        self.status.setText("")
        self.summary.setText(self.describe(result))
        self.errors.setRowCount(len(result.errors))
        for r, e in enumerate(result.errors):
            for c, v in enumerate((str(e.row), e.column, e.value, e.reason)):
                self.errors.setItem(r, c, QTableWidgetItem(v))
        self.changes.setRowCount(len(result.changes))
        for r, ch in enumerate(result.changes):
            for c, v in enumerate((ch.key, ch.field, _show(ch.old), _show(ch.new))):
                self.changes.setItem(r, c, QTableWidgetItem(v))
        self._show_accounts(result.account_matches)
        self.tabs.setCurrentWidget(self.errors if result.error_count else self.changes)
        self.report_button.setVisible(bool(result.error_count))
        self.finished.emit(result)
        self.completeChanged.emit()

    def _show_accounts(self, report: MatchReport | None) -> None:
        """The file's account values: those matched by nothing first, then the rest."""
        shown = report is not None and bool(report.values)
        self.tabs.setTabVisible(self.tabs.indexOf(self.accounts), shown)
        if report is None or not shown:
            return
        self.accounts.setHorizontalHeaderItem(3, QTableWidgetItem(
            report.unit[:1].upper() + report.unit[1:] + "s"))  # rows, or a wide file's cells
        values = report.unmatched + sorted(report.matched, key=lambda v: -v.rows)
        self.accounts.setRowCount(len(values))
        for r, v in enumerate(values):
            matched = f"by {v.how}" if v.account_id is not None else f"⚠ {v.how}"
            account = v.account or (" or ".join(v.candidates) if v.candidates else "—")
            for c, text in enumerate((v.value, matched, account, f"{v.rows:,}")):
                item = QTableWidgetItem(text)
                if c == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.accounts.setItem(r, c, item)
        self.tabs.setTabText(self.tabs.indexOf(self.accounts),
                             f"Accounts ({len(report.unmatched)} not matched)"
                             if report.unmatched else "Accounts")

    def _on_failed(self, error: TaskError) -> None:
        self.cancel_button.hide()
        self.progress.hide()
        self.status.setText(error.message if error.cancelled else
                            f"⚠ {error.message}\nNothing was changed.")
        self.finished.emit(error)
        self.completeChanged.emit()

    def describe(self, r: ImportResult) -> str:
        raise NotImplementedError

    def _save_report(self) -> None:
        if self.import_result is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save error report",
                                              str(Path(self.import_result.source).with_suffix("")) +
                                              "-errors.csv", "CSV files (*.csv)")
        if path:
            try:  # the save dialog asked before replacing a file; never the file imported
                count = write_error_report(self.import_result, Path(path), overwrite=True)
            except CsdeskError as exc:
                QMessageBox.warning(self, "Error report", str(exc))
                return
            QMessageBox.information(self, "Error report",
                                    f"{count} rows written to {path}. Fix them and import "
                                    "that file.")


class PreviewPage(_RunPage):
    dry_run = True

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Preview")
        self.setSubTitle("A dry run: this is what the import would do. Nothing is written yet.")
        # All or nothing unless the CSM asks otherwise, after seeing what is in error.
        self.skip_invalid = QCheckBox("Import the valid rows and leave the rows in error out")
        self.skip_invalid.setToolTip("The rows in error are not imported: save the error "
                                     "report to fix them and import that file later.")
        self.skip_invalid.hide()
        self.skip_invalid.toggled.connect(self._skip_toggled)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(3, self.skip_invalid)
        # A first import of money: which currency the book's totals are in (asked once).
        self.base_row = QWidget()
        row = QHBoxLayout(self.base_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.base_currency = QComboBox()
        self.base_currency.setObjectName("base_currency")
        self.base_currency.currentIndexChanged.connect(self._base_chosen)
        self.base_note = QLabel()
        self.base_note.setWordWrap(True)
        row.addWidget(QLabel("Totals in:"))
        row.addWidget(self.base_currency)
        row.addWidget(self.base_note, 1)
        self.base_row.hide()
        layout.insertWidget(3, self.base_row)

    def _ask_base(self) -> None:
        choice = currency_choice(self.w.db, self.w.request)
        self.base_row.setVisible(choice is not None)
        if choice is None:
            self.w.request.base_currency = None
            return
        self.base_currency.blockSignals(True)
        self.base_currency.clear()
        for code in choice.currencies:
            self.base_currency.addItem(code, code)
        wanted = self.w.request.base_currency or choice.suggested
        self.base_currency.setCurrentIndex(max(0, self.base_currency.findData(wanted)))
        self.base_currency.blockSignals(False)
        self.w.request.base_currency = self.base_currency.currentData()
        several = len(choice.currencies) > 1
        self.base_note.setText(
            "the book's base currency: every total is in it"
            + ("; the others count once they have exchange rates." if several else ".")
            + " Asked once; change it later in Book ▸ Currencies and exchange rates.")

    def _base_chosen(self, _index: int) -> None:
        self.w.request.base_currency = self.base_currency.currentData()

    def initializePage(self) -> None:
        self._ask_base()
        self.skip_invalid.blockSignals(True)
        self.skip_invalid.setChecked(self.w.request.skip_invalid)
        self.skip_invalid.blockSignals(False)
        self.skip_invalid.hide()
        super().initializePage()

    def _skip_toggled(self, on: bool) -> None:
        self.w.request.skip_invalid = on
        if self.import_result is not None:
            self.summary.setText(self.describe(self.import_result))
        self.completeChanged.emit()

    def describe(self, r: ImportResult) -> str:
        text = (f"{r.inserted:,} new, {r.updated:,} updated, {r.unchanged:,} unchanged, "
                f"{r.error_count:,} in error. Decimal mark: {r.decimal_text}.")
        if r.account_matches is not None and r.account_matches.values:
            text += f"\nAccounts: {r.account_matches.summary(3)}."
        text += "".join(f"\nNote: {n}." for n in r.notes if n.startswith(("a wide layout",
                                                                          "no date column")))
        self.skip_invalid.setVisible(bool(r.error_count) and not r.stopped)
        if r.error_count and self.skip_invalid.isChecked() and not r.stopped:
            text += (f"\nThe valid rows will be imported and the "
                     f"{counted(r.rows_left_out, 'row')} in error left out: save the error "
                     "report to fix them and import them later.")
        elif r.error_count:
            text += ("\nFix the rows in error (save the report, correct it, import it) — an "
                     "import with errors writes nothing, unless you import only the valid rows.")
        return text

    def isComplete(self) -> bool:
        r = self.import_result
        if r is None or not (r.inserted or r.updated):
            return False
        return not r.error_count or (self.skip_invalid.isChecked() and not r.stopped)


class ApplyPage(_RunPage):
    dry_run = False

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Import")
        self.setSubTitle("One transaction, after a verified backup: all of it, or none of it.")
        self.setFinalPage(True)
        self.changes.setHorizontalHeaderLabels(["Record", "Field", "Before", "After"])
        self.finished.connect(self._announce)

    def initializePage(self) -> None:
        self.setSubTitle(
            "One transaction, after a verified backup: the valid rows, the rows in error left "
            "out." if self.w.request.skip_invalid else
            "One transaction, after a verified backup: all of it, or none of it.")
        super().initializePage()

    def describe(self, r: ImportResult) -> str:
        if r.written:
            was = "was" if r.rows_left_out == 1 else "were"
            left = (f"\n{counted(r.rows_left_out, 'row')} in error {was} left out, as you "
                    "chose: save the error report to fix them." if r.rows_left_out else "")
            if r.rows_left_by_value:
                left += (f"\n{counted(r.rows_left_by_value, 'row')} left out because of a "
                         "value you chose to leave out.")
            if r.kept_typed:
                left += (f"\n{counted(r.kept_typed, 'rate')} typed by hand kept: the file's "
                         "rate for that day is not used.")
            return (f"Imported: {r.inserted:,} new and {r.updated:,} updated "
                    f"{entities.entity(r.entity).label.lower()}.{left}\nA backup from before "
                    f"the import: {r.backup}")
        return "Nothing was written."

    def _announce(self, result: object) -> None:
        if isinstance(result, TaskError) and isinstance(result.written, list):
            result = result.written[0]  # cancelled after the commit: it is in the book
        if isinstance(result, ImportResult) and result.written:
            self.w.import_result = result
            self.w.imported.emit(result)

    def isComplete(self) -> bool:
        return self.handle is not None and self.handle.is_done


def _show(value: object) -> str:
    return "—" if value is None else str(value)


def _read_sheet(path: Path, sheet: str | None, entity: str | None, *, with_sheets: bool,
                ) -> tuple[list[workbook.SheetInfo] | None, workbook.Converted]:
    """For the background: the workbook's sheets (when asked) and one sheet, read."""
    sheets = workbook.list_sheets(path) if with_sheets else None
    return sheets, workbook.open_sheet(path, sheet, entity=entity)


def _run(db: Database, request: ImportRequest, *, progress: Any, cancel: Any) -> ImportResult:
    try:
        return run_import(db, request, progress=progress, cancel=cancel)
    except AmbiguousDecimal as exc:  # the window asks where the command line says --decimal
        raise CsdeskError(f"{exc.detail}. Go back to the first page and choose the file's "
                          "decimal mark.") from exc
