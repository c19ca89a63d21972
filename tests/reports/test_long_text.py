"""Any field of any length gives a PDF: tall rows split across pages, long words wrap, and
what cannot split is cut with a marker."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date

import pytest
from pypdf import PdfReader
from reportlab.graphics.shapes import Drawing, Rect

from csdesk.db import Database
from csdesk.reports.document import Branding, Report
from csdesk.reports.plan_pdf import write_plan_pdf
from csdesk.reports.qbr_pdf import write_qbr_pdf
from csdesk.reports.value_pdf import write_value_pdf
from csdesk.services.plans import success_plans as plans
from csdesk.services.plans import value as value_log
from csdesk.services.plans.qbr import qbr_data

TODAY = date(2026, 11, 1)


def _words(tag: str, length: int = 2_000) -> str:
    """``length`` characters with spaces: ``<tag>-opens`` lorem ipsum … ``<tag>-closes``."""
    filler = ("lorem ipsum dolor sit amet " * (length // 20))[: length - 2 * len(tag) - 15]
    return f"{tag}-opens {filler.strip()} {tag}-closes".rjust(length, "z")


def _word(tag: str, length: int = 2_000) -> str:
    """One word of ``length`` characters (no spaces): ``<tag>START`` w… ``<tag>END``."""
    return f"{tag}START" + "w" * (length - 2 * len(tag) - 8) + f"{tag}END"


def _book(db: Database) -> int:
    """An account where every text a CSM types is longer than a page: the account's name,
    an objective and two value outcomes (one a single word) 10,000 characters, the rest
    2,000 (in a narrow column, that is a page and more too)."""
    from csdesk.models import Account, Contact, Opportunity, Subscription
    from csdesk.models.enums import OpportunityKind

    with db.write() as s:
        acc = Account(external_id="LONG", name=_words("account", 10_000), segment="enterprise",
                      engagement_model="high_touch", customer_since=date(2025, 1, 1),
                      owner=_words("owner"))
        s.add(acc)
        s.flush()
        s.add(Subscription(account_id=acc.id, start_date=date(2026, 1, 1),
                           end_date=date(2026, 12, 31), seats=50, arr_cents=9_000_000))
        s.add(Opportunity(account_id=acc.id, title=_words("deal"), kind=OpportunityKind.UPSELL,
                          amount_cents=100_000))
        contact = Contact(account_id=acc.id, name=_word("contact"))
        s.add(contact)
        s.flush()
        account, contact_id = acc.id, contact.id
    plan = plans.create_plan(db, account, _words("plan"), date(2026, 7, 1))
    objective = plans.add_node(db, "objective", plan, _words("objective", 10_000),
                               kpi_name=_word("kpi"), baseline=0, current=2, target=5,
                               due_date=date(2026, 12, 1), owner_contact_id=contact_id)
    milestone = plans.add_node(db, "milestone", objective, _words("milestone"),
                               due_date=date(2026, 10, 1))
    plans.add_node(db, "task", milestone, _word("task"), due_date=date(2026, 10, 1))
    plans.set_first_value_milestone(db, milestone)
    plans.set_stakeholders(db, plan, [contact_id])
    for title in (_words("outcome", 10_000), _word("unbroken", 10_000)):
        value_log.add_entry(db, account, {
            "title": title, "objective_id": objective, "occurred_on": date(2026, 8, 3),
            "value_cents": 250_000, "metric_name": _word("metric"), "metric_before": 1,
            "metric_after": 2, "value_method": _words("method"),
            "evidence": _words("evidence"),
            "evidence_url": "https://example.com/" + _word("url"),
            "confirmed_by": _word("confirmer"), "confirmed_on": date(2026, 8, 4)})
    return account


def _dense(data: bytes) -> tuple[int, list[str]]:
    """Page count, and each page's text without any whitespace (a wrapped word is whole)."""
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), ["".join(page.extract_text().split()) for page in reader.pages]


def _qbr(db: Database, account: int, out: io.BytesIO) -> set[str]:
    return write_qbr_pdf(qbr_data(db, account, "2026Q3", today=TODAY), out, internal=True)


def _value(db: Database, account: int, out: io.BytesIO) -> set[str]:
    return write_value_pdf(value_log.value_report(db, account, today=TODAY), out)


