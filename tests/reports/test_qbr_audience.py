"""The QBR a CSM presents: the customer's version never shows what is ours alone, the internal
version says so on every page, and the document says nothing it contradicts (a status and
its bar, "next quarter" and what is overdue, a multiple below 1×, a champion who left)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from csdesk.config import resolve_database
from csdesk.db import Database
from csdesk.errors import CsdeskError
from csdesk.models import Account, Contact, HealthSnapshot, Subscription, ValueOutcome
from csdesk.reports.branding import Branding
from csdesk.reports.qbr_pdf import write_qbr_pdf
from csdesk.services.plans import success_plans as plans
from csdesk.services.plans import value as value_log
from csdesk.services.plans.qbr import QbrData, qbr_data
from csdesk.services.plans.qbr_document import (
    CUSTOMER_OVERDUE_DAYS,
    multiple_for_customer,
    qbr_document,
)
from tests.conftest import AS_OF

pytestmark = pytest.mark.sqlite_only("a generated demo book, an SQLite file")

PERIOD = "2026Q3"
ATT = "AT&T <Legacy> 日本"
# What the customer must never read: our health score and band, the renewal's likelihood,
# track and forecast, and any sign of the internal version.
FORBIDDEN = re.compile(r"health|\b(green|yellow|red)\b|likelihood|auto[- ]renew|at[- ]risk"
                       r"|\bstandard\b|forecast|internal|\(s\)", re.IGNORECASE)


def _pages(data: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages]


def _pdf(db: Database, account: int, *, internal: bool = False,
         branding: Branding | None = None) -> list[str]:
    out = io.BytesIO()
    write_qbr_pdf(qbr_data(db, account, PERIOD, today=AS_OF), out, branding, internal=internal)
    return _pages(out.getvalue())


def _without_their_words(text: str, d: QbrData) -> str:
    """The text without the customer's own words (a milestone may be called "Forecast
    dashboard adopted"): what is left is what csdesk wrote."""
    theirs = {d.header.name, *(e.title for e in d.value.entries)}
    for o in d.plan.objectives if d.plan is not None else ():
        theirs |= {o.title, o.kpi_name or "", *(m.title for m in o.milestones)}
    for words in sorted(theirs, key=len, reverse=True):
        if words.strip():
            text = text.replace(" ".join(words.split()), "")
    return text


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, dict[str, int]]]:
    """A 60-account demo book, plus the AT&T account (a champion who left, health yellow, a
    plan with milestones overdue and due next quarter, value below 1× its ARR) and an
    account with nothing on record."""
    from csdesk.services.demo.generate import generate_demo

    path = tmp_path_factory.mktemp("qbr-audience") / "demo.sqlite"
    db = Database.open(resolve_database(path))
    generate_demo(db, accounts=60, seed=7, as_of=AS_OF)
    with db.write() as s:
        model = s.scalar(select(HealthSnapshot.model_id).limit(1))
        att = Account(external_id="ATT-1", name=ATT, segment="enterprise",
                      engagement_model="high_touch", lifecycle_stage="adoption",
                      customer_since=date(2025, 1, 1))
        empty = Account(external_id="EMPTY-1", name="Empty Co", segment="smb",
                        engagement_model="tech_touch", lifecycle_stage="onboarding")
        s.add_all([att, empty])
        s.flush()
        s.add(Subscription(account_id=att.id, external_id="S-ATT", start_date=date(2026, 2, 1),
                           end_date=date(2027, 1, 31), arr_cents=12_000_000, seats=50))
        s.add(Contact(account_id=att.id, name="Old Champ", is_champion=True,
                      left_company=True, left_on=date(2026, 8, 14)))
        s.add(HealthSnapshot(account_id=att.id, model_id=model, as_of=date(2026, 9, 1),
                             score=55.0, band="yellow"))
        ids = {"att": att.id, "empty": empty.id}
    plan = plans.create_plan(db, ids["att"], "2026 plan", date(2026, 1, 1))
    goal = plans.add_node(db, "objective", plan, "Faster close", kpi_name="Days to close",
                          baseline=10, current=5, target=4)
    # 30 and 200 days overdue on 30 Sep; one due next quarter; one the quarter after
    for title, due in (("Pilot team live", date(2026, 8, 31)),
                       ("Legacy import", date(2026, 3, 14)),
                       ("Rollout to finance", date(2026, 11, 15)),
                       ("Global rollout", date(2027, 3, 1))):
        plans.add_node(db, "milestone", goal, title, due_date=due, owner_side="customer")
    value_log.add_entry(db, ids["att"], {"title": "Fewer manual journals",
                                         "occurred_on": date(2026, 8, 3),
                                         "value_cents": 2_400_000, "currency": "USD"})
    with db.read() as s:
        ids["all"] = list(s.scalars(select(Account.id).order_by(Account.id)))  # type: ignore[assignment]
        # the richest: the most value logged (and a plan, usage, health beside it)
        ids["rich"] = s.scalar(select(ValueOutcome.account_id).where(
            ValueOutcome.account_id != ids["att"]).group_by(ValueOutcome.account_id)
            .order_by(func.count().desc(), ValueOutcome.account_id).limit(1))
    yield db, ids
    db.close()


