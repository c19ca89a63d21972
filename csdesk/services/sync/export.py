"""CSV export of the book: per entity, or the whole book to a folder or a zip.

Columns are the import fields of each entity (``io.entities``), so csdesk's own import maps
an export exactly and detects its entity from the header; custom fields follow as
``custom.<name>`` columns. Importing a whole-book export into an empty book gives the same
book. ``profile`` writes the column names a CRM re-imports (Salesforce, HubSpot).

An export writes only its own files. A whole-book export goes into a new or empty folder, or
into a folder that holds nothing but a previous csdesk export (recognised by the manifest
``csdesk-export.json``), replacing just those files; anything else is refused untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Label, Select, select
from sqlalchemy.orm import aliased

from csdesk import __version__, clock
from csdesk.db import Database
from csdesk.errors import CsdeskError, FileWriteError, ReplaceRefused
from csdesk.io import entities, xlsx_export
from csdesk.io.export import cell, write_csv
from csdesk.io.mapping import PROFILES
from csdesk.models import Account, Base, Contact, FieldHistory
from csdesk.progress import CancelFn, ProgressFn, Reporter
from csdesk.safefile import (
    TEMP_SUFFIX,
    atomic_open,
    check_replace,
    describe_os_error,
    private_dir,
    remove_stale_temps,
    temp_name,
    write_text,
)
from csdesk.services.formatting import SYMBOLS
from csdesk.services.sync.adapters import ADAPTERS

# Fields that are inputs only: an account's contract lives in subscriptions.csv, and an
# opportunity's "won" is its stage.
_NOT_EXPORTED = {("accounts", f) for f in ("arr", "mrr", "renewal_date", "seats")} | {
    ("opportunities", "is_won")}
CHUNK = 50_000
MANIFEST = "csdesk-export.json"  # marks a folder (or zip) as csdesk's own export
MANIFEST_FORMAT = "csdesk-export/1"


@dataclass(frozen=True)
class ExportResult:
    entity: str
    path: Path
    rows: int


def export_fields(spec: entities.EntitySpec) -> list[entities.FieldSpec]:
    return [f for f in spec.fields if (spec.name, f.name) not in _NOT_EXPORTED]


def _query(spec: entities.EntitySpec) -> tuple[Select[Any], list[entities.FieldSpec], bool]:
    adapter = ADAPTERS[spec.name]
    table = adapter.table
    fields = export_fields(spec)
    exprs: list[Label[Any]] = []  # one per field, each of its own column's type
    parent = aliased(Account)
    stmt_joins = []
    for f in fields:
        if f.name == "account_external_id":
            exprs.append(Account.external_id.label(f.name))
        elif f.name == "parent_external_id":
            exprs.append(parent.external_id.label(f.name))
        elif f.name == "contact_email":
            exprs.append(Contact.email.label(f.name))
        else:
            exprs.append(table.c[adapter.columns[f.name]].label(f.name))
    has_custom = "custom_fields" in table.c
    if has_custom:
        exprs.append(table.c.custom_fields.label("custom_fields"))
    stmt = select(*exprs).select_from(table)
    if spec.parent:
        stmt_joins.append(Account)
        stmt = stmt.join(Account, Account.id == table.c.account_id)
    if spec.name == "accounts":
        stmt = stmt.outerjoin(parent, parent.id == table.c.parent_id)
    if spec.name == "surveys":
        stmt = stmt.outerjoin(Contact, Contact.id == table.c.contact_id)
    return stmt.order_by(table.c.id), fields, has_custom


def _raw(value: Any, _kind: str = "text") -> Any:
    """A value as the database holds it (money in cents), an enum as its value."""
    if hasattr(value, "value") and not isinstance(value, (str, int, float, bool)):
        return value.value
    return value


def _rows(db: Database, spec: entities.EntitySpec, account_ids: list[int] | None = None,
          *, raw: bool = False) -> tuple[list[str], Iterator[list[Any]], list[str]]:
    """The header, the rows (CSV text, or with ``raw`` the values as stored) and the kinds
    of the entity's fields."""
    fmt = _raw if raw else cell
    stmt, fields, has_custom = _query(spec)
    if account_ids is not None and (spec.parent or spec.name == "accounts"):
        # (rates belong to the whole book: a selection's export carries them all)
        table = ADAPTERS[spec.name].table
        column = table.c.id if spec.name == "accounts" else table.c.account_id
        stmt = stmt.where(column.in_(account_ids))
    custom_keys: list[str] = []
    if has_custom:
        with db.read() as s:
            seen: dict[str, None] = {}
            for value in s.execute(stmt.with_only_columns(
                    ADAPTERS[spec.name].table.c.custom_fields)).scalars():
                for k in value or {}:
                    seen.setdefault(k, None)
            custom_keys = list(seen)
    header = [f.name for f in fields] + [f"custom.{k}" for k in custom_keys]

    def gen() -> Iterator[list[str]]:
        with db.read() as s:
            for rec in s.execute(stmt.execution_options(yield_per=CHUNK)):
                out = [fmt(rec[i], f.kind) for i, f in enumerate(fields)]
                if custom_keys:
                    custom = rec[len(fields)] or {}
                    out += [fmt(custom.get(k)) for k in custom_keys]
                yield out

    return header, gen(), [f.kind for f in fields]


