"""What an import found and did (ImportResult, FieldChange), and the pieces the row-by-row
and the bulk import share: the limits on what is kept, the account id lookup, and the
duplicate-key check that runs from chunk to chunk."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.io.validate import Issue
from csdesk.models import Account
from csdesk.services.sync.matching import MatchReport

MAX_CHANGES = 500  # per-field differences kept for the preview


MAX_ISSUES = 10_000  # problems kept for the report (all are counted)


@dataclass(frozen=True)
class FieldChange:
    key: str
    field: str
    old: Any
    new: Any


@dataclass
class ImportResult:
    entity: str
    source: str
    encoding: str
    delimiter: str
    mapping: dict[str, str]
    mapping_how: dict[str, str]
    profile: str | None
    key: tuple[str, ...]
    date_format: str | None = None
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[Issue] = field(default_factory=list)
    error_count: int = 0
    changes: list[FieldChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    backup: str | None = None
    decimal: str | None = None  # the decimal mark the numbers were read with
    decimal_how: str | None = None  # given | detected | per column | None: none needed one
    error_records: dict[int, list[str]] = field(default_factory=dict, repr=False)
    header: list[str] = field(default_factory=list, repr=False)
    # field → {the file's value: the value stored}, for the choice fields whose values were
    # mapped (by the CRM profile, a churn flag or the user)
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    # Import the valid rows and leave the rows in error out (asked for; all or nothing else)
    skip_invalid: bool = False
    rows_left_out: int = 0  # rows in error, not imported (with skip_invalid)
    rows_left_by_value: int = 0  # rows whose value was mapped to "leave out" (no error)
    # The file could not be read to its end (dates that read two ways): nothing is written,
    # skip_invalid or not
    stopped: bool = False
    # How the file's account values matched the book (by id, domain or name), usage files
    account_matches: MatchReport | None = None
    sheet: str | None = None  # the workbook's sheet, when the file is a workbook
    kept_typed: int = 0  # exchange rates typed by hand that the file's rates did not replace
    # The day its changes take effect in the field history (the file's as-of date, else the
    # day of the import), and its import log (once the transaction has begun)
    history_day: date | None = None
    import_log_id: int | None = None
    history_rows: int = 0  # field-history rows written (changes and records created)

    def add_issues(self, issues: list[Issue]) -> None:
        self.error_count += len(issues)
        room = MAX_ISSUES - len(self.errors)
        if room > 0:
            self.errors.extend(issues[:room])

    def as_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity, "file": self.source, "inserted": self.inserted,
            "updated": self.updated, "unchanged": self.unchanged, "rows": self.rows,
            "errors": [e.as_json() for e in self.errors], "error_count": self.error_count,
            "written": self.written, "dry_run": self.dry_run, "encoding": self.encoding,
            "delimiter": self.delimiter, "mapping": self.mapping, "profile": self.profile,
            "key": list(self.key), "date_format": self.date_format, "notes": self.notes,
            "changes": [{"key": c.key, "field": c.field, "old": _jsonable(c.old),
                         "new": _jsonable(c.new)} for c in self.changes],
            "backup": self.backup, "decimal": self.decimal, "decimal_how": self.decimal_how,
            "values": self.value_maps, "skip_invalid": self.skip_invalid,
            "rows_left_out": self.rows_left_out, "rows_left_by_value": self.rows_left_by_value,
            "accounts": (self.account_matches.as_json() if self.account_matches is not None
                         else None),
            "sheet": self.sheet, "kept_typed_rates": self.kept_typed,
            "history_rows": self.history_rows,
            "import_log_id": self.import_log_id if self.written else None,
        }

    @property
    def decimal_text(self) -> str:
        """The decimal mark as the summary shows it."""
        if self.decimal_how is None:
            return "not needed (no number has one)"
        if self.decimal_how == "per column":
            return "decided per column (the columns differ)"
        return f"{'comma' if self.decimal == ',' else 'point'} ({self.decimal_how})"


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def account_ids(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Account.external_id, Account.id)).tuples().all())


SEEN_RUN_CAP = 1 << 22  # keys: sorted runs are merged up to this size, then left as they are


def seen_before(keys: np.ndarray, rows: pd.Series, seen: dict[str, Any],
                ) -> list[tuple[int, int]]:
    """(position in ``keys``, first row) of each key already seen in the file, in this
    chunk or an earlier one; ``seen`` carries the keys from chunk to chunk.

    Only each key's first row is kept, as a few sorted runs of int64 keys and 32-bit row
    numbers (12 bytes a distinct key, where keeping every row's key and row and re-sorting
    them all for each chunk cost several times that); runs are merged while small, so a
    chunk is looked up in a handful of binary searches.
    """
    row_no = rows.to_numpy(dtype=np.int64)
    if not len(keys):
        return []
    runs: list[tuple[np.ndarray, np.ndarray]] = seen.setdefault("runs", [])
    order = np.argsort(keys, kind="stable")
    k, r = np.asarray(keys, dtype=np.int64)[order], row_no[order]
    starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
    sizes = np.diff(np.append(starts, len(k)))
    unique, first = k[starts], r[starts]
    earlier = np.full(len(unique), -1, dtype=np.int64)
    for run_keys, run_rows in runs:
        pos = np.minimum(np.searchsorted(run_keys, unique), len(run_keys) - 1)
        hit = run_keys[pos] == unique
        earlier[hit] = run_rows[pos[hit]]
    fresh = earlier < 0
    _add_run(runs, unique[fresh], first[fresh])
    group_first = np.repeat(np.where(fresh, first, earlier), sizes)
    dup = np.ones(len(k), dtype=bool)
    dup[starts[fresh]] = False  # a key's first row in the file is no duplicate
    at = order[dup]
    return sorted(zip(at.tolist(), group_first[dup].tolist(), strict=True))


def _add_run(runs: list[tuple[np.ndarray, np.ndarray]], keys: np.ndarray,
             rows: np.ndarray) -> None:
    """Add sorted, new ``keys`` as a run; merge it with the runs before it while they are
    no bigger (so there are about log2(keys / chunk) runs, each merged a few times)."""
    if not len(keys):
        return
    small = rows.max() < (1 << 32)
    runs.append((keys, rows.astype(np.uint32) if small else rows))
    while len(runs) > 1 and len(runs[-2][0]) <= len(runs[-1][0]) \
            and len(runs[-2][0]) + len(runs[-1][0]) <= SEEN_RUN_CAP:
        (k1, r1), (k2, r2) = runs.pop(-2), runs.pop()
        at = np.searchsorted(k1, k2)  # the keys are disjoint: a plain sorted insert
        runs.append((np.insert(k1, at, k2), np.insert(r1, at, r2)))