def test_the_customer_never_reads_what_is_ours_on_any_account(
        book: tuple[Database, dict[str, int]]) -> None:
    """Every customer QBR of the demo book, the PDF and the deck (slides and speaker notes),
    with the demo's QBR records, commitments, requests and roadmap in them."""
    from pptx import Presentation

    from csdesk.reports.qbr_deck import write_qbr_deck

    db, ids = book
    written = 0
    for account in ids["all"]:  # type: ignore[attr-defined]
        try:
            d = qbr_data(db, account, PERIOD, today=AS_OF)
        except CsdeskError:
            continue  # no QBR for this account (a churned one): nothing written
        out = io.BytesIO()
        write_qbr_pdf(d, out)
        deck = io.BytesIO()
        write_qbr_deck(qbr_document(d), deck)
        slides = Presentation(io.BytesIO(deck.getvalue())).slides
        written += 1
        for where, text in (("pdf", " ".join(_pages(out.getvalue()))),
                            ("deck", " ".join(
                                [sh.text_frame.text for sl in slides for sh in sl.shapes
                                 if sh.has_text_frame]
                                + [sl.notes_slide.notes_text_frame.text for sl in slides]))):
            found = {m.group(0) for m in FORBIDDEN.finditer(_without_their_words(text, d))}
            assert not found, (account, where, found)
    assert written >= 55


def test_the_internal_version_says_so_on_every_page_even_with_our_footer(
        book: tuple[Database, dict[str, int]]) -> None:
    db, ids = book
    ours = Branding(company="Acme CS", footer="Acme CS · Confidential")
    for account in (ids["att"], ids["rich"], ids["empty"]):
        for branding in (None, ours):
            pages = _pdf(db, account, internal=True, branding=branding)
            assert all(p.startswith("Internal: not for the customer") for p in pages), pages
        assert "Acme CS · Confidential" in _pdf(db, account, internal=True, branding=ours)[0]
        assert not any("Internal" in p for p in _pdf(db, account, branding=ours))


def test_the_mitigation_names_the_champion_who_left(
        book: tuple[Database, dict[str, int]]) -> None:
    db, ids = book
    d = qbr_data(db, ids["att"], PERIOD, today=AS_OF)
    assert d.champion.left == "Old Champ" and d.champion.current is None
    internal = qbr_document(d, internal=True).section("risks")
    assert internal is not None and internal.table is not None
    mitigations = " ".join(row[1] for row in internal.table.rows)
    assert "Find a new champion: Old Champ left on 14 Aug 2026" in mitigations
    assert "with the champion" not in mitigations
    customer = qbr_document(d).section("risks")
    assert customer is not None and customer.table is not None
    assert "Name a new champion" in " ".join(r[1] for r in customer.table.rows)