def _plan(db: Database, account: int, out: io.BytesIO) -> set[str]:
    return write_plan_pdf(plans.plan_view(db, plans.active_plan_id(db, account), today=TODAY), out)


# The long texts each document shows, from start to end (a title cut with "…" to three
# lines follows whole in body type).
SHOWN: dict[str, tuple[Callable[[Database, int, io.BytesIO], set[str]], tuple[str, ...]]] = {
    "qbr": (_qbr, ("account", "objective", "outcome", "unbroken", "milestone", "deal")),
    "value": (_value, ("account", "objective", "outcome", "unbroken", "method", "evidence",
                       "url", "confirmer", "metric")),
    "plan": (_plan, ("account", "plan", "objective", "milestone", "task", "kpi", "contact")),
}


@pytest.mark.sqlite_only("PostgreSQL keeps titles to their column length; the PDFs are the "
                         "same on either backend")
@pytest.mark.parametrize("kind", sorted(SHOWN))
def test_any_field_of_any_length_gives_a_pdf(db: Database, kind: str) -> None:
    account = _book(db)
    write, tags = SHOWN[kind]
    first, again = io.BytesIO(), io.BytesIO()
    write(db, account, first)
    write(db, account, again)
    assert first.getvalue() == again.getvalue()
    pages, texts = _dense(first.getvalue())
    assert pages > 1
    # A word split across pages reads with the page's furniture (footer, the table's repeated
    # header) between its halves: leave those out to find it whole.
    furniture = re.compile(r"^Internal:notforthecustomer|Yourcompany·Page\d+of\d+$|^("
                           r"DateOutcomeWorthConfirmedby|MilestoneObjectiveOwnerDue)")
    whole = "".join(furniture.sub("", furniture.sub("", t)) for t in texts)
    for tag in tags:
        opens, closes = (f"{tag}START", f"{tag}END") if f"{tag}START" in whole else (
            f"{tag}-opens", f"{tag}-closes")
        assert opens in whole and closes in whole, f"the long {tag} is not whole"
    assert all(f"Page{n}of{pages}" in t for n, t in enumerate(texts, start=1))


@pytest.mark.sqlite_only("PostgreSQL keeps titles to their column length")
def test_a_tall_row_splits_with_the_header_repeated(db: Database) -> None:
    account = _book(db)
    out = io.BytesIO()
    _value(db, account, out)
    _pages, texts = _dense(out.getvalue())
    header = "DateOutcomeMetric,before→afterWorthEvidenceConfirmedbythecustomer"
    first = next(i for i, t in enumerate(texts) if header in t)
    last = max(i for i, t in enumerate(texts) if "outcome-closes" in t or "unbrokenEND" in t)
    assert last - first > 2  # the outcome rows run over several pages…
    assert all(header in t for t in texts[first:last + 1])  # …with the header on each
    assert "ReturnonARR" in texts[first]  # it starts under the totals, not a page on


def _text_of(report: Report) -> bytes:
    out = io.BytesIO()
    report.build(out)
    return out.getvalue()


def test_what_cannot_split_is_cut_with_a_marker() -> None:
    tall = Drawing(60, 3000)  # a picture taller than a page, in a table cell
    tall.add(Rect(0, 0, 60, 3000, fillColor=None))
    r = Report("Tall")
    r.table(["Picture", "Note"], [[tall, "beside a picture too tall for a page"]], [1, 2])
    pages, texts = _dense(_text_of(r))
    assert pages >= 1
    assert "cut" in texts[-1] or any("…" in t for t in texts)


def test_long_branding_stays_on_the_page() -> None:
    r = Report(_words("title"), Branding(company=_word("company", 10_000),
                                      footer=_words("footer", 10_000)))
    r.cover(_words("kind"), _words("customer"), _words("period"), _words("prepared"))
    r.masthead(_words("masthead"), _words("subtitle"))
    r.heading(_word("heading"))
    r.paragraph("body")
    pages, texts = _dense(_text_of(r))
    assert pages > 1
    whole = "".join(texts)
    for tag in ("kind", "customer", "masthead", "heading"):
        assert f"{tag}-opens" in whole or f"{tag}START" in whole
    assert "prepared-closes" in whole  # the body text is whole
    assert all(f"Page{n}of{pages}" in t for n, t in enumerate(texts, start=1))
