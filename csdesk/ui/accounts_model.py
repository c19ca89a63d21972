"""The accounts table model: a thin Qt adapter over the rows of ``services.book.accounts``.

Sorting and filtering happen here on plain tuples (the data layer), not in a
QSortFilterProxyModel: a proxy over a Python model takes seconds at 100,000 rows.
``SORT_ROLE`` returns the raw value (a date, an integer of cents: ARR in the base currency,
as it sorts) for tests and delegates.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from csdesk import clock
from csdesk.models.enums import RenewalTrack, Segment
from csdesk.services.book.table import ACCOUNT_COLUMNS, AccountTable
from csdesk.services.formatting import NOT_ENOUGH_HINT, format_money
from csdesk.ui.theme import BAND_COLOURS

NOT_ENOUGH = "not_enough_data"  # the health filter's value for "Not enough data"

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    title: str
    source: str
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft
    sort_key: str | None = None  # a precomputed column to sort by (case-folded text)


_RIGHT = Qt.AlignmentFlag.AlignRight
COLUMNS: tuple[Column, ...] = (
    Column("Account", "name", sort_key="name_key"),
    Column("Segment", "segment"),
    Column("Health", "health_score", _RIGHT),
    Column("ARR", "arr_cents", _RIGHT, sort_key="arr_base_cents"),  # sorted in the base
    Column("Renewal", "renewal_date"),
    Column("Days to renewal", "days_to_renewal", _RIGHT),
    Column("Track", "renewal_track"),
    Column("Owner", "owner", sort_key="owner_key"),
    Column("Last touch", "last_touch"),
    Column("Open tasks", "open_tasks", _RIGHT),
)
NAME, SEGMENT, HEALTH, ARR, RENEWAL, DAYS, TRACK, OWNER, LAST_TOUCH, TASKS = range(len(COLUMNS))


def _label(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, Segment):
        return value.label
    if isinstance(value, RenewalTrack):
        return value.label
    if isinstance(value, enum.Enum):
        return str(value.value).replace("_", " ").capitalize()
    if isinstance(value, date):
        return value.strftime("%d %b %Y")
    return str(value)


def _column_index(columns: tuple[str, ...]) -> dict[str, int]:
    """Positions of the service's columns."""
    return {name: i for i, name in enumerate(columns)}


