"""The renewal pipeline's table model: a thin Qt adapter over ``RenewalRow`` dataclasses.

A QTableWidget built one item per cell froze the window for seconds on a big book; this
model hands Qt only the rows it paints. Sorting happens here on precomputed keys (as in
``accounts_model``), never in a proxy. ``SORT_ROLE`` returns the raw key, ``ID_ROLE`` the
account id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from csdesk.services.formatting import TRACK_LABELS, format_date, format_money
from csdesk.services.renewals.pipeline import TITLES, RenewalRow, next_checkpoint_text
from csdesk.ui.accounts_model import ID_ROLE, SORT_ROLE
from csdesk.ui.theme import BAND_COLOURS

_Index = QModelIndex | QPersistentModelIndex
TRACK_COLOURS = {"auto_renew": QColor("#16a34a"), "standard": QColor("#2563eb"),
                 "at_risk": QColor("#dc2626")}
TRACK_ORDER = {"at_risk": 0, "standard": 1, "auto_renew": 2}  # the pipeline's groups
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def _cents(cents: int | None) -> int:
    return -1 if cents is None else cents


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[RenewalRow], str]
    key: Callable[[RenewalRow], Any]
    align: Qt.AlignmentFlag = _LEFT
    tip: str = ""


COLUMNS: tuple[Column, ...] = (
    Column(TITLES["name"], lambda r: r.name, lambda r: r.name.casefold()),
    Column(TITLES["owner"], lambda r: r.owner or "—",
           lambda r: (r.owner is None, (r.owner or "").casefold())),
    Column(TITLES["renews"], lambda r: format_date(r.renewal_date), lambda r: r.renewal_date),
    Column(TITLES["days"], lambda r: str(r.days_to_go), lambda r: r.days_to_go, _RIGHT),
    Column(TITLES["track"], lambda r: TRACK_LABELS[r.track],
           lambda r: (TRACK_ORDER[r.track], r.days_to_go, r.name.casefold())),
    Column(TITLES["health"], lambda r: (r.health_note or "—") if r.health is None
           else f"{r.health:.0f}", lambda r: -1.0 if r.health is None else r.health, _RIGHT),
    # the customer's own currency, sorted by the base amount
    Column(TITLES["arr"], lambda r: format_money(r.arr_cents, r.currency),
           lambda r: _cents(r.arr_base_cents), _RIGHT),
    Column(TITLES["likelihood"], lambda r: f"{r.likelihood:.0%}", lambda r: r.likelihood, _RIGHT,
           "Likelihood of renewal (from the track and health, or overridden)"),
    Column(TITLES["expected"], lambda r: format_money(r.expected_arr_cents, r.currency),
           lambda r: _cents(r.expected_base_cents), _RIGHT),
    Column(TITLES["checkpoint"], next_checkpoint_text,
           lambda r: r.next_checkpoint.isoformat() if r.next_checkpoint else "9999",
           tip="The next checkpoint, where renewal work starts or steps up (the calendar's "
               "mark); in the last 30 days, when the last one passed"),
)
(NAME, OWNER, RENEWS, DAYS, TRACK, HEALTH, ARR, LIKELIHOOD, EXPECTED,
 CHECKPOINT) = range(len(COLUMNS))


class PipelineModel(QAbstractTableModel):
    """The listed renewals; ``sort`` reorders them in Python on each column's key."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[RenewalRow] = []
        # Grouped by track, at risk first, soonest first within each (a header click sorts
        # otherwise).
        self._sort: tuple[int, Qt.SortOrder] = (TRACK, Qt.SortOrder.AscendingOrder)

    def set_rows(self, rows: list[RenewalRow]) -> None:
        self.beginResetModel()
        self._rows = self._sorted(rows)
        self.endResetModel()

    def rows(self) -> list[RenewalRow]:
        """The rows in the order shown."""
        return list(self._rows)

    def row(self, row: int) -> RenewalRow:
        return self._rows[row]

    def account_id(self, row: int) -> int:
        return self._rows[row].account_id

    def _sorted(self, rows: list[RenewalRow]) -> list[RenewalRow]:
        col, order = self._sort
        return sorted(rows, key=COLUMNS[col].key, reverse=order == Qt.SortOrder.DescendingOrder)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._rows = self._sorted(self._rows)
        self.layoutChanged.emit()

    def widest_rows(self, column: int, limit: int = 20) -> list[int]:
        """Rows whose text in ``column`` is likely the widest, for the view to measure (a few
        rows, never every row of a big book): each currency's largest amount for money, the
        longest texts otherwise (a proportional font: the view measures them all)."""
        if column in (ARR, EXPECTED):
            largest: dict[str, int] = {}
            pick = (lambda r: r.arr_cents) if column == ARR else (lambda r: r.expected_arr_cents)
            for i, r in enumerate(self._rows):
                if r.currency not in largest or pick(r) > pick(self._rows[largest[r.currency]]):
                    largest[r.currency] = i
            return list(largest.values())
        if column == TRACK:  # one row of each track (a big book's first rows are all at
            # risk, so "Auto-renew" was never measured and was cut)
            first: dict[str, int] = {}
            for i, r in enumerate(self._rows):
                first.setdefault(r.track, i)
            return list(first.values())
        text = COLUMNS[column].text
        # Names and owners vary: every row is looked at. Dates, days and percentages are
        # nearly one width: a sample does (formatting 100,000 dates took a second).
        rows = self._rows if column in (NAME, OWNER, HEALTH) else self._rows[:500]
        return sorted(range(len(rows)), key=lambda i: -len(text(rows[i])))[:limit]

    # -- Qt model API ----------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return COLUMNS[section].align
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section].tip or None
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[col].text(r)
        if role == SORT_ROLE:
            return COLUMNS[col].key(r)
        if role in (ID_ROLE, Qt.ItemDataRole.UserRole):
            return r.account_id
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return COLUMNS[col].align
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == TRACK:
                return TRACK_COLOURS[r.track]
            if col == HEALTH and r.band in BAND_COLOURS:
                return BAND_COLOURS[r.band]
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(r, col)
        return None

    @staticmethod
    def _tooltip(r: RenewalRow, col: int) -> str | None:
        if col == NAME:
            return (f"{r.name}\n" + "; ".join(r.reasons)
                    + (f"\nOverride: {r.override_reason}" if r.override_reason else ""))
        # beside the calendar an owner and a health note may be elided: whole here
        if col == OWNER:
            return r.owner
        if col == HEALTH and r.health is None:
            return r.health_note
        if col in (ARR, EXPECTED) and r.currency != r.base_currency:
            base = r.arr_base_cents if col == ARR else r.expected_base_cents
            return (f"{format_money(base, r.base_currency)} in {r.base_currency} at today's "
                    f"rate" if base is not None else
                    f"no {r.currency} rate: not in the {r.base_currency} totals")
        return None