def export_entity(db: Database, entity: str, path: Path, *, excel: bool = False,
                  profile: str | None = None, account_ids: list[int] | None = None,
                  overwrite: bool = False) -> ExportResult:
    """One entity to CSV; ``account_ids`` limits it to those accounts (a selection).

    An existing file at ``path`` is replaced only when ``overwrite`` (the user said so, in a
    save dialog or with ``--overwrite``) or when a csdesk export manifest beside it lists it
    (a CSV with csdesk's header may be the user's own import template).
    """
    path = Path(os.path.abspath(path.expanduser()))
    check_replace(path, ours=path.name in _manifest_files(path.parent), overwrite=overwrite,
                  what="part of a csdesk export")
    with _one_file(path):
        return _write_entity(db, entity, path, excel=excel, profile=profile,
                             account_ids=account_ids)


@contextmanager
def _one_file(path: Path) -> Iterator[None]:
    """Make the file's folder (privately) if missing; turn a failed write into one plain
    line, removing a folder made for it and saying whether the previous file is kept."""
    try:
        created = _make_folder(path.parent)
    except OSError as exc:
        raise FileWriteError(f"cannot export: {describe_os_error(exc, path.parent)}; "
                             "nothing was written") from exc
    try:
        yield
    except OSError as exc:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        kept = "the previous file is kept" if path.exists() else "nothing was written"
        raise FileWriteError(f"the export failed: {describe_os_error(exc, path)}; {kept}"
                             ) from exc
    except BaseException:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise


def export_workbook(db: Database, path: Path, *, entity: str | None = None,
                    account_ids: list[int] | None = None, overwrite: bool = False,
                    progress: ProgressFn | None = None,
                    cancel: CancelFn | None = None) -> list[ExportResult]:
    """The book (or one entity) to an Excel workbook: a sheet per entity, named after it,
    with the CSV export's columns as typed cells (``io.xlsx_export``).

    Written whole and private (0600) under a temporary name and renamed into place; an
    existing file is replaced only when ``overwrite`` (a save dialog asked, or
    ``--overwrite``). On any failure or a Cancel, what was there before is left as it was.
    """
    path = Path(os.path.abspath(path.expanduser()))
    if path.suffix.lower() != ".xlsx":
        raise CsdeskError(f"an Excel export is a .xlsx file, not {path.name}")
    check_replace(path, ours=True)  # a folder of that name is refused
    if path.exists() and not overwrite:
        raise ReplaceRefused(f"{path} already exists; nothing was written (choose another "
                             "name, or add --overwrite to replace it)")
    names = [entity] if entity else list(entities.IMPORT_ORDER)
    rep = Reporter(progress, cancel)

    def sheets() -> Iterator[xlsx_export.SheetData]:
        for n, name in enumerate(names):
            rep.checkpoint(n / len(names), f"Exporting {name}…")
            header, rows, kinds = _rows(db, entities.entity(name), account_ids, raw=True)
            yield xlsx_export.SheetData(name, header, kinds,
                                        _polled(rows, rep, f"Exporting {name}…"))

    with _one_file(path), atomic_open(path, "wb") as fh:
        counts = xlsx_export.write_workbook(fh, sheets(), SYMBOLS)
    rep.report(1.0, "Done")
    return [ExportResult(name, path, counts.get(name, 0)) for name in names]