def test_next_quarter_lists_what_falls_due_and_overdue_stands_apart(
        book: tuple[Database, dict[str, int]]) -> None:
    db, ids = book
    d = qbr_data(db, ids["att"], PERIOD, today=AS_OF)
    for internal, overdue in ((True, ["Legacy import", "Pilot team live"]),
                              (False, ["Pilot team live"])):  # 200 days: left out
        doc = qbr_document(d, internal=internal)
        nxt, late = doc.section("next_quarter"), doc.section("overdue")
        assert nxt is not None and nxt.table is not None and late is not None
        assert [r[0] for r in nxt.table.rows] == ["Rollout to finance"]
        assert nxt.title == "Next quarter: plan and asks (to 31 Dec 2026)"
        assert late.table is not None and [r[0] for r in late.table.rows] == overdue
        assert late.title.startswith("Overdue")
    assert (d.period_end - date(2026, 3, 14)).days > CUSTOMER_OVERDUE_DAYS


def test_asks_and_decisions_come_from_the_plan_and_the_contract(
        book: tuple[Database, dict[str, int]]) -> None:
    """AT&T: one milestone of theirs due next quarter is the ask; the overdue ones to re-plan
    (two for us, one for the customer: the other is over 90 days late) and its renewal
    within 180 days are the decisions."""
    from dataclasses import replace

    from csdesk.services.formatting import format_date

    db, ids = book
    d = qbr_data(db, ids["att"], PERIOD, today=AS_OF)
    renewal = d.commercial.renewal_date
    near = renewal is not None and 0 <= (renewal - AS_OF).days <= 180
    for internal, late in ((True, 2), (False, 1)):
        asks = qbr_document(d, internal=internal).section("asks")
        assert asks is not None
        late_line = (f"Re-plan {late} overdue milestone{'s' if late > 1 else ''} (listed "
                     f"below): a new date, or drop {'them' if late > 1 else 'it'}.")
        assert asks.bullets[0] == late_line
        assert asks.bullets[-1] == "Rollout to finance (your team, by 15 Nov 2026)"
        assert len(asks.bullets) == 2 + near
        assert asks.headline == (f"{2 + near - 1} decision{'s' if near else ''} and 1 ask of "
                                 "your team for this review.")
    soon = replace(d, commercial=replace(d.commercial, renewal_date=date(2027, 2, 1)))
    bullets = qbr_document(soon).section("asks").bullets  # type: ignore[union-attr]
    assert f"The subscription renews on {format_date(date(2027, 2, 1))}: agree what the " \
        "next term must deliver." in bullets
    later = replace(d, commercial=replace(d.commercial, renewal_date=date(2028, 2, 1)))
    assert not any("renews" in b for b in qbr_document(later).section("asks").bullets)  # type: ignore[union-attr]
    assert qbr_document(qbr_data(db, ids["empty"], PERIOD, today=AS_OF)).section("asks") is None


def test_a_multiple_below_one_is_not_shown_to_the_customer(
        book: tuple[Database, dict[str, int]]) -> None:
    db, ids = book
    assert multiple_for_customer(0.2) is None and multiple_for_customer(1.0) == 1.0
    customer = " ".join(_pdf(db, ids["att"]))
    internal = " ".join(_pdf(db, ids["att"], internal=True))
    assert "$24,000" in customer and "×" not in customer
    assert "0.2× the annual subscription; below 1×, the customer's version shows the value " \
           "alone" in internal


