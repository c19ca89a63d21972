"""One document per account for many accounts, on every core, with progress and Cancel.

The batch opens the book and asks the services for each account's data; the documents
themselves run no queries.
Workers are separate processes (started with "spawn", safe next to a running Qt GUI); each
opens the book read-only once and writes its files atomically, so a cancelled batch leaves only
whole PDFs behind. File names are safe on Windows, macOS and Linux and unique per account.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import unicodedata
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from csdesk.config import DatabaseLocation
from csdesk.errors import CsdeskError
from csdesk.progress import CancelFn, Cancelled, ProgressFn, Reporter
from csdesk.reports.branding import Branding
from csdesk.safefile import PDF_MARK, check_replace, deck_made_by_csdesk, made_by_csdesk
from csdesk.services.book.accounts import AccountRef
from csdesk.services.book.info import open_to_read
from csdesk.services.formatting import counted
from csdesk.services.plans import success_plans
from csdesk.services.plans.qbr import qbr_data
from csdesk.services.plans.qbr_document import qbr_document
from csdesk.services.plans.value import value_report

DOCUMENTS = {"qbr": "QBR", "deck": "QBR deck", "value": "Value delivered",
             "plan": "Success plan"}
QBR_DOCUMENTS = ("qbr", "deck")  # the documents of a quarter, for an audience
_RESERVED = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_WINDOWS_NAMES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                  *(f"LPT{i}" for i in range(1, 10))}


def safe_file_name(text: str, limit: int = 80, *, final: bool = True) -> str:
    """A file name (or, with ``final=False``, a part of one followed by more text) that every
    desktop OS accepts: letters of any script are kept; a name may not end in a dot."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"\s+", " ", _RESERVED.sub("_", text)).strip()[:limit].rstrip()
    if final:
        text = text.strip(".").rstrip()
    if not text or text.upper().split(".")[0] in _WINDOWS_NAMES:
        text = f"_{text}"
    return text


@dataclass(frozen=True)
class BatchJob:
    document: str  # qbr | deck | value | plan
    out_dir: Path
    period: str | None = None
    internal: bool = False
    as_of: date | None = None
    branding: Branding = field(default_factory=Branding)
    path: Path | None = None  # one account's file under the name the user chose


@dataclass
class BatchResult:
    written: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # account name, reason
    missing_characters: set[str] = field(default_factory=set)


def file_suffix(document: str) -> str:
    return ".pptx" if document == "deck" else ".pdf"


def output_path(job: BatchJob, account: AccountRef) -> Path:
    if job.path is not None:
        return job.path
    suffix = f" {job.period.upper()}" if job.document in QBR_DOCUMENTS and job.period else ""
    if job.document in QBR_DOCUMENTS and job.internal:
        suffix += " (internal)"
    name = (f"{safe_file_name(account.name, final=False)} "
            f"({safe_file_name(account.external_id, 40, final=False)})"
            f" - {DOCUMENTS[job.document]}{suffix}{file_suffix(job.document)}")
    return job.out_dir / name


# -- the worker side ------------------------------------------------------------------------

_worker_db: Any = None


def _init_worker(location: DatabaseLocation) -> None:
    global _worker_db

    _worker_db = open_to_read(location)


def write_one(db: Any, job: BatchJob, account: AccountRef) -> tuple[str, set[str]]:
    """Write one account's document; return (path, unprintable characters)."""
    # The writers (reportlab, python-pptx) load with the first document, not with the window.
    from csdesk.reports.plan_pdf import write_plan_pdf
    from csdesk.reports.qbr_deck import write_qbr_deck
    from csdesk.reports.qbr_pdf import write_qbr_pdf
    from csdesk.reports.value_pdf import write_value_pdf

    path = output_path(job, account)
    if job.document == "deck":
        # A deck of the user's own under the same name is never replaced.
        check_replace(path, ours=deck_made_by_csdesk(path), what="a deck csdesk wrote")
        data = qbr_data(db, account.id, job.period, today=job.as_of)
        template, _missing = job.branding.template()
        write_qbr_deck(qbr_document(data, internal=job.internal), path, job.branding,
                       template)
        return str(path), set()
    # A PDF of the user's own under the same name is never replaced.
    check_replace(path, ours=made_by_csdesk(path, PDF_MARK), what="a PDF csdesk wrote")
    if job.document == "qbr":

        data = qbr_data(db, account.id, job.period, today=job.as_of)
        return str(path), write_qbr_pdf(data, path, job.branding, internal=job.internal)
    if job.document == "value":

        return str(path), write_value_pdf(value_report(db, account.id, today=job.as_of), path,
                                          job.branding)

    plan_id = success_plans.active_plan_id(db, account.id)
    if plan_id is None:
        raise CsdeskError("no success plan yet")
    return str(path), write_plan_pdf(success_plans.plan_view(db, plan_id, today=job.as_of), path,
                                     job.branding)


def _work(job: BatchJob, account: AccountRef) -> tuple[str, set[str]]:
    return write_one(_worker_db, job, account)


# -- the caller side ------------------------------------------------------------------------

def run_batch(location: DatabaseLocation, job: BatchJob, accounts: Sequence[AccountRef], *,
              progress: ProgressFn | None = None, cancel: CancelFn | None = None,
              workers: int | None = None) -> BatchResult:
    """Write ``job.document`` for each account into ``job.out_dir``.

    An account whose document cannot be made (no plan, no data for the period) is skipped
    with its reason; the others are still written. Cancel stops the pending work; files
    already written stay, whole.
    """

    if job.document not in DOCUMENTS:
        raise CsdeskError(f"unknown document {job.document!r}")
    if job.document == "deck" and (template := job.branding.template()[0]) is not None:
        from csdesk.reports.qbr_deck import check_template

        check_template(template)  # once, not once per account
    job.out_dir.mkdir(parents=True, exist_ok=True)
    report = Reporter(progress, cancel)
    result = BatchResult()
    total = len(accounts)
    if total == 0:
        return result
    workers = max(1, min(workers or os.cpu_count() or 1, total))

    def done_one(account: AccountRef, future_result: tuple[str, set[str]] | Exception,
                 count: int) -> None:
        if isinstance(future_result, CsdeskError):
            result.skipped.append((account.name, str(future_result)))
        elif isinstance(future_result, Exception):
            raise future_result
        else:
            result.written.append(Path(future_result[0]))
            result.missing_characters |= future_result[1]
        report.checkpoint(count / total, f"{count} of {total}: {account.name}")

    report.checkpoint(0.0, f"Writing {counted(total, 'document')}…")
    if workers == 1:

        with open_to_read(location) as db:
            for count, account in enumerate(accounts, start=1):
                try:
                    outcome: tuple[str, set[str]] | Exception = write_one(db, job, account)
                except CsdeskError as exc:
                    outcome = exc
                done_one(account, outcome, count)
        return result

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(location,)) as pool:
        pending: dict[Future[tuple[str, set[str]]], AccountRef] = {}
        queue = list(accounts)
        count = 0
        try:
            while queue or pending:
                while queue and len(pending) < workers * 2:  # keep every core busy
                    account = queue.pop(0)
                    pending[pool.submit(_work, job, account)] = account
                finished, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                if not finished:
                    report.checkpoint(count / total, f"{count} of {total}")
                for future in finished:
                    account = pending.pop(future)
                    count += 1
                    try:
                        outcome = future.result()
                    except CsdeskError as exc:
                        outcome = exc
                    done_one(account, outcome, count)
        except Cancelled:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    result.written.sort()
    return result