def _write_entity(db: Database, entity: str, path: Path, *, excel: bool = False,
                  profile: str | None = None, account_ids: list[int] | None = None,
                  rep: Reporter | None = None) -> ExportResult:
    spec = entities.entity(entity)
    header, rows, _kinds = _rows(db, spec, account_ids)
    if profile is not None:
        header, rows = _for_profile(profile, spec, header, rows)
    if rep is not None:
        rows = _polled(rows, rep, f"Exporting {entity}…")
    count = write_csv(path, header, rows, excel=excel)
    return ExportResult(entity, path, count)


def _polled(rows: Iterator[list[str]], rep: Reporter, message: str,
            every: int = 2_000) -> Iterator[list[str]]:
    """Pass rows through, checking for Cancel every few thousand (well within a second)."""
    for n, row in enumerate(rows):
        if n % every == 0:
            rep.poll()
        yield row


def _for_profile(profile: str, spec: entities.EntitySpec, header: list[str],
                 rows: Iterator[list[str]]) -> tuple[list[str], Iterator[list[str]]]:
    """Keep the columns the CRM knows, under the CRM's own names."""
    known = PROFILES.get(profile, {}).get(spec.name)
    if not known:
        raise CsdeskError(f"the {profile} profile has no {spec.name} columns")
    names: dict[str, str] = {}
    for crm, field_name in known.items():
        names.setdefault(field_name, crm.upper() if profile == "salesforce" else crm.title())
    keep = [i for i, h in enumerate(header) if h in names]
    return [names[header[i]] for i in keep], ([r[i] for i in keep] for r in rows)


HISTORY_FILE = "field_history.csv"
HISTORY_COLUMNS = ["entity", "external_id", "field", "old_value", "new_value", "day",
                   "source"]


def history_rows(db: Database) -> Iterator[list[str]]:
    """The field history as CSV rows, oldest first; each record named by its external id
    (its csdesk id, ``#12``, where it has none). The bookkeeping rows (``*created*``,
    ``*row*``) are left out: the file lists changes of fields."""
    h = FieldHistory.__table__
    with db.read() as s:
        ext: dict[str, dict[int, str]] = {}
        for entity in s.scalars(select(h.c.entity).distinct()):
            table = Base.metadata.tables.get(entity)
            if table is not None and "external_id" in table.c:
                ext[entity] = {i: e for i, e in s.execute(
                    select(table.c.id, table.c.external_id)).tuples() if e is not None}
        result = s.execute(select(h.c.entity, h.c.record_id, h.c.field, h.c.old_value,
                                  h.c.new_value, h.c.day, h.c.source)
                           .where(~h.c.field.startswith("*")).order_by(h.c.day, h.c.id)
                           .execution_options(yield_per=CHUNK))
        for entity, record_id, field, old, new, day, source in result:
            yield [cell(entity), cell(ext.get(entity, {}).get(record_id, f"#{record_id}")),
                   cell(field), cell(old), cell(new), day.isoformat(),
                   source.value if hasattr(source, "value") else str(source)]


class ExportRefused(ReplaceRefused):
    """The export would replace or mix with files csdesk did not write: refused, untouched."""