def test_an_empty_account_has_no_heading_over_nothing(
        book: tuple[Database, dict[str, int]]) -> None:
    db, ids = book
    for internal in (False, True):
        doc = qbr_document(qbr_data(db, ids["empty"], PERIOD, today=AS_OF), internal=internal)
        for s in doc.sections:
            assert s.paragraphs or s.bullets or s.objectives or s.table, s.key
        assert doc.section("summary") is None and doc.section("objectives") is None
        text = " ".join(_pdf(db, ids["empty"], internal=internal))
        for heading in ("Executive summary", "Objectives and progress", "Value delivered",
                        "Adoption and usage", "Support", "Risks and mitigation"):
            assert heading not in text


def test_every_section_has_content_and_no_last_page_holds_a_few_stray_lines(
        book: tuple[Database, dict[str, int]]) -> None:
    db, ids = book
    for account in (ids["att"], ids["rich"]):
        for internal in (False, True):
            doc = qbr_document(qbr_data(db, account, PERIOD, today=AS_OF), internal=internal)
            assert all(s.paragraphs or s.bullets or s.objectives or s.table
                       for s in doc.sections)
            pages = _pdf(db, account, internal=internal)
            # the last page's own text, without its footer (about 60 characters)
            assert len(pages) == 2 or len(pages[-1]) > 400, (account, internal, pages[-1])


def test_an_objectives_status_and_its_bar_agree() -> None:
    state = plans.objective_state
    today, start, due = date(2026, 9, 30), date(2026, 1, 1), date(2026, 12, 31)
    # the CSM's "achieved" with the KPI half way: the bar is full and says how far the KPI got
    called = state(stored="achieved", overridden=True, baseline=0, current=5, target=10,
                   start=start, due=due, today=today)
    assert (called.status, called.bar, called.bar_label) == (
        "achieved", 1.0, "100% (KPI 50% of the way)")
    # the CSM's "at risk" with the target reached: never a full bar beside it
    doubt = state(stored="at_risk", overridden=True, baseline=0, current=10, target=10,
                  start=start, due=due, today=today)
    assert doubt.status == "at_risk" and doubt.bar_label == "99%" and doubt.bar is not None \
        and doubt.bar < 1
    nearly = state(stored="on_track", overridden=False, baseline=40, current=15.1, target=15,
                   start=start, due=due, today=today)
    assert nearly.status != "achieved" and nearly.bar_label == "99%"  # not "100%"
    done = state(stored="on_track", overridden=False, baseline=40, current=15, target=15,
                 start=start, due=due, today=today)
    assert (done.status, done.bar, done.bar_label) == ("achieved", 1.0, "100%")


def test_on_the_demo_book_achieved_always_shows_a_full_bar(
        book: tuple[Database, dict[str, int]]) -> None:
    db, ids = book
    seen = 0
    for account in ids["all"]:  # type: ignore[attr-defined]
        plan = plans.active_plan_id(db, account)
        if plan is None:
            continue
        for o in plans.plan_view(db, plan, today=AS_OF).objectives:
            seen += 1
            assert (o.status == "achieved") == (o.bar == 1.0), (o.title, o.status, o.bar)
            assert (o.bar_label.startswith("100%")) == (o.status == "achieved")
    assert seen > 10


def test_the_branding_notice_until_branding_is_set() -> None:
    assert Branding().unset_notice() == (
        "Branding is not set: documents say 'Your company' — set it with Reports → Branding… "
        "in the csdesk window.")
    assert Branding(company="Acme CS").unset_notice() is None


def test_render_for_a_look(book: tuple[Database, dict[str, int]], tmp_path: Path) -> None:
    """Not a check: writes the PDFs a person looks at (set QBR_LOOK=folder)."""
    import os

    folder = os.environ.get("QBR_LOOK")
    if not folder:
        pytest.skip("set QBR_LOOK to a folder to keep the PDFs")
    db, ids = book
    Path(folder).mkdir(parents=True, exist_ok=True)
    for key in ("att", "rich", "empty"):
        for internal in (False, True):
            out = Path(folder) / f"{key}-{'internal' if internal else 'customer'}.pdf"
            write_qbr_pdf(qbr_data(db, ids[key], PERIOD, today=AS_OF), out,
                          internal=internal)
