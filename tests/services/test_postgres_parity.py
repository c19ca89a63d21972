"""Every feature on PostgreSQL gives what it gives on SQLite: the same demo book on both,
the same health scores, calibration, metrics, QBR, renewals, playbook tasks and export."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from csdesk.config import DatabaseLocation, resolve_database
from csdesk.db import Database
from tests.book_facts import book_facts, next_renewals
from tests.conftest import AS_OF, PgServer


def _fill(db: Database) -> None:
    from csdesk.services.demo.generate import generate_demo

    generate_demo(db, accounts=250, seed=7, as_of=AS_OF)


@pytest.fixture
def both(demo_location: DatabaseLocation, pg_server: PgServer) -> Iterator[list[Database]]:
    name = pg_server.create(pg_server.template("demo", _fill))
    books = [Database.open(demo_location), Database.open(resolve_database(pg_server.url(name)))]
    yield books
    for b in books:
        b.close()
    pg_server.drop(name)


def _same(fn, books: list[Database]):  # type: ignore[no-untyped-def]
    sqlite, postgres = (fn(b) for b in books)
    assert sqlite == postgres
    return sqlite


def test_every_feature_answers_alike(both: list[Database], tmp_path: Path) -> None:
    from csdesk.services.book.accounts import account_table
    from csdesk.services.health.calibration import calibrate
    from csdesk.services.health.metrics import quarterly
    from csdesk.services.health.scoring import recompute
    from csdesk.services.plans.qbr import qbr_data
    from csdesk.services.renewals.churn import churn_analysis
    from csdesk.services.renewals.expansion import signals
    from csdesk.services.renewals.forecast import forecast
    from csdesk.services.renewals.pipeline import pipeline
    from csdesk.services.worklist.rules import run_rules
    from csdesk.services.worklist.today import open_tasks

    # The book's table: same rows, and ARR as whole cents (PostgreSQL sums BIGINT as NUMERIC).
    table = _same(lambda b: account_table(b, as_of=AS_OF).rows, both)
    at = account_table(both[1], as_of=AS_OF).index("arr_cents")
    assert all(type(r[at]) is int for r in account_table(both[1], as_of=AS_OF).rows
               if r[at] is not None) and table

    scored = _same(lambda b: recompute(b, as_of=AS_OF).scored, both)
    assert scored > 150
    report = _same(lambda b: (lambda r: (r.outcomes, r.churned, round(
        r.model.get("cv_auc") or 0, 6), sorted(r.suggested_weights or {}),
        r.suggestion_withheld, r.survival["sentences"]))(calibrate(b)), both)
    assert report[0] > 100
    _same(lambda b: [(q.period, {k: None if v is None else round(v, 9)
                                 for k, v in q.values.items()})
                     for q in quarterly(b, 4, "2026Q3")], both)
    rows = _same(lambda b: [(r.external_id, r.renewal_date, r.track, r.reasons,
                             r.expected_arr_cents) for r in pipeline(b, today=AS_OF)], both)
    # Every live account's next renewal, soonest first, as the book says by hand.
    due = next_renewals(both[0], AS_OF)
    facts = book_facts(both[0])
    assert [r[0] for r in rows] == [facts[a].external_id for a in sorted(
        due, key=lambda a: (due[a], facts[a].name))]
    _same(lambda b: forecast(b, "2026Q4", today=AS_OF), both)
    _same(lambda b: churn_analysis(b), both)
    _same(lambda b: signals(b, today=AS_OF), both)
    _same(lambda b: qbr_data(b, 132, "2026Q3", today=AS_OF), both)

    def qbr_pdf(b: Database) -> bytes:
        import io

        from csdesk.reports.qbr_pdf import write_qbr_pdf

        out = io.BytesIO()
        write_qbr_pdf(qbr_data(b, 132, "2026Q3", today=AS_OF), out)
        return out.getvalue()

    assert _same(qbr_pdf, both).startswith(b"%PDF")  # the same bytes from either server
    created = _same(lambda b: run_rules(b, AS_OF).created, both)
    assert created > 50
    _same(lambda b: [(t.account, t.title, t.reason, t.due, t.priority)
                     for t in open_tasks(b, AS_OF)], both)

    from csdesk.services.sync.export import export_book

    def exported(b: Database) -> dict[str, list[list[str]]]:
        folder = tmp_path / ("sqlite" if b.path else "postgresql")
        export_book(b, folder)
        return {p.name: list(csv.reader(p.open(encoding="utf-8")))
                for p in sorted(folder.glob("*.csv"))}

    files = _same(exported, both)
    assert len(files["accounts.csv"]) == 251