def _manifest_files(folder: Path) -> set[str]:
    """The files a csdesk export manifest in ``folder`` lists (empty when there is none)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        return set()
    files = data.get("files")
    return {str(f) for f in files} if isinstance(files, dict) else set()


def _manifest(results: list[ExportResult], excel: bool) -> str:
    return json.dumps({
        "format": MANIFEST_FORMAT,
        "csdesk": __version__,
        "exported_at": clock.now().isoformat(timespec="seconds"),
        "excel": excel,
        "files": {r.path.name: {"entity": r.entity, "rows": r.rows} for r in results},
    }, indent=2) + "\n"


def _make_folder(folder: Path) -> Path | None:
    """Create ``folder`` (privately) if missing; return the topmost folder created, if any."""
    created = None
    for parent in reversed([folder, *folder.parents]):
        if not parent.exists():
            created = created or parent
    if created is not None:
        private_dir(folder)
    return created


def check_export_target(target: Path) -> Path:
    """Where ``export_book`` would write, refused when that would touch files not its own."""
    target = Path(os.path.abspath(target.expanduser()))
    if target.suffix.lower() == ".zip":
        if target.is_dir():
            raise ExportRefused(f"{target} is a folder; give a .zip file name")
        if target.exists():
            try:
                with zipfile.ZipFile(target) as zf:
                    ours = MANIFEST in zf.namelist()
            except (OSError, zipfile.BadZipFile):
                ours = False
            if not ours:
                raise ExportRefused(f"{target} already exists and is not a csdesk export; "
                                    "nothing was written (choose another name)")
        return target
    if target.exists() and not target.is_dir():
        raise ExportRefused(f"{target} is a file; give a folder or a .zip")
    if target.is_dir():
        allowed = _manifest_files(target) | {MANIFEST}
        foreign = sorted(p.name for p in target.iterdir()
                         if p.name not in allowed and not p.name.endswith(TEMP_SUFFIX))
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more"
                                               if len(foreign) > 3 else "")
            raise ExportRefused(
                f"{target} holds files that are not a csdesk export ({shown}); nothing was "
                "written — choose an empty or new folder")
    return target


def export_book(db: Database, target: Path, *, excel: bool = False, history: bool = False,
                progress: ProgressFn | None = None,
                cancel: CancelFn | None = None) -> list[ExportResult]:
    """Every entity to ``target``: a new or empty folder, a previous csdesk export (whose
    files alone are replaced), or a ``.zip``. Each file appears whole; on any failure or a
    Cancel, what was there before is left as it was. ``history`` adds ``field_history.csv``
    (every recorded change: entity, external id, field, old and new value, day, source).
    """
    rep = Reporter(progress, cancel)
    target = check_export_target(target)
    is_zip = target.suffix.lower() == ".zip"
    folder = target.parent if is_zip else target
    try:
        created = _make_folder(folder)
    except OSError as exc:
        raise FileWriteError(f"cannot export: {describe_os_error(exc, folder)}; nothing was "
                             "written") from exc
    remove_stale_temps(folder)
    staged: list[tuple[Path, ExportResult]] = []
    try:
        for n, name in enumerate(entities.IMPORT_ORDER):
            rep.checkpoint(n / len(entities.IMPORT_ORDER), f"Exporting {name}…")
            final = target / f"{name}.csv" if not is_zip else Path(f"{name}.csv")
            tmp = temp_name(folder / f"{name}.csv")
            done = _write_entity(db, name, tmp, excel=excel, rep=rep)
            staged.append((tmp, ExportResult(name, final, done.rows)))
        if history:
            final = target / HISTORY_FILE if not is_zip else Path(HISTORY_FILE)
            tmp = temp_name(folder / HISTORY_FILE)
            count = write_csv(tmp, HISTORY_COLUMNS,
                              _polled(history_rows(db), rep, "Exporting the field history…"),
                              excel=excel)
            staged.append((tmp, ExportResult("field_history", final, count)))
        results = [r for _tmp, r in staged]
        rep.checkpoint(1.0, "Writing the files…")
        if is_zip:
            with atomic_open(target, "wb") as fh, \
                    zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
                for tmp, r in staged:
                    zf.write(tmp, r.path.name)
                zf.writestr(MANIFEST, _manifest(results, excel))
            return [ExportResult(r.entity, target / r.path.name, r.rows) for r in results]
        old = _manifest_files(target)
        # From here on nothing can be cancelled: each file is renamed into place whole.
        for tmp, r in staged:
            os.replace(tmp, r.path)
        write_text(target / MANIFEST, _manifest(results, excel))
        for stale in old - {r.path.name for r in results}:
            (target / stale).unlink(missing_ok=True)
        rep.report(1.0, "Done")
        return results
    except OSError as exc:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        kept = ("nothing was written" if created is not None or not _manifest_files(target)
                else "the previous export is kept")
        raise FileWriteError(f"the export failed: {describe_os_error(exc, target)}; {kept}"
                             ) from exc
    except BaseException:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    finally:
        for tmp, _r in staged:
            tmp.unlink(missing_ok=True)