class AccountsModel(QAbstractTableModel):
    """Rows of the book; ``set_filter`` and ``sort`` rebuild the visible list in Python."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._all: list[tuple[Any, ...]] = []
        self._rows: list[tuple[Any, ...]] = []
        self._as_of = clock.today()
        self._col: dict[str, int] = _column_index(ACCOUNT_COLUMNS)
        self._filter: Callable[[tuple[Any, ...]], bool] | None = None
        self._filters: dict[str, Any] = {}
        self._text = ""
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self.renewals_pending = False  # the renewal columns are still being read
        self.figures_pending = False  # health, ARR, last touch and tasks are too
        self._pending: frozenset[int] = frozenset()  # the columns that show "…" meanwhile
        self._sorted_by: str | None = None  # the key ``_all`` comes sorted by, ascending
        self._churned = 0  # of ``_all``: counted once a table, not once a keystroke
        self._owners: list[str] = []

    # -- data in ---------------------------------------------------------------------------

    def set_table(self, table: AccountTable) -> None:
        self.beginResetModel()
        self._col = _column_index(table.columns)
        self._all = table.rows
        self._sorted_by = table.sorted_by
        status, owner = itemgetter(self._col["status"]), itemgetter(self._col["owner"])
        # A status is a StrEnum (or its text): compared as text, in C, over every row.
        self._churned = list(map(status, table.rows)).count("churned")
        self._owners = sorted(set(map(owner, table.rows)) - {None, ""})
        self._as_of = table.as_of
        self.renewals_pending = table.renewals_pending
        self.figures_pending = table.figures_pending
        self._pending = frozenset(
            ((RENEWAL, DAYS, TRACK) if table.renewals_pending else ())
            + ((HEALTH, ARR, LAST_TOUCH, TASKS) if table.figures_pending else ()))
        self._rows = self._apply(self._all)
        self.endResetModel()

    def set_text_filter(self, text: str) -> None:
        self._text = text.strip().casefold()
        self._rebuild_filter()

    def set_filters(self, **filters: Any) -> None:
        """segment, band, renewal_within (days), owner, attention (bool), ids (set),
        churned (bool: show churned accounts too; a set of ``ids`` shows them anyway)."""
        self._filters = {k: v for k, v in filters.items() if v not in (None, "", False)}
        self._rebuild_filter()

    def _rebuild_filter(self) -> None:
        """One predicate over plain tuples: cheap enough per keystroke at 100,000 rows."""
        c = self._col
        tests: list[Callable[[tuple[Any, ...]], bool]] = []
        needle = self._text
        # Each test binds its own column and wanted value (default arguments): a closure
        # over a shared loop-style variable would test every chip on the last one's column.
        if needle:
            tests.append(lambda r, name=c["name_key"], ext=c["external_id"],
                         owner=c["owner_key"]: needle in r[name]
                         or needle in r[ext].casefold()
                         or (r[owner] is not None and needle in r[owner]))
        f = self._filters
        if not f.get("churned") and "ids" not in f:
            status = c["status"]
            tests.append(lambda r: r[status] != "churned")  # a StrEnum: compared as text
        if "segment" in f:
            tests.append(lambda r, seg=f["segment"], i=c["segment"]:
                         r[i] is not None and r[i].value == seg)
        if f.get("band") == NOT_ENOUGH:
            tests.append(lambda r, i=c["health_note"]: r[i] is not None)
        elif "band" in f:
            tests.append(lambda r, band=f["band"], i=c["health_band"]:
                         r[i] is not None and r[i].value == band)
        if "owner" in f:
            tests.append(lambda r, who=f["owner"], i=c["owner"]: r[i] == who)
        if "renewal_within" in f:
            tests.append(lambda r, limit=int(f["renewal_within"]), i=c["days_to_renewal"]:
                         r[i] is not None and 0 <= r[i] <= limit)
        if "ids" in f:
            tests.append(lambda r, ids=f["ids"], i=c["id"]: r[i] in ids)
        if "handoff" in f:
            tests.append(lambda r, pending=f["handoff"], i=c["id"]: r[i] in pending)
        if f.get("attention"):
            tests.append(self.needs_attention)
        if not tests:
            self._filter = None
        elif len(tests) == 1:
            self._filter = tests[0]
        else:
            self._filter = lambda r: all(t(r) for t in tests)
        self.beginResetModel()
        self._rows = self._apply(self._all)
        self.endResetModel()

    def needs_attention(self, r: tuple[Any, ...]) -> bool:
        """Live, and red; or falling ten points or more; or at risk with renewal in 90 days."""
        c = self._col
        if r[c["status"]].value == "churned":
            return False
        band, trend = r[c["health_band"]], r[c["health_trend"]]
        if band is not None and band.value == "red":
            return True
        if trend is not None and trend <= -10:
            return True
        days, track = r[c["days_to_renewal"]], r[c["renewal_track"]]
        return days is not None and 0 <= days <= 90 and track is not None and \
            track.value == "at_risk"

    def churned_count(self) -> int:
        return self._churned

    def owners(self) -> list[str]:
        return list(self._owners)

    def rows_of(self, ids: set[int]) -> list[int]:
        """The shown rows of these accounts, top to bottom."""
        i = self._col["id"]
        return [n for n, r in enumerate(self._rows) if r[i] in ids]

    def row_ids(self, rows: list[int]) -> list[int]:
        i = self._col["id"]
        return [int(self._rows[r][i]) for r in rows]

    def _apply(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        out = [r for r in rows if self._filter(r)] if self._filter else list(rows)
        if self._sort is not None:
            col, order = self._sort
            column = COLUMNS[col]
            if rows is self._all and order == Qt.SortOrder.AscendingOrder \
                    and column.sort_key == self._sorted_by:
                return out  # the table came in this order, which a filter keeps
            i = self._col[column.sort_key or column.source]
            present = [r for r in out if r[i] is not None]
            missing = [r for r in out if r[i] is None] if len(present) < len(out) else []
            # itemgetter keeps the comparison in C; text columns come case-folded.
            present.sort(key=itemgetter(i), reverse=order == Qt.SortOrder.DescendingOrder)
            out = present + missing  # blanks last in either direction
        return out

    # -- Qt model API ----------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def total_count(self) -> int:
        return len(self._all)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section].title
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return COLUMNS[section].align | Qt.AlignmentFlag.AlignVCenter
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._rows = self._apply(self._rows)
        self.layoutChanged.emit()

    def account_id(self, row: int) -> int:
        return int(self._rows[row][self._col["id"]])

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        col = index.column()
        value = row[self._col[COLUMNS[col].source]]
        if role == Qt.ItemDataRole.DisplayRole:
            if col in self._pending:
                return "…"
            return self._display(row, col, value)
        if role == Qt.ItemDataRole.ToolTipRole and col in self._pending:
            what = "renewals" if col in (RENEWAL, DAYS, TRACK) else "figures"
            return f"Reading the {what} of a large book: they appear here in a moment"
        if col in self._pending and role != ID_ROLE:
            return None
        if role == SORT_ROLE:  # what the column sorts by: ARR in the base currency
            return row[self._col["arr_base_cents"]] if col == ARR else value
        if role == ID_ROLE:
            return row[self._col["id"]]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return COLUMNS[col].align | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.DecorationRole and col == HEALTH:
            band = row[self._col["health_band"]]
            return BAND_COLOURS.get(band.value) if band is not None else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if row[self._col["status"]].value == "churned":
                return QColor("#8a8f98")
            if col == DAYS and value is not None and value <= 30:
                return BAND_COLOURS["red"]
            if col == TRACK and value is not None and value.value == "at_risk":
                return BAND_COLOURS["red"]
        if role == Qt.ItemDataRole.FontRole and col == NAME:
            font = QFont()
            font.setWeight(QFont.Weight.DemiBold)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and col == NAME:
            status = row[self._col["status"]]
            return f"{value} · {row[self._col['external_id']]} · {status.value}"
        if role == Qt.ItemDataRole.ToolTipRole and col == ARR:
            return row[self._col["arr_note"]]  # its base amount and rate, or the missing rate
        if role == Qt.ItemDataRole.ForegroundRole and col == ARR and value is not None \
                and row[self._col["arr_base_cents"]] is None:
            return QColor("#c0392b")  # no rate: not in the book's totals, and the tip says so
        if role == Qt.ItemDataRole.ForegroundRole and col == HEALTH and value is None:
            return QColor("#8a8f98")
        if role == Qt.ItemDataRole.ToolTipRole and col == HEALTH and value is None:
            note = row[self._col["health_note"]]
            return f"{note}: {NOT_ENOUGH_HINT}" if note else "not scored yet (Ctrl+R scores it)"
        if role == Qt.ItemDataRole.ToolTipRole and col == HEALTH and value is not None:
            trend = row[self._col["health_trend"]]
            band = row[self._col["health_band"]]
            since = "" if trend is None else f"; {trend:+.0f} since the previous score"
            return f"{band.value if band else ''} {value:.0f}{since}"
        return None

    def _display(self, row: tuple[Any, ...], col: int, value: Any) -> str:
        if col == HEALTH:
            if value is None:
                return row[self._col["health_note"]] or "—"
            trend = row[self._col["health_trend"]]
            arrow = "" if trend is None or abs(trend) < 3 else (" ▲" if trend > 0 else " ▼")
            return f"{value:.0f}{arrow}"
        if col == ARR:
            if row[self._col["status"]].value == "churned":
                return "Churned"
            return format_money(value, row[self._col["currency"]])
        if col == DAYS:
            if value is None:
                return "—"
            return "today" if value == 0 else f"{value} d" if value > 0 else f"{-value} d ago"
        if col == TASKS:
            return str(value) if value else ""
        return _label(value)
