"""CSV export of the book: per entity, or the whole book to a folder or a zip.

Columns are the import fields of each entity (``io.entities``), so csdesk's own import maps
an export exactly and detects its entity from the header; custom fields follow as
``custom.<name>`` columns. Importing a whole-book export into an empty book gives the same
book. ``profile`` writes the column names a CRM re-imports (Salesforce, HubSpot).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.io import entities as E
from csdesk.io.export import cell, write_csv
from csdesk.io.mapping import PROFILES
from csdesk.models import Account, Contact
from csdesk.progress import CancelFn, ProgressFn, Reporter
from csdesk.services.import_adapters import ADAPTERS

# Fields that are inputs only: an account's contract lives in subscriptions.csv, and an
# opportunity's "won" is its stage.
_NOT_EXPORTED = {("accounts", f) for f in ("arr", "mrr", "renewal_date", "seats")} | {
    ("opportunities", "is_won")}
CHUNK = 50_000


@dataclass(frozen=True)
class ExportResult:
    entity: str
    path: Path
    rows: int


def export_fields(spec: E.EntitySpec) -> list[E.FieldSpec]:
    return [f for f in spec.fields if (spec.name, f.name) not in _NOT_EXPORTED]


def _query(spec: E.EntitySpec) -> tuple[Select[Any], list[E.FieldSpec], bool]:
    adapter = ADAPTERS[spec.name]
    table = adapter.table
    fields = export_fields(spec)
    exprs = []
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


def _rows(db: Database, spec: E.EntitySpec, account_ids: list[int] | None = None
          ) -> tuple[list[str], Iterator[list[str]], list[str]]:
    stmt, fields, has_custom = _query(spec)
    if account_ids is not None:
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
                out = [cell(rec[i], f.kind) for i, f in enumerate(fields)]
                if custom_keys:
                    custom = rec[len(fields)] or {}
                    out += [cell(custom.get(k)) for k in custom_keys]
                yield out

    return header, gen(), [f.kind for f in fields]


def export_entity(db: Database, entity: str, path: Path, *, excel: bool = False,
                  profile: str | None = None,
                  account_ids: list[int] | None = None) -> ExportResult:
    """One entity to CSV; ``account_ids`` limits it to those accounts (a selection)."""
    spec = E.entity(entity)
    header, rows, _kinds = _rows(db, spec, account_ids)
    if profile is not None:
        header, rows = _for_profile(profile, spec, header, rows)
    count = write_csv(path, header, rows, excel=excel)
    return ExportResult(entity, path, count)


def _for_profile(profile: str, spec: E.EntitySpec, header: list[str],
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


def export_book(db: Database, target: Path, *, excel: bool = False,
                progress: ProgressFn | None = None,
                cancel: CancelFn | None = None) -> list[ExportResult]:
    """Every entity to ``target`` (a folder, or a ``.zip``); the old one stays until done."""
    rep = Reporter(progress, cancel)
    target = target.expanduser()
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        results = []
        for n, name in enumerate(E.IMPORT_ORDER):
            rep.checkpoint(n / len(E.IMPORT_ORDER), f"Exporting {name}…")
            results.append(export_entity(db, name, work / f"{name}.csv", excel=excel))
        if target.suffix.lower() == ".zip":
            tmp_zip = work.with_suffix(".zip.part")
            with zipfile.ZipFile(tmp_zip, "w", zipfile.ZIP_DEFLATED) as zf:
                for r in results:
                    zf.write(r.path, r.path.name)
            os.replace(tmp_zip, target)
            shutil.rmtree(work)
            return [ExportResult(r.entity, target / r.path.name, r.rows) for r in results]
        if target.exists() and not target.is_dir():
            raise CsdeskError(f"{target} is a file; give a folder or a .zip")
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
        os.replace(work, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        rep.checkpoint(1.0, "Done")
        return [ExportResult(r.entity, target / r.path.name, r.rows) for r in results]
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
